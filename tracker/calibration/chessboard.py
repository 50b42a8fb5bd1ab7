"""Camera calibration from views of a chessboard: corner finding and `cv.calibrateCamera`.

`BoardFinder.add(frame)` looks for the board in each frame (on a reduced copy of large frames,
refined with `cornerSubPix` at full size) and keeps views that differ from the last one kept;
`fit_camera(...)` turns the views into intrinsics and reports the RMS reprojection error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.calibration.intrinsics import Intrinsics

DETECT_MAX_SIDE = 960  # px: larger frames are searched at reduced size, refined at full size
DUPLICATE_FRACTION = 0.01  # a view whose corners moved less than this x diagonal is a repeat
FIND_FLAGS = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE | cv2.CALIB_CB_FAST_CHECK
SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 0.001)
MIN_VIEWS = 3
PATTERN_RANGE = (3, 100)  # inner corners per side: OpenCV's board finder needs 3 or more


def board_points(pattern: tuple[int, int], square: float) -> npt.NDArray[np.float32]:
    """(cols*rows, 3) corner positions on the board in metres, in findChessboardCorners order."""
    cols, rows = pattern
    grid = np.mgrid[0:cols, 0:rows].T.reshape(-1, 2)
    return np.c_[grid * square, np.zeros(len(grid))].astype(np.float32)


def find_corners(gray: npt.NDArray[np.uint8], pattern: tuple[int, int]
                 ) -> npt.NDArray[np.float32] | None:
    """(cols*rows, 2) sub-pixel inner corners of the board in `gray`, or None."""
    h, w = gray.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale,
                                                 interpolation=cv2.INTER_AREA)
    found, corners = cv2.findChessboardCorners(small, pattern, None, FIND_FLAGS)
    if not found:
        return None
    corners = (corners.reshape(-1, 2) / scale).astype(np.float32)
    # the refinement window must stay inside one square
    spacing = float(np.min(np.linalg.norm(np.diff(corners[:pattern[0]], axis=0), axis=1)))
    half = int(max(2, min(11, spacing * 0.4)))
    refined = cv2.cornerSubPix(gray, corners.reshape(-1, 1, 2), (half, half), (-1, -1),
                               SUBPIX_CRITERIA)
    return refined.reshape(-1, 2)


@dataclass
class BoardFinder:
    """Collects board views from frames; repeats of the last view kept are skipped."""

    pattern: tuple[int, int]
    size: tuple[int, int] | None = None  # (w, h) of the frames
    frames: int = 0
    found: int = 0
    views: list[npt.NDArray[np.float32]] = field(default_factory=list)
    view_frames: list[int] = field(default_factory=list)

    def add(self, index: int, image: npt.NDArray[np.uint8]) -> bool:
        """Search one frame; True when it gave a new view. Frames must share one size."""
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        size = (gray.shape[1], gray.shape[0])
        if self.size is None:
            self.size = size
        elif size != self.size:
            raise ValueError(f"frame {index} is {size[0]}x{size[1]}, the first was "
                             f"{self.size[0]}x{self.size[1]}")
        self.frames += 1
        corners = find_corners(gray, self.pattern)
        if corners is None:
            return False
        self.found += 1
        diagonal = float(np.hypot(*size))
        if self.views and np.mean(np.linalg.norm(corners - self.views[-1], axis=1)) < \
                DUPLICATE_FRACTION * diagonal:
            return False
        self.views.append(corners)
        self.view_frames.append(index)
        return True


@dataclass(frozen=True)
class CameraFit:
    """The result of calibrateCamera: intrinsics, RMS reprojection error (px), views used, and
    each view's RMS error (px)."""

    intrinsics: Intrinsics
    rms: float
    view_frames: tuple[int, ...]
    view_errors: tuple[float, ...]


def spread(items: list, limit: int) -> list[int]:
    """Indices of at most `limit` items, evenly spread over the list."""
    if len(items) <= limit:
        return list(range(len(items)))
    return sorted({round(i) for i in np.linspace(0, len(items) - 1, limit)})


def fit_camera(finder: BoardFinder, square: float, max_views: int = 40) -> CameraFit:
    """Calibrate from the finder's views (at most `max_views`, at least MIN_VIEWS, spread
    over the sequence); ValueError when there are too few or OpenCV cannot fit them."""
    if max_views < MIN_VIEWS:
        raise ValueError(f"at least {MIN_VIEWS} views are needed, max_views is {max_views}")
    if len(finder.views) < MIN_VIEWS or finder.size is None:
        raise ValueError(f"found the {finder.pattern[0]}x{finder.pattern[1]} board in "
                         f"{len(finder.views)} distinct views of {finder.frames} frames; "
                         f"at least {MIN_VIEWS} are needed")
    chosen = spread(finder.views, max_views)
    obj = board_points(finder.pattern, square)
    image_pts = [finder.views[i].reshape(-1, 1, 2) for i in chosen]
    try:
        rms, matrix, dist, rvecs, tvecs = cv2.calibrateCamera(
            [obj] * len(chosen), image_pts, finder.size, None, None)
    except cv2.error as exc:
        raise ValueError(f"OpenCV cannot calibrate from these {len(chosen)} views: "
                         f"{str(exc).strip().splitlines()[-1]}") from None
    errors = []
    for pts, rvec, tvec in zip(image_pts, rvecs, tvecs):
        projected, _ = cv2.projectPoints(obj, rvec, tvec, matrix, dist)
        errors.append(float(np.sqrt(np.mean(np.sum((projected - pts) ** 2, axis=-1)))))
    intrinsics = Intrinsics(np.asarray(matrix, np.float64),
                            np.asarray(dist, np.float64).reshape(-1), finder.size)
    return CameraFit(intrinsics, float(rms), tuple(finder.view_frames[i] for i in chosen),
                     tuple(errors))
