"""Cameras, video files, network streams and image sequences, read through OpenCV."""

from __future__ import annotations

import contextlib
import glob
import math
import os
import signal
import threading
import time
from pathlib import Path

import cv2

from flowtop.tracker.contracts import Frame
from flowtop.tracker.errors import SourceError, SourceLost
from flowtop.tracker.redact import redact
from flowtop.tracker.sources.base import SourceBase

NETWORK_TIMEOUT_MS = 5000
OPEN_WAIT_STEP_S = 0.1
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # for the thread that waits


class CaptureClock:
    """Capture times of live frames, in monotonic seconds.

    A camera queues frames (V4L2 holds several buffers) and a stream arrives in bursts, so
    the time a frame is read says little about when it was taken: two queued frames read 1 ms
    apart hold 33 ms of motion. The backend's own timestamp (V4L2 buffer time, a stream's
    presentation time) is kept, mapped onto the monotonic clock; arrival time stands in when
    the backend has none, goes backwards, or strays more than MAX_LAG_S from arrival.
    """

    MAX_LAG_S = 1.0

    def __init__(self) -> None:
        self._anchor: tuple[float, float] | None = None  # (monotonic, backend) seconds
        self._last = -math.inf

    def stamp(self, backend_ms: float, arrived: float) -> float:
        backend = backend_ms / 1000.0
        t = arrived
        if math.isfinite(backend) and backend > 0:
            if self._anchor is not None:
                mapped = self._anchor[0] + (backend - self._anchor[1])
                if self._last < mapped <= arrived and arrived - mapped <= self.MAX_LAG_S:
                    t = mapped
                else:
                    self._anchor = (arrived, backend)  # a jump or a reset: start again
            else:
                self._anchor = (arrived, backend)
        else:
            self._anchor = None
        t = max(t, self._last + 1e-6)  # frame times only move forward
        self._last = t
        return t


class FileClock:
    """Times of a file's frames, in seconds, that never run backwards.

    The container's timestamp (CAP_PROP_POS_MSEC) is kept while it moves forward; a missing,
    repeated or backwards one (some AVIs report 0 ms for their last frame) is replaced by the
    last time plus the last frame interval seen (1 / nominal fps until one is seen), so the
    clock goes on without a jump.
    """

    def __init__(self, nominal_fps: float = 0.0) -> None:
        self._step = 1.0 / nominal_fps if nominal_fps > 0 else 1.0 / 30.0
        self._last: float | None = None

    @property
    def step(self) -> float:
        """The frame interval in use, seconds."""
        return self._step

    def stamp(self, msec: float) -> float:
        t = msec / 1000.0
        if self._last is None:
            self._last = t if math.isfinite(t) and t >= 0 else 0.0
        elif math.isfinite(t) and t > self._last + 1e-6:  # forward beyond rounding
            self._step, self._last = t - self._last, t
        else:
            self._last += self._step
        return self._last


class CaptureSource(SourceBase):
    """A camera, video file or network stream read through cv2.VideoCapture."""

    def __init__(self, cap: cv2.VideoCapture, name: str, *, live: bool, paced: bool = False,
                 loop: bool = False, auto_choice: str = "") -> None:
        super().__init__(auto_choice)
        self.cap, self.name, self.live = cap, name, live
        self.paced, self.loop = paced or live, loop and not live
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = fps if 0 < fps < 1000 else 0.0
        self.size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.frame_count = 0 if live else max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        if self.frame_count and self.nominal_fps:
            self.duration_s = self.frame_count / self.nominal_fps
        self._index = 0
        self._pos = 0  # frames read since the file (re)started
        self._t_offset = 0.0  # added to file time after each loop
        self._last_t = -1.0
        self._restart = False
        self._clock = CaptureClock()
        self._file_clock = FileClock(self.nominal_fps)

    def rewind(self) -> bool:
        """Back to the first frame of a file; its times go on from the last frame's."""
        if self.live or self._pos == 0:
            return not self.live
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        step = self._file_clock.step  # the new round starts a frame after the last one
        self._t_offset = self._last_t + step
        self._file_clock = FileClock(1.0 / step)
        self._pos, self._restart = 0, True
        self._pace_origin = None
        return True

    def read(self) -> Frame | None:
        ok, image = self.cap.read()
        if not ok or image is None:
            if self.live:
                raise SourceLost(f"{self.name}: no frame")
            if self.loop and self._pos > 0:
                self.rewind()
                ok, image = self.cap.read()
            if not ok or image is None:
                return None
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if self.live:
            t = self._clock.stamp(self.cap.get(cv2.CAP_PROP_POS_MSEC), time.monotonic())
        else:
            file_t = self._file_clock.stamp(self.cap.get(cv2.CAP_PROP_POS_MSEC))
            if self._restart:  # a new round starts exactly one frame after the last
                self._t_offset -= file_t
            t = self._t_offset + file_t
        if self.paced and not self.live:
            self.pace(t)
        frame = Frame(self._index, t, image, restart=self._restart)
        self._index, self._pos, self._last_t, self._restart = (
            self._index + 1, self._pos + 1, t, False)
        self.size = (image.shape[1], image.shape[0])
        return frame

    def close(self) -> None:
        self.cap.release()


