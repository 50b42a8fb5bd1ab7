"""A camera that misbehaves on a script, for driving the loop, the wrapper and the app.

`FlakyCamera(script)` stands for a device; `camera.open()` (the opener a `ResilientSource`
calls) returns a `FaultySource` reading the demo scene. Every connection works through the
one shared script, a step per `read()`:

    "frames:N"    N good frames              "lost"         raise SourceLost once
    "raise"       raise RuntimeError once    "none"         return None once (stream ended)
    "empty:N"     N frames with no pixels    "corrupt:N"    N frames of float noise
    "resize:WxH"  later frames are WxH       "stall:S"      block S seconds, then go on
    "down:K"      drop the connection: this read raises SourceLost, the next K opens fail

After the script, frames keep coming (or `read()` returns None with `end="none"`). Each
connection numbers its frames and times from 0, as a camera reopened would.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from tracker.demo import DemoScene
from tracker.sources import Frame, Source, SourceError, SourceLost

FPS = 30.0


class DriverFault(RuntimeError):
    """What a buggy driver raises in the middle of a read."""


@dataclass
class Step:
    kind: str
    count: int = 1
    size: tuple[int, int] = (0, 0)
    seconds: float = 0.0


def parse(script: list[str]) -> deque[Step]:
    steps: deque[Step] = deque()
    for item in script:
        kind, _, arg = item.partition(":")
        if kind == "resize":
            w, h = (int(v) for v in arg.split("x"))
            steps.append(Step(kind, size=(w, h)))
        elif kind == "stall":
            steps.append(Step(kind, seconds=float(arg)))
        elif kind in ("frames", "empty", "corrupt", "down"):
            steps.append(Step(kind, count=int(arg or 1)))
        elif kind in ("lost", "raise", "none"):
            steps.append(Step(kind))
        else:
            raise ValueError(f"unknown fault step {item!r}")
    return steps


@dataclass
class FlakyCamera:
    """The device behind the fault script: counts opens, refuses them while it is down."""

    script: list[str]
    size: tuple[int, int] = (320, 180)
    end: str = "frames"  # what follows the script: endless "frames", or "none"
    steps: deque[Step] = field(init=False)
    opens: int = 0
    failed_opens: int = 0
    down: int = 0
    frames_served: int = 0
    release: threading.Event = field(default_factory=threading.Event)  # ends stalls early
    _scenes: dict[tuple[int, int], DemoScene] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steps = parse(self.script)

    def open(self) -> FaultySource:
        if self.down > 0:
            self.down -= 1
            self.failed_opens += 1
            raise SourceError("fake camera does not open")
        self.opens += 1
        return FaultySource(self)

    def render(self, t: float) -> np.ndarray:
        w, h = self.size
        if (w, h) not in self._scenes:
            self._scenes[(w, h)] = DemoScene(max(w, 32), max(h, 32))
        image = self._scenes[(w, h)].render(t)
        return image if image.shape[:2] == (h, w) else cv2.resize(image, (w, h))


class FaultySource(Source):
    """One connection to a `FlakyCamera`; see the module docstring."""

    live = True

    def __init__(self, camera: FlakyCamera) -> None:
        super().__init__()
        self.camera = camera
        self.name, self.nominal_fps, self.size = "flaky camera", FPS, camera.size
        self.closed = False
        self._index = 0

    def _frame(self, image: np.ndarray) -> Frame:
        frame = Frame(self._index, self._index / FPS, image)
        self._index += 1
        return frame

    def read(self) -> Frame | None:
        cam = self.camera
        if self.closed:
            raise SourceLost("read after close")
        while cam.steps:
            step = cam.steps[0]
            if step.kind == "resize":
                cam.steps.popleft()
                cam.size = step.size
                continue
            if step.kind == "stall":
                cam.steps.popleft()
                cam.release.wait(step.seconds)
                continue
            if step.kind == "down":
                cam.steps.popleft()
                cam.down = step.count
                raise SourceLost("fake camera unplugged")
            step.count -= 1
            if step.count <= 0:
                cam.steps.popleft()
            if step.kind == "frames":
                break
            if step.kind == "lost":
                raise SourceLost("fake camera: no frame")
            if step.kind == "raise":
                raise DriverFault("fake driver fault")
            if step.kind == "none":
                return None
            if step.kind == "empty":
                return self._frame(np.zeros((0, 0, 3), np.uint8))
            if step.kind == "corrupt":
                return self._frame(np.random.default_rng(0).random((8, 8, 3)))  # float64
        else:
            if cam.end == "none":
                return None
        cam.frames_served += 1
        return self._frame(cam.render(self._index / FPS))

    def close(self) -> None:
        self.closed = True
