"""Face seeding: find faces with OpenCV's Haar cascade so new points go only inside them.

The cascade ships with opencv-python (`cv2.data.haarcascades`). It is loaded when a
`FaceSeeder` is made (the engine makes one only once `features.mode` is `faces`), never at
import, so the corners mode pays nothing for it.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.errors import ParamError

Gray = npt.NDArray[np.uint8]
Boxes = npt.NDArray[np.int32]  # (N, 4) x, y, w, h in frame pixels

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECT_WIDTH = 480  # wider frames are scaled down to this before detection (speed)
SCALE_STEP = 1.2  # detectMultiScale scaleFactor: 1.1 finds a few more faces at twice the cost
MIN_NEIGHBOURS = 5  # overlapping hits a face needs; fewer = more false faces
MIN_FACE_PX = 24  # the cascade's own window; smaller faces (at detection scale) are not found


class CascadeError(ParamError):
    """The face cascade cannot be loaded, so `features.mode = faces` cannot work."""


def default_cascade_path() -> str:
    return os.path.join(cv2.data.haarcascades, CASCADE_FILE)


def load_cascade(path: str | None = None) -> cv2.CascadeClassifier:
    """The Haar cascade at `path` (default: OpenCV's frontal-face one); CascadeError if it
    is missing or unreadable."""
    path = path or default_cascade_path()
    if not os.path.isfile(path):
        raise CascadeError(f"features.mode faces: no face cascade at {path} (it ships with "
                           "opencv-python; reinstall it)")
    try:
        cascade = cv2.CascadeClassifier(path)
    except (cv2.error, SystemError) as exc:  # a malformed file: SystemError wraps cv2.error
        raise CascadeError(f"features.mode faces: cannot read the face cascade {path}") \
            from exc
    if cascade.empty():
        raise CascadeError(f"features.mode faces: the face cascade {path} did not load")
    return cascade


def detect_faces(cascade: cv2.CascadeClassifier, gray: Gray, max_width: int = DETECT_WIDTH
                 ) -> Boxes:
    """Face boxes (N, 4) x, y, w, h in `gray`'s pixels, clipped to the frame; the search runs
    on a copy at most `max_width` wide."""
    h, w = gray.shape[:2]
    scale = min(1.0, max_width / w)
    small = gray if scale == 1.0 else cv2.resize(gray, (max(1, round(w * scale)),
                                                        max(1, round(h * scale))),
                                                 interpolation=cv2.INTER_AREA)
    if min(small.shape[:2]) < MIN_FACE_PX:
        return np.zeros((0, 4), np.int32)
    found = cascade.detectMultiScale(small, scaleFactor=SCALE_STEP,
                                     minNeighbors=MIN_NEIGHBOURS,
                                     minSize=(MIN_FACE_PX, MIN_FACE_PX))
    boxes = np.asarray(found, np.float64).reshape(-1, 4) / scale
    x0 = np.clip(np.floor(boxes[:, 0]), 0, w)
    y0 = np.clip(np.floor(boxes[:, 1]), 0, h)
    x1 = np.clip(np.ceil(boxes[:, 0] + boxes[:, 2]), 0, w)
    y1 = np.clip(np.ceil(boxes[:, 1] + boxes[:, 3]), 0, h)
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).astype(np.int32)


class FaceSeeder:
    """Restricts a seeding mask to the faces in the frame.

    Looking for faces costs several milliseconds, and with no face in view the tracker asks
    to seed every frame (it is below `tracking.min_points`); so after a search that found
    nothing, the next `retry_after - 1` requests reuse that answer unless forced (a reseed).
    `boxes` holds the faces of the last search.
    """

    def __init__(self, cascade_path: str | None = None) -> None:
        self._cascade = load_cascade(cascade_path)
        self.boxes: Boxes = np.zeros((0, 4), np.int32)
        self.searches = 0  # how many times faces were looked for
        self._idle = 0  # requests answered from an empty search since it ran

    def find(self, gray: Gray, retry_after: int = 1, force: bool = False) -> Boxes:
        """The faces in `gray`, or the last (empty) answer while a retry is not yet due."""
        if not force and not len(self.boxes) and 0 < self._idle < retry_after:
            self._idle += 1
            return self.boxes
        self.boxes = detect_faces(self._cascade, gray)
        self.searches += 1
        self._idle = 0 if len(self.boxes) else 1
        return self.boxes

    def restrict(self, mask: Gray, gray: Gray, retry_after: int = 1, force: bool = False
                 ) -> Gray | None:
        """`mask` (changed in place) zeroed outside every face box, or None with no face."""
        boxes = self.find(gray, retry_after, force)
        if not len(boxes):
            return None
        faces = np.zeros_like(mask)
        for x, y, w, h in boxes:
            faces[y:y + h, x:x + w] = 255
        np.bitwise_and(mask, faces, out=mask)
        return mask
