"""Annotated frames to files: a PNG, or a video written frame by frame with OpenCV.

Both refuse to replace an existing file unless forced (the rules of `writers.open_output`)
and never leave half a file under the requested name: a PNG is encoded in memory and written
in one call; a video is written under a hidden temporary name beside it and moved into place
by `close()`, so a run stopped by a signal still ends in a whole, playable file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.errors import OutputError
from flowtop.tracker.output.rows import check_output

U8 = npt.NDArray[np.uint8]
DEFAULT_FPS = 30.0
RATE_FRAMES = 15  # timed frames held to measure the rate before the file opens
FOURCCS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "mp4v", ".avi": "MJPG"}


def encode_png(image: U8) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OutputError("cannot encode the frame as PNG")
    return data.tobytes()


def write_png(path: Path, image: U8, force: bool = False, flag: str = "--png") -> Path:
    """Write BGR `image` to `path` as PNG; without `force`, an existing file is kept."""
    check_output(path, force, flag)
    data = encode_png(image)
    try:
        with path.open("wb" if force else "xb") as fh:
            fh.write(data)
    except FileExistsError:
        raise OutputError(f"{flag} {path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def check_video_path(path: Path, force: bool = False) -> None:
    """Refuse a video path OpenCV cannot write (by its suffix) or may not overwrite."""
    if path.suffix.lower() not in FOURCCS:
        raise OutputError(f"--out {path}: a video must end in {', '.join(FOURCCS)}")
    check_output(path, force)


class VideoRecorder:
    """Frames of one size into a video at `fps`; the first frame fixes the size.

    Frames given with their time (`write(image, t)`) keep to the frames' clock: the rate is
    measured on the first RATE_FRAMES frames (the given `fps` wins when within 1% of it, so
    29.97 stays 29.97), and later a frame is repeated or dropped so that each shows at its
    own time: a clip plays as long as it lasted, whatever its container claims.
    Frames of another size (a camera that changed mode) are scaled to it. `close()` finishes
    the file and moves it to `path`; `discard()` deletes what was written.
    """

    def __init__(self, path: Path, fps: float, force: bool = False) -> None:
        check_video_path(path, force)
        self.path, self.force = path, force
        self.fps = fps if 0 < fps < 1000 else DEFAULT_FPS
        self._hint = fps if 0 < fps < 1000 else 0.0
        self.fourcc = FOURCCS[path.suffix.lower()]
        self.partial = path.with_name(f".{path.stem}.part{path.suffix}")
        self.size: tuple[int, int] | None = None
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._early: list[tuple[U8, float]] = []  # timed frames before the rate is known
        self._t0 = 0.0
        self._next_slot = 0

    def write(self, image: U8, t: float | None = None) -> None:
        """Append one BGR frame; with its time `t` in seconds, at that time (see the class)."""
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
        assert self._writer is not None and self.size is not None
        if (w, h) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        self._writer.write(image)
        self.frames += 1

    def _open(self, size: tuple[int, int]) -> None:
        writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(*self.fourcc),
                                 self.fps, size)
        if not writer.isOpened():
            writer.release()
            with contextlib.suppress(OSError):
                self.partial.unlink()
            raise OutputError(f"cannot write {self.path}: OpenCV has no {self.fourcc} encoder "
                              f"for {self.path.suffix} files")
        self._writer, self.size = writer, size

    def close(self) -> Path | None:
        """Finish the file and give it its name; None when no frame was written."""
        if self._early:
            self._start_timed()
        if self._writer is None:
            return None
        self._writer.release()
        self._writer = None
        if not self.frames:
            self.discard()
            return None
        if self.path.exists() and not self.force:  # appeared while recording
            raise OutputError(f"--out {self.path} appeared while recording; the video is "
                              f"in {self.partial}")
        try:
            os.replace(self.partial, self.path)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}; the video "
                              f"is in {self.partial}") from None
        return self.path

    def discard(self) -> None:
        """Stop and delete the partial file."""
        self._early = []
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(OSError):
            self.partial.unlink()
