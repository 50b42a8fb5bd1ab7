"""Annotated frames to files: a PNG, or a video written frame by frame with OpenCV.

Both are whole or absent under the requested name (`tracker.files.atomic`): a PNG is encoded
in memory and written in one go; a video is written under a hidden temporary name beside it,
and `close()` checks it, flushes it to the disk and renames it. OpenCV reports no write error
(a full disk only shows in its log), so the check reopens the video and counts its frames.
Frames smaller than an encoder takes safely are padded before it sees them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.errors import OutputError, WriteError
from flowtop.tracker.files.atomic import AtomicFile, write_file
from flowtop.tracker.files.paths import check_output, is_special

U8 = npt.NDArray[np.uint8]
DEFAULT_FPS = 30.0
RATE_FRAMES = 15  # timed frames held to measure the rate before the file opens
FOURCCS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "mp4v", ".avi": "MJPG"}
# px: FFmpeg's MJPG encoder, as OpenCV drives it, corrupts memory (the process aborts) on
# frames narrower than 8 px (a sweep of every size from 1x1 to 32x32); 16 keeps a margin
MIN_SIDE = {"MJPG": 16}
FULL_DISK_BYTES = 1 << 16  # free space below which a finished video is taken as cut short


def encode_png(image: U8) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OutputError("cannot encode the frame as PNG")
    return data.tobytes()


def write_png(path: Path, image: U8, force: bool = False, flag: str = "--png") -> Path:
    """Write BGR `image` to `path` as PNG, whole or not at all; without `force`, an existing
    file is kept."""
    check_output(path, force, flag)
    return write_file(path, encode_png(image), force, flag)


def check_video_path(path: Path, force: bool = False, flag: str = "--out") -> None:
    """Refuse a video path OpenCV cannot write (by its suffix) or may not overwrite."""
    if path.suffix.lower() not in FOURCCS:
        raise OutputError(f"{flag} {path}: a video must end in {', '.join(FOURCCS)}")
    check_output(path, force, flag)
    if is_special(path):
        raise OutputError(f"{flag} {path} is not a regular file (OpenCV writes a video in "
                          f"place, it cannot stream one)")


def padded_size(size: tuple[int, int], fourcc: str) -> tuple[int, int]:
    """`size` (w, h) grown to the smallest frame `fourcc` takes safely."""
    least = MIN_SIDE.get(fourcc, 1)
    return max(size[0], least), max(size[1], least)


def pad(image: U8, size: tuple[int, int]) -> U8:
    """`image` with black added right and below up to `size` (w, h)."""
    h, w = image.shape[:2]
    if (w, h) == size:
        return image
    return cv2.copyMakeBorder(image, 0, size[1] - h, 0, size[0] - w, cv2.BORDER_CONSTANT,
                              value=0)


def disk_free(folder: Path) -> int:
    """Bytes this process may still write in `folder`'s file system (root: the reserve too)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return FULL_DISK_BYTES
    blocks = st.f_bfree if os.geteuid() == 0 else st.f_bavail
    return blocks * st.f_frsize


def frames_in(path: Path) -> int:
    """Frames OpenCV finds in the video `path` (0 when it does not open)."""
    cap = cv2.VideoCapture(str(path))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    finally:
        cap.release()


class VideoRecorder:
    """Frames of one size into a video at `fps`; the first frame fixes the size.

    Frames given with their time (`write(image, t)`) keep to the frames' clock: the rate is
    measured on the first RATE_FRAMES frames (the given `fps` wins when within 1% of it, so
    29.97 stays 29.97), and later a frame is repeated or dropped so that each shows at its
    own time: a clip plays as long as it lasted, whatever its container claims.
    Frames of another size (a camera that changed mode) are scaled to it. `close()` finishes
    the file and moves it to `path`; `discard()` deletes what was written. The temporary file
    is created at once, so an unwritable folder is refused before any frame.
    """

    def __init__(self, path: Path, fps: float, force: bool = False,
                 flag: str = "--out") -> None:
        from flowtop.tracker.sources.capture import quiet_backend_logs

        check_video_path(path, force, flag)
        quiet_backend_logs()  # OpenCV's own "failed to write" lines: the check says it once
        self.path = path
        self.fps = fps if 0 < fps < 1000 else DEFAULT_FPS
        self._hint = fps if 0 < fps < 1000 else 0.0
        self.fourcc = FOURCCS[path.suffix.lower()]
        self.file = AtomicFile(path, force, flag)
        self.partial = self.file.temp
        self.source_size: tuple[int, int] | None = None
        self.size: tuple[int, int] | None = None  # of the video: source_size, padded
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._early: list[tuple[U8, float]] = []  # timed frames before the rate is known
        self._t0 = 0.0
        self._next_slot = 0

    def write(self, image: U8, t: float | None = None) -> None:
        """Append one BGR (or gray) frame; with its time `t` in seconds, at that time (see
        the class)."""
        if t is None:
            self._put(image)
        elif self._writer is None:
            self._early.append((image, t))
            if len(self._early) >= RATE_FRAMES:
                self._start_timed()
        else:
            self._place(image, t)

    def _start_timed(self) -> None:
        """Measure the rate on the frames held, open the file and write them."""
        early, self._early = self._early, []
        span = early[-1][1] - early[0][1]
        if len(early) > 1 and span > 0:
            rate = (len(early) - 1) / span
            self.fps = self._hint if self._hint and abs(rate / self._hint - 1) < 0.01 else rate
        self._t0 = early[0][1]
        for image, t in early:
            self._place(image, t)

    def _place(self, image: U8, t: float) -> None:
        slot = round((t - self._t0) * self.fps)
        for _ in range(max(0, slot - self._next_slot + 1)):
            self._put(image)
        self._next_slot = max(self._next_slot, slot + 1)

    def _put(self, image: U8) -> None:
        h, w = image.shape[:2]
        if self._writer is None:
            self._open((w, h))
        assert self._writer is not None and self.source_size and self.size
        if (w, h) != self.source_size:
            image = cv2.resize(image, self.source_size, interpolation=cv2.INTER_AREA)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        self._writer.write(pad(image, self.size))
        self.frames += 1

    def _open(self, size: tuple[int, int]) -> None:
        video_size = padded_size(size, self.fourcc)
        writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(*self.fourcc),
                                 self.fps, video_size)
        if not writer.isOpened():
            writer.release()
            self.discard()
            raise OutputError(f"cannot write {self.path}: OpenCV has no {self.fourcc} encoder "
                              f"for {self.path.suffix} files")
        self._writer, self.source_size, self.size = writer, size, video_size

    def close(self) -> Path | None:
        """Finish the file, check it holds every frame, and give it its name; None when no
        frame was written. WriteError (and nothing under `path`) when the video is cut."""
        if self._early:
            self._start_timed()
        if self._writer is None or not self.frames:
            self.discard()
            return None
        self._writer.release()
        self._writer = None
        try:
            self._check_whole()
        except WriteError:
            self.discard()
            raise
        return self.file.commit()

    def _check_whole(self) -> None:
        found = frames_in(self.partial)
        full = disk_free(self.partial.parent) < FULL_DISK_BYTES
        if found + 1 >= self.frames and not full:  # containers may round their count by one
            return
        why = "No space left on device" if full else "OpenCV could not finish the video"
        if found + 1 < self.frames:
            why += f" (it holds {found} of {self.frames} frames)"
        raise WriteError(f"cannot write {self.path}: {why}")

    def discard(self) -> None:
        """Stop and delete the partial file."""
        self._early = []
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(OSError):
            self.file.discard()
