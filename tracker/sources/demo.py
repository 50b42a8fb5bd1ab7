"""The built-in demo scene: a textured static background and textured objects with known motion.

Everything is a pure function of time, so tests can ask where each object is and how fast it
moves (`DemoScene.truth(t)`) and compare with what the tracker measured.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import Frame
from flowtop.tracker.sources.base import SourceBase

DEMO_QUEUE_FRAMES = 4  # frames a live demo holds for a late reader, as V4L2 queues 4 buffers

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class MovingObject:
    """A textured rectangle (or disc) whose centre follows a straight line or a circle.

    Linear objects move at (vx, vy) px/s and wrap around the frame; circular ones orbit
    (cx, cy) with `radius` at `omega` rad/s, so they turn at constant speed.
    """

    name: str
    w: int
    h: int
    cx: float
    cy: float
    vx: float = 0.0
    vy: float = 0.0
    radius: float = 0.0
    omega: float = 0.0
    disc: bool = False

    def centre(self, t: float, frame_w: int, frame_h: int) -> tuple[float, float]:
        if self.radius:
            a = self.omega * t
            return self.cx + self.radius * math.cos(a), self.cy + self.radius * math.sin(a)
        span_x, span_y = frame_w + self.w, frame_h + self.h
        x = (self.cx + self.vx * t + self.w / 2) % span_x - self.w / 2
        y = (self.cy + self.vy * t + self.h / 2) % span_y - self.h / 2
        return x, y

    def velocity(self, t: float) -> tuple[float, float]:
        if self.radius:
            a = self.omega * t
            s = self.radius * self.omega
            return -s * math.sin(a), s * math.cos(a)
        return self.vx, self.vy


@dataclass(frozen=True)
class ObjectTruth:
    """Where a demo object is at one instant: centre, box and velocity in px/s."""

    name: str
    x: float
    y: float
    w: int
    h: int
    vx: float
    vy: float
    disc: bool = False

    @property
    def speed(self) -> float:
        return math.hypot(self.vx, self.vy)

    def contains(self, px: npt.ArrayLike, py: npt.ArrayLike, margin: float = 0.0) -> np.ndarray:
        """Which of the points lie inside the box shrunk by `margin` pixels."""
        px, py = np.asarray(px), np.asarray(py)
        if self.disc:
            r = min(self.w, self.h) / 2 - margin
            return (px - self.x) ** 2 + (py - self.y) ** 2 <= r * r
        return (np.abs(px - self.x) <= self.w / 2 - margin) & (
            np.abs(py - self.y) <= self.h / 2 - margin)


DEFAULT_OBJECTS: tuple[MovingObject, ...] = (
    MovingObject("truck", 112, 52, cx=100, cy=72, vx=120.0),
    MovingObject("car", 72, 40, cx=500, cy=178, vx=-75.0),
    MovingObject("ball", 56, 56, cx=470, cy=282, radius=52, omega=50 / 52, disc=True),
)


def _texture(rng: np.random.Generator, h: int, w: int, scales: tuple[float, ...],
             tint: tuple[float, float, float], contrast: float) -> Image:
    """Smooth multi-scale noise in a tint: rich in corners, free of aliasing."""
    acc = np.zeros((h, w), np.float32)
    for sigma in scales:
        noise = rng.standard_normal((h, w)).astype(np.float32)
        layer = cv2.GaussianBlur(noise, (0, 0), sigma)
        acc += layer / (layer.std() + 1e-6)
    acc /= acc.std() + 1e-6
    base = 128 + contrast * acc
    img = np.stack([base * c for c in tint], axis=-1)
    return np.clip(img, 0, 255).astype(np.uint8)


class DemoScene:
    """Renders frames of the demo at any time `t` (seconds)."""

    def __init__(self, width: int = 640, height: int = 360,
                 objects: tuple[MovingObject, ...] = DEFAULT_OBJECTS, seed: int = 7) -> None:
        self.width, self.height, self.objects = width, height, objects
        rng = np.random.default_rng(seed)
        bg = _texture(rng, height, width, (2.0, 6.0), (0.55, 0.75, 0.6), 38)
        for y in (120, 236):  # lane markings: static edges and corners
            for x in range(0, width, 80):
                cv2.rectangle(bg, (x + 10, y - 2), (x + 50, y + 2), (210, 210, 210), -1)
        self.background = bg
        self._patches: list[tuple[Image, npt.NDArray[np.float32]]] = []
        tints = ((0.9, 0.5, 0.4), (0.4, 0.5, 0.95), (0.5, 0.95, 0.95))
        for i, obj in enumerate(objects):
            tex = _texture(rng, obj.h, obj.w, (1.5, 3.0), tints[i % len(tints)], 55)
            mask = np.zeros((obj.h, obj.w), np.float32)
            if obj.disc:
                cv2.circle(mask, (obj.w // 2, obj.h // 2), min(obj.w, obj.h) // 2, 1.0, -1,
                           cv2.LINE_AA)
            else:
                mask[:] = 1.0
            self._patches.append((tex, mask))

    def truth(self, t: float) -> list[ObjectTruth]:
        out = []
        for obj in self.objects:
            x, y = obj.centre(t, self.width, self.height)
            vx, vy = obj.velocity(t)
            out.append(ObjectTruth(obj.name, x, y, obj.w, obj.h, vx, vy, obj.disc))
        return out

    def render(self, t: float) -> Image:
        """The frame at time `t`: objects pasted with sub-pixel accuracy over the background."""
        img = self.background.copy()
        for obj, (tex, mask) in zip(self.objects, self._patches):
            x, y = obj.centre(t, self.width, self.height)
            left, top = x - obj.w / 2, y - obj.h / 2
            ix, iy = math.floor(left), math.floor(top)
            fx, fy = left - ix, top - iy
            pw, ph = obj.w + 2, obj.h + 2
            m = np.array([[1, 0, fx], [0, 1, fy]], np.float32)
            warped = cv2.warpAffine(tex, m, (pw, ph), flags=cv2.INTER_CUBIC,
                                    borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
            alpha = cv2.warpAffine(mask, m, (pw, ph), flags=cv2.INTER_LINEAR)
            x0, y0 = max(ix, 0), max(iy, 0)
            x1, y1 = min(ix + pw, self.width), min(iy + ph, self.height)
            if x1 <= x0 or y1 <= y0:
                continue
            sub = np.s_[y0 - iy:y1 - iy, x0 - ix:x1 - ix]
            a = alpha[sub][..., None]
            under = img[y0:y1, x0:x1].astype(np.float32)  # only the object's box is blended
            img[y0:y1, x0:x1] = np.clip(under * (1 - a) + warped[sub] * a + 0.5, 0, 255)
        return img


class DemoSource(SourceBase):
    """The synthetic demo scene; `paced` plays it in real time at `fps`."""

    live = True

    def __init__(self, fps: float = 30.0, paced: bool = True, frames: int = 0,
                 scene: DemoScene | None = None, auto_choice: str = "") -> None:
        super().__init__(auto_choice)
        self.scene = scene or DemoScene()
        self.name, self.nominal_fps, self.paced = "demo", fps, paced
        self.frames = self.frame_count = frames  # 0 = endless
        self.size = (self.scene.width, self.scene.height)
        self._index = 0
        self._start: float | None = None

    def resync(self) -> None:
        super().resync()
        self._start = None

    def rewind(self) -> bool:
        """A finite demo plays as many frames again (the scene goes on in time)."""
        if not self.frame_count:
            return False
        self.frames = self._index + self.frame_count
        return True

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