class ImageSequenceSource(SourceBase):
    """Images matched by a glob, in name order, at a given fps."""

    def __init__(self, pattern: str, fps: float = 30.0, paced: bool = False,
                 loop: bool = False) -> None:
        super().__init__()
        self.paths = sorted(glob.glob(pattern))
        if not self.paths:
            raise SourceError(f"no files match {pattern!r}")
        self.name, self.nominal_fps, self.paced, self.loop = pattern, fps, paced, loop
        self.frame_count = 0 if loop else len(self.paths)
        self._end = len(self.paths)  # index where reading stops (unless looping)
        self.duration_s = len(self.paths) / fps
        self._index = 0
        quiet_backend_logs()
        first = cv2.imread(self.paths[0], cv2.IMREAD_COLOR)
        if first is None:
            raise SourceError(f"not an image OpenCV can read: {self.paths[0]}")
        self.size = (first.shape[1], first.shape[0])

    def rewind(self) -> bool:
        """Back to the first image; times go on from where they were."""
        n = len(self.paths)
        self._index = -(-self._index // n) * n  # the start of the next round
        self._end = self._index + n
        self._pace_origin = None
        return True

    def read(self) -> Frame | None:
        """The next readable image; unreadable ones are skipped (and counted), and a whole
        round of them (every file gone) ends the sequence instead of spinning."""
        n = len(self.paths)
        restart = False
        for _ in range(n):
            if self._index >= self._end and not self.loop:
                return None
            path = self.paths[self._index % n]
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            t = self._index / self.nominal_fps
            restart |= self._index > 0 and self._index % n == 0  # a loop or a rewind
            self._index += 1
            if image is None:
                self.skipped += 1
                continue
            if self.paced:
                self.pace(t)
            return Frame(self._index - 1, t, image, restart=restart)
        return None


def quiet_backend_logs() -> None:
    """Keep OpenCV's and FFmpeg's own warnings off stderr (they would garble a TUI and turn a
    one-line error into several). A user's OPENCV_LOG_LEVEL / OPENCV_FFMPEG_LOGLEVEL wins."""
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read at first open


def _open_capture(target: int | str, backend: int, params: list[int]) -> cv2.VideoCapture:
    """Open `target` in a helper thread, waited for in short steps: a backend that blocks (a
    stream's open timeout, a FIFO with no writer) does not hold up a KeyboardInterrupt in the
    waiting thread; an abandoned open ends by itself. The helper blocks the stop signals, so
    they reach the waiting thread and never cut the backend's own calls short."""
    quiet_backend_logs()
    cap = cv2.VideoCapture()

    def attempt() -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        with contextlib.suppress(cv2.error):
            cap.open(target, backend, params)

    opener = threading.Thread(target=attempt, daemon=True, name="open-capture")
    opener.start()
    while opener.is_alive():
        opener.join(OPEN_WAIT_STEP_S)
    return cap


def open_camera(device: int | str, width: int = 0, height: int = 0, fps: float = 0
                ) -> CaptureSource:
    """A camera by index or device path, with optional requested mode."""
    if isinstance(device, str) and not os.path.exists(device):
        raise SourceError(f"camera {device} does not exist")
    backend = cv2.CAP_V4L2 if os.name == "posix" else cv2.CAP_ANY
    cap = _open_capture(device, backend, [])
    if not cap.isOpened():
        raise SourceError(f"camera {device} does not open")
    if width:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    if height:
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    if fps:
        cap.set(cv2.CAP_PROP_FPS, fps)
    return CaptureSource(cap, f"camera {device}", live=True)


def open_file(path: str, paced: bool = False, loop: bool = False) -> CaptureSource:
    p = Path(path)
    if not p.exists():
        raise SourceError(f"no such file: {path}")
    if p.is_dir():
        raise SourceError(f"{path} is a directory, not a video")
    if not os.access(p, os.R_OK):
        raise SourceError(f"cannot read {path}: permission denied")
    cap = _open_capture(str(p), cv2.CAP_FFMPEG, [])
    if not cap.isOpened():
        cap = _open_capture(str(p), cv2.CAP_ANY, [])
    if not cap.isOpened():
        raise SourceError(f"not a video OpenCV can decode: {path}")
    source = CaptureSource(cap, p.name, live=False, paced=paced, loop=loop)
    if source.size[0] <= 0 or source.size[1] <= 0:
        source.close()
        raise SourceError(f"not a video OpenCV can decode: {path}")
    return source


def stream_capture(url: str) -> cv2.VideoCapture:
    """A network stream opened through FFmpeg, with open and read timeouts."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS,
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS]
    return _open_capture(url, cv2.CAP_FFMPEG, params)


def open_url(url: str) -> CaptureSource:
    """A network stream; it is named, and errors show it, without its credentials."""
    cap = stream_capture(url)
    if not cap.isOpened():
        raise SourceError(f"cannot open stream {redact(url)}")
    return CaptureSource(cap, redact(url), live=True)


def camera_delivers(device: int, timeout: float) -> cv2.VideoCapture | None:
    """Open camera `device` and read one frame within `timeout` seconds, or give up."""
    result: list[cv2.VideoCapture] = []

    def attempt() -> None:
        cap = _open_capture(device, cv2.CAP_ANY, [])
        if cap.isOpened() and cap.read()[0]:
            result.append(cap)
        else:
            cap.release()

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout)
    return result[0] if result else None


