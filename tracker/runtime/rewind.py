"""The rewind buffer: the last stretch of a source, JPEG-encoded in memory within a budget.

`FrameRing.add(frame)` encodes each frame (about 1 ms and 48 KB for 640x360 at quality 85,
so 30 s at 30 fps take 42 MB) and drops the oldest frames while the ring holds more than
`replay.seconds` of source time or more than `replay.max_mb`. `clip()` hands out the frames
held now as an immutable `Clip`; `ClipSource` plays a clip like a file (paced, looping), and
`write_clip` writes it as a video, so the footage can be tuned again elsewhere.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from flowtop.tracker.config.params import ReplayParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.errors import OutputError
from flowtop.tracker.output.video import VideoRecorder
from flowtop.tracker.sources.base import SourceBase

MB = 1024 * 1024
ENTRY_OVERHEAD = 200  # bytes of Python objects around each frame's JPEG bytes (measured: 140)


@dataclass(frozen=True, slots=True)
class Encoded:
    """One buffered frame: its index, time and restart mark, and its pixels as JPEG."""

    index: int
    t: float
    restart: bool
    data: bytes

    @property
    def nbytes(self) -> int:
        return len(self.data) + ENTRY_OVERHEAD

    def decode(self, restart: bool | None = None) -> Frame:
        """The frame (the same pixels every time); `restart` overrides its mark."""
        image = cv2.imdecode(np.frombuffer(self.data, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:  # pragma: no cover - the bytes came from imencode
            raise ValueError(f"buffered frame {self.index} does not decode")
        return Frame(self.index, self.t, image, self.restart if restart is None else restart)


def encode(frame: Frame, quality: int) -> Encoded:
    ok, data = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - imencode takes any 8-bit image
        raise ValueError(f"frame {frame.index} does not encode as JPEG")
    return Encoded(frame.index, frame.t, frame.restart, data.tobytes())


@dataclass(frozen=True)
class Clip:
    """Frames held at one moment, oldest first; immutable, so any thread may keep it."""

    frames: tuple[Encoded, ...] = ()

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Encoded]:
        return iter(self.frames)

    def __getitem__(self, i: int) -> Encoded:
        return self.frames[i]

    @property
    def seconds(self) -> float:
        """Source time from the first frame to the last."""
        return self.frames[-1].t - self.frames[0].t if len(self.frames) > 1 else 0.0

    @property
    def fps(self) -> float:
        """Mean frame rate of the clip (0 with fewer than two frames)."""
        return (len(self.frames) - 1) / self.seconds if self.seconds > 0 else 0.0

    @property
    def nbytes(self) -> int:
        return sum(f.nbytes for f in self.frames)


def record_clip(frames: Iterable[Frame], quality: int) -> Clip:
    """Every frame of `frames`, encoded, as a clip (no budget: the caller bounds them)."""
    return Clip(tuple(encode(frame, quality) for frame in frames))


class FrameRing:
    """The newest frames within `params.seconds` of source time and `params.max_mb` of
    memory. `add` from one thread; `clip`, `seconds` and `nbytes` from any."""

    def __init__(self, params: ReplayParams | None = None) -> None:
        self.params = params or ReplayParams()
        self._frames: deque[Encoded] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.params.seconds > 0

    def configure(self, params: ReplayParams) -> None:
        """New limits, applied at once (a smaller budget drops the oldest frames now)."""
        with self._lock:
            self.params = params
            if not self.enabled:
                self._frames.clear()
                self._bytes = 0
            self._trim()

    def add(self, frame: Frame) -> None:
        """Encode and keep `frame` (nothing while the buffer is off)."""
        if not self.enabled:
            return
        entry = encode(frame, self.params.quality)
        with self._lock:
            self._frames.append(entry)
            self._bytes += entry.nbytes
            self._trim()

    def _trim(self) -> None:
        budget, span = self.params.max_mb * MB, self.params.seconds
        frames = self._frames
        while frames and (self._bytes > budget or frames[-1].t - frames[0].t > span):
            self._bytes -= frames.popleft().nbytes

    def clip(self) -> Clip:
        with self._lock:
            return Clip(tuple(self._frames))

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._frames[-1].t - self._frames[0].t if len(self._frames) > 1 else 0.0

    @property
    def nbytes(self) -> int:
        """What the buffered frames take: their JPEG bytes and the objects around them."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)


class ClipSource(SourceBase):
    """Plays a clip as a source: frame by frame, in real time when `paced`, again from its
    start after its end when `loop` (that first frame marked `restart`). `seek(i)` makes
    frame i the next one read."""

    def __init__(self, clip: Clip, name: str = "replay", *, paced: bool = True,
                 loop: bool = True) -> None:
        super().__init__()
        if not len(clip):
            raise ValueError("an empty clip cannot be played")
        self.clip, self.name, self.paced, self.loop = clip, name, paced, loop
        self.frame_count, self.nominal_fps, self.duration_s = len(clip), clip.fps, clip.seconds
        first = clip[0].decode().image
        self.size = (first.shape[1], first.shape[0])
        self.position = 0  # index in the clip of the next frame read

    def seek(self, i: int) -> None:
        self.position = max(0, min(i, len(self.clip) - 1))
        self.resync()

    def read(self) -> Frame | None:
        i = self.position
        if i >= len(self.clip):
            if not self.loop:
                return None
            i = 0
        self.position = i + 1
        frame = self.clip[i].decode(restart=True if i == 0 else None)
        if self.paced:
            self.pace(frame.t)
        return frame

    def rewind(self) -> bool:
        self.seek(0)
        return True


def write_clip(clip: Clip, path: Path, force: bool = False) -> Path:
    """Write `clip` as a video at its mean frame rate (`.mp4`, `.avi` ...). Raises
    OutputError (a refused path, an empty clip, no encoder)."""
    if not len(clip):
        raise OutputError("the replay buffer is empty: nothing to write")
    recorder = VideoRecorder(path, clip.fps, force)
    try:
        for entry in clip:
            recorder.write(entry.decode().image)
    except BaseException:
        recorder.discard()
        raise
    written = recorder.close()
    assert written is not None  # at least one frame was written
    return written

