"""The built-in demo: a road seen from the roadside, with traffic both ways and a circling drone.

Everything is a pure function of time, so tests can ask where each object is and how fast it
moves (`DemoScene.truth(t)`, in image pixels per second) and compare with what the tracker
measured. Vehicles translate rigidly along their lane at a constant speed and wrap around; the
drone circles at a constant speed without rotating. The static backdrop and every sprite are
drawn once; a frame is the backdrop with the sprites blended in at sub-pixel positions.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import Frame
from flowtop.tracker.sources.base import SourceBase
from flowtop.tracker.sources.demo_road import RoadLayout, paint_backdrop
from flowtop.tracker.sources.demo_sprites import F32, Colour, paint_sprite

DEMO_QUEUE_FRAMES = 4  # frames a live demo holds for a late reader, as V4L2 queues 4 buffers
SHAPE_PAD = 16  # px around a sprite where `ObjectTruth.contains` can answer for margins < 0
FORESHORTEN = 0.85  # a high camera sees vehicles' sides a little squashed
TYRE_LINE = 0.98  # vehicle sprites put the bottom of their tyres this far down
TRAFFIC_SPAN = 1000  # px (at 640 wide) after which a lane's traffic repeats

Image = npt.NDArray[np.uint8]
TINTS: tuple[Colour, ...] = ((102, 128, 230), (242, 128, 102), (242, 242, 128))


@dataclass(frozen=True)
class MovingObject:
    """An object whose centre follows a straight line or a circle, drawn as `look`.

    Linear objects move at (vx, vy) px/s and wrap around: horizontally every `span` px
    (default: the frame's width plus their own), vertically every frame height plus their own.
    Circular ones orbit (cx, cy) with `radius` at `omega` rad/s, so they turn at constant
    speed. `look` is one of `demo_sprites.LOOKS`; `paint` its colour (default: a tint).
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
    look: str = "texture"
    paint: Colour | None = None
    span: float = 0.0

    def centre(self, t: float, frame_w: int, frame_h: int) -> tuple[float, float]:
        if self.radius:
            a = self.omega * t
            return self.cx + self.radius * math.cos(a), self.cy + self.radius * math.sin(a)
        span_x, span_y = max(self.span, frame_w + self.w), frame_h + self.h
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
    """Where a demo object is at one instant: centre, box and velocity in px/s.

    `shape` is the signed distance (px, positive inside) to the object's outline over its box
    grown by SHAPE_PAD on every side; without it the object is its box.
    """

    name: str
    x: float
    y: float
    w: int
    h: int
    vx: float
    vy: float
    shape: F32 | None = field(default=None, compare=False, repr=False)

    @property
    def speed(self) -> float:
        return math.hypot(self.vx, self.vy)

    def contains(self, px: npt.ArrayLike, py: npt.ArrayLike, margin: float = 0.0) -> np.ndarray:
        """Which of the points lie inside the outline shrunk by `margin` pixels (a negative
        margin grows it, by SHAPE_PAD at most)."""
        px, py = np.asarray(px, np.float64), np.asarray(py, np.float64)
        if self.shape is None:
            return (np.abs(px - self.x) <= self.w / 2 - margin) & (
                np.abs(py - self.y) <= self.h / 2 - margin)
        col = np.floor(px - (self.x - self.w / 2) + SHAPE_PAD).astype(np.int64)
        row = np.floor(py - (self.y - self.h / 2) + SHAPE_PAD).astype(np.int64)
        rows, cols = self.shape.shape
        ok = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        out = np.zeros(np.shape(px), bool)
        out[ok] = self.shape[row[ok], col[ok]] >= margin
        return out


# lane (0 = farthest), speed in px/s at 640 wide (negative: to the left), and its vehicles:
# (name, look, BGR paint, length m, height m, position of the centre at t = 0 in px). A
# vehicle may rise above its lane but never reaches the vehicles of the lane above: the tall
# ones drive where there is room (the truck below the grass strip, the van nearest).
LANE_TRAFFIC: tuple[tuple[int, float, tuple[tuple[str, str, Colour, float, float, float],
                                             ...]], ...] = (
    (0, -80.0, (("white car", "car", (225, 225, 220), 4.4, 1.45, 150),
                ("red car", "car", (50, 50, 200), 4.4, 1.45, 640))),
    (1, 110.0, (("blue car", "car", (190, 110, 40), 4.4, 1.45, 420),
                ("green car", "car", (70, 150, 60), 4.4, 1.45, 920))),
    (2, -130.0, (("truck", "truck", (20, 110, 235), 7.2, 2.3, 330),
                 ("silver car", "car", (175, 170, 165), 4.4, 1.45, 850))),
    (3, 160.0, (("taxi", "car", (40, 200, 245), 4.4, 1.45, 250),
                ("van", "van", (60, 70, 200), 5.2, 2.0, 760))),
)
# the drone circles anticlockwise on screen (moving right at its lowest point, against the far
# lane below it): name, look, paint, w, h, centre x, y, radius, speed (px/s)
DRONE = ("drone", "drone", (30, 140, 245), 96, 34, 470.0, 45.0, 27.0, 30.0)


def road_traffic(road: RoadLayout) -> tuple[MovingObject, ...]:
    """The default objects for a frame of the road's size: vehicles in their lanes, the drone."""
    sx, sy = road.sx, road.sy
    name, look, paint, w, h, cx, cy, radius, speed = DRONE
    objects = [MovingObject(name, max(2, round(w * sx)), max(2, round(h * sy)), cx * sx, cy * sy,
                            radius=radius * sx, omega=-speed / radius, look=look, paint=paint)]
    for lane, vx, vehicles in LANE_TRAFFIC:
        ground = road.contact_row(lane)
        ppm = road.px_per_m(ground)
        for name, look, paint, length, height, x in vehicles:
            vw = max(2, round(length * ppm))
            vh = max(2, round(height * FORESHORTEN * ppm / TYRE_LINE))
            cy = ground - (TYRE_LINE - 0.5) * vh
            objects.append(MovingObject(name, vw, vh, x * sx, cy, vx=vx * sx, look=look,
                                        paint=paint, span=TRAFFIC_SPAN * sx))
    return tuple(objects)


def _signed_distance(alpha: F32) -> F32:
    """Signed distance to the outline of `alpha` >= 0.5, over the sprite grown by SHAPE_PAD."""
    inside = np.pad((alpha >= 0.5).astype(np.uint8), SHAPE_PAD)
    dist_in = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    dist_out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    return (dist_in - dist_out).astype(np.float32)


@dataclass(frozen=True)
class _Assets:
    """What a scene draws once: the backdrop, each sprite (premultiplied BGRA, uint8) and
    each outline's signed distance. Read-only: scenes of the same size share them."""

    background: Image
    sprites: tuple[Image, ...]
    shapes: tuple[F32, ...]


@functools.lru_cache(maxsize=8)
def _assets(width: int, height: int, objects: tuple[MovingObject, ...], seed: int) -> _Assets:
    background = paint_backdrop(RoadLayout(width, height), np.random.default_rng(seed))
    sprites, shapes = [], []
    for i, obj in enumerate(objects):
        paint = obj.paint or TINTS[i % len(TINTS)]
        sprite = paint_sprite(obj.look, obj.w, obj.h, paint, obj.vx < 0,
                              np.random.default_rng((seed, i)))
        shapes.append(_signed_distance(sprite[..., 3]))
        sprite[..., 3] *= 255
        sprites.append(np.clip(sprite + 0.5, 0, 255).astype(np.uint8))
    for array in (background, *sprites, *shapes):
        array.flags.writeable = False
    return _Assets(background, tuple(sprites), tuple(shapes))


class DemoScene:
    """Renders frames of the demo at any time `t` (seconds); `objects` replace the traffic."""

    def __init__(self, width: int = 640, height: int = 360,
                 objects: tuple[MovingObject, ...] | None = None, seed: int = 7) -> None:
        self.width, self.height = width, height
        self.road = RoadLayout(width, height)
        self.objects = road_traffic(self.road) if objects is None else tuple(objects)
        assets = _assets(width, height, self.objects, seed)
        self.background, self._sprites, self._shapes = (assets.background, assets.sprites,
                                                         assets.shapes)
        self._order = sorted(range(len(self.objects)), key=lambda i: self.objects[i].cy)

    def truth(self, t: float) -> list[ObjectTruth]:
        out = []
        for obj, shape in zip(self.objects, self._shapes):
            x, y = obj.centre(t, self.width, self.height)
            vx, vy = obj.velocity(t)
            out.append(ObjectTruth(obj.name, x, y, obj.w, obj.h, vx, vy, shape))
        return out

    def render(self, t: float) -> Image:
        """The frame at time `t`: sprites blended with sub-pixel accuracy over the backdrop,
        far ones first."""
        img = self.background.copy()
        for i in self._order:
            obj = self.objects[i]
            x, y = obj.centre(t, self.width, self.height)
            self._paste(img, self._sprites[i], x - obj.w / 2, y - obj.h / 2)
        return img

    def _paste(self, img: Image, sprite: Image, left: float, top: float) -> None:
        """Blend `sprite` with its top-left corner at (left, top), bilinearly shifted."""
        h, w = sprite.shape[:2]
        ix, iy = math.floor(left), math.floor(top)
        x0, y0 = max(ix, 0), max(iy, 0)
        x1, y1 = min(ix + w + 1, self.width), min(iy + h + 1, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        # shift straight into the visible part of the box
        m = np.array([[1, 0, left - x0], [0, 1, top - y0]], np.float32)
        moved = cv2.warpAffine(sprite, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
        keep = cv2.cvtColor(255 - moved[..., 3], cv2.COLOR_GRAY2BGR)
        under = cv2.multiply(img[y0:y1, x0:x1], keep, scale=1 / 255)
        img[y0:y1, x0:x1] = cv2.add(under, moved[..., :3])


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
