"""Frame sources behind one interface, chosen by a source string.

`open_source("demo")`, `open_source("0")`, `open_source("/dev/video2")`, `open_source("a.mp4")`,
`open_source("rtsp://...")`, `open_source("frames/*.png")`, `open_source("auto")`.
Every frame carries its index and a timestamp in seconds; speeds use those timestamps.
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from tracker.demo import DemoScene

Image = npt.NDArray[np.uint8]

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
GLOB_CHARS = set("*?[")
AUTO_CAMERA_TIMEOUT_S = 2.0
NETWORK_TIMEOUT_MS = 5000
DEFAULT_FPS = 30.0
DEMO_QUEUE_FRAMES = 4  # frames a live demo holds for a late reader, as V4L2 queues 4 buffers


class SourceError(Exception):
    """A source a user named cannot be opened; the message says what and why."""


class SourceLost(Exception):
    """A live source stopped delivering frames (read failure, stall, unplugged)."""


@dataclass(frozen=True)
class Frame:
    """One frame: BGR pixels, its index from the start and its time in seconds.

    `restart` marks the first frame after a discontinuity (a loop or a reconnect): what came
    before does not continue into it.
    """

    index: int
    t: float
    image: Image
    restart: bool = False


class Source(ABC):
    """A stream of frames. `read()` returns the next frame, or None when a file has ended."""

    name: str = ""
    live: bool = False
    nominal_fps: float = 0.0

    def __init__(self) -> None:
        self.size: tuple[int, int] = (0, 0)
        self._pace_origin: tuple[float, float] | None = None  # (wall clock, frame time)

    @abstractmethod
    def read(self) -> Frame | None: ...

    def close(self) -> None:  # noqa: B027 - most sources have nothing to release
        """Release the device or file."""

    def resync(self) -> None:
        """Restart real-time pacing from the next frame (after a pause), dropping nothing."""
        self._pace_origin = None

    def pace(self, t: float) -> None:
        """Sleep until frame time `t` is due on the wall clock (for real-time playback)."""
        now = time.monotonic()
        if self._pace_origin is None or t < self._pace_origin[1]:
            self._pace_origin = (now, t)
            return
        due = self._pace_origin[0] + (t - self._pace_origin[1])
        if due > now:
            time.sleep(due - now)
        elif now - due > 1.0:  # fell far behind: resynchronise instead of racing
            self._pace_origin = (now, t)

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        w, h = self.size
        fps = f" @ {self.nominal_fps:.4g} fps" if self.nominal_fps else ""
        return f"{self.name} {w}x{h}{fps}" if w else f"{self.name}{fps}"


class DemoSource(Source):
    """The synthetic demo scene; `paced` plays it in real time at `fps`."""

    live = True

    def __init__(self, fps: float = 30.0, paced: bool = True, frames: int = 0,
                 scene: DemoScene | None = None) -> None:
        super().__init__()
        self.scene = scene or DemoScene()
        self.name, self.nominal_fps, self.paced = "demo", fps, paced
        self.frames = frames  # 0 = endless
        self.size = (self.scene.width, self.scene.height)
        self.dropped = 0  # frames a live reader was too late for, as a camera drops them
        self._index = 0
        self._start: float | None = None

    def resync(self) -> None:
        super().resync()
        self._start = None

    def read(self) -> Frame | None:
        if self.paced:  # like a camera: a reader more than its queue behind loses frames
            now = time.monotonic()
            if self._start is None:
                self._start = now - self._index / self.nominal_fps
            oldest = int((now - self._start) * self.nominal_fps) - DEMO_QUEUE_FRAMES + 1
            if oldest > self._index:
                self.dropped += oldest - self._index
                self._index = oldest
        if self.frames and self._index >= self.frames:
            return None
        t = self._index / self.nominal_fps
        if self.paced:
            self.pace(t)
        frame = Frame(self._index, t, self.scene.render(t))
        self._index += 1
        return frame


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


class CaptureSource(Source):
    """A camera, video file or network stream read through cv2.VideoCapture."""

    def __init__(self, cap: cv2.VideoCapture, name: str, *, live: bool, paced: bool = False,
                 loop: bool = False) -> None:
        super().__init__()
        self.cap, self.name, self.live = cap, name, live
        self.paced, self.loop = paced or live, loop and not live
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = fps if 0 < fps < 1000 else 0.0
        self.size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.frame_count = 0 if live else max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        self._index = 0
        self._pos = 0  # frames read since the file (re)started
        self._t_offset = 0.0  # added to file time after each loop
        self._last_t = -1.0
        self._restart = False
        self._clock = CaptureClock()

    def _file_time(self) -> float:
        msec = self.cap.get(cv2.CAP_PROP_POS_MSEC)
        by_index = self._pos / self.nominal_fps if self.nominal_fps else float(self._pos)
        if self._pos > 0 and (not np.isfinite(msec) or msec <= 0):
            return by_index  # the container gives no timestamps
        return msec / 1000.0

    def read(self) -> Frame | None:
        ok, image = self.cap.read()
        if not ok or image is None:
            if self.live:
                raise SourceLost(f"{self.name}: no frame")
            if self.loop and self._pos > 0:
                self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                self._t_offset = self._last_t + (1 / self.nominal_fps if self.nominal_fps
                                                 else 0.04)
                self._pos, self._restart = 0, True
                self._pace_origin = None
                ok, image = self.cap.read()
            if not ok or image is None:
                return None
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if self.live:
            t = self._clock.stamp(self.cap.get(cv2.CAP_PROP_POS_MSEC), time.monotonic())
        else:
            t = self._t_offset + self._file_time()
        if self.paced and not self.live:
            self.pace(t)
        frame = Frame(self._index, t, image, restart=self._restart)
        self._index, self._pos, self._last_t, self._restart = (
            self._index + 1, self._pos + 1, t, False)
        self.size = (image.shape[1], image.shape[0])
        return frame

    def close(self) -> None:
        self.cap.release()


class ImageSequenceSource(Source):
    """Images matched by a glob, in name order, at a given fps."""

    def __init__(self, pattern: str, fps: float = 30.0, paced: bool = False,
                 loop: bool = False) -> None:
        super().__init__()
        self.paths = sorted(glob.glob(pattern))
        if not self.paths:
            raise SourceError(f"no files match {pattern!r}")
        self.name, self.nominal_fps, self.paced, self.loop = pattern, fps, paced, loop
        self._index = 0
        self.skipped = 0  # unreadable images passed over
        quiet_backend_logs()
        first = cv2.imread(self.paths[0], cv2.IMREAD_COLOR)
        if first is None:
            raise SourceError(f"not an image OpenCV can read: {self.paths[0]}")
        self.size = (first.shape[1], first.shape[0])

    def read(self) -> Frame | None:
        """The next readable image; unreadable ones are skipped (and counted), and a whole
        round of them (every file gone) ends the sequence instead of spinning."""
        n = len(self.paths)
        restart = False
        for _ in range(n):
            if self._index >= n and not self.loop:
                return None
            path = self.paths[self._index % n]
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            t = self._index / self.nominal_fps
            restart |= self.loop and self._index > 0 and self._index % n == 0
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
    quiet_backend_logs()
    cap = cv2.VideoCapture()
    with contextlib.suppress(cv2.error):
        cap.open(target, backend, params)
    return cap


def open_camera(device: int | str, width: int = 0, height: int = 0, fps: float = 0) -> Source:
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


def open_file(path: str, paced: bool = False, loop: bool = False) -> Source:
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


def open_url(url: str) -> Source:
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS,
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS]
    cap = _open_capture(url, cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        raise SourceError(f"cannot open stream {url}")
    return CaptureSource(cap, url, live=True)


def _camera_delivers(device: int, timeout: float) -> cv2.VideoCapture | None:
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


def open_source(spec: str, *, paced: bool = True, loop: bool = False, fps: float | None = None,
                width: int = 0, height: int = 0, resilient: bool = True) -> Source:
    """Open the source named by `spec`; raise SourceError with a one-line reason.

    `paced` plays files (and the demo) in real time; unpaced files run as fast as possible.
    `fps` is the rate of the demo and of image sequences (default 30), and the rate requested
    of a camera (default: its own). With `resilient`, cameras and streams come wrapped in a
    `tracker.resilient.ResilientSource`: they reconnect after a fault instead of failing.
    """
    source = _open_plain(spec, paced=paced, loop=loop, fps=fps, width=width, height=height)
    if not (resilient and isinstance(source, CaptureSource) and source.live):
        return source
    from tracker.resilient import ResilientSource

    again = "0" if spec.strip() == "auto" else spec  # a lost auto camera comes back as camera 0
    wrapped = ResilientSource(
        lambda: _open_plain(again, paced=paced, fps=fps, width=width, height=height), source)
    choice = getattr(source, "auto_choice", None)
    if choice:
        wrapped.auto_choice = choice  # type: ignore[attr-defined]
    return wrapped


def _open_plain(spec: str, *, paced: bool = True, loop: bool = False, fps: float | None = None,
                width: int = 0, height: int = 0) -> Source:
    spec = spec.strip()
    rate = fps or DEFAULT_FPS
    if spec == "demo":
        return DemoSource(fps=rate, paced=paced)
    if spec == "auto":
        if not os.path.exists("/dev/video0") and os.name == "posix":
            cap = None
        else:
            cap = _camera_delivers(0, AUTO_CAMERA_TIMEOUT_S)
        if cap is not None:
            source: Source = CaptureSource(cap, "camera 0", live=True)
            source.auto_choice = "camera 0"  # type: ignore[attr-defined]
            return source
        demo = DemoSource(fps=rate, paced=paced)
        demo.auto_choice = "demo (no camera delivered a frame)"  # type: ignore[attr-defined]
        return demo
    if spec.lower().startswith(URL_SCHEMES):
        return open_url(spec)
    if spec.isdigit():
        return open_camera(int(spec), width, height, fps or 0)
    if spec.startswith("/dev/video"):
        return open_camera(spec, width, height, fps or 0)
    if GLOB_CHARS & set(spec) and not os.path.exists(spec):
        return ImageSequenceSource(spec, fps=rate, paced=paced, loop=loop)
    return open_file(spec, paced=paced, loop=loop)
