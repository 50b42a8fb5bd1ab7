"""A road seen by a pole camera, with vehicles at known world speeds: video clips with truth.

Everything in the picture comes from real footage (`highway.mp4`):
- the ground is the temporal median of the clip, its left carriageway turned to run straight
  away from the camera (16 px per metre: its lanes are 3.65 m), mirrored about its barrier into
  a dual carriageway and reflected end to end to 200 m, laid on the ground plane z = 0;
- vehicles are cut out of frames by their difference from that median, and slide flat on the
  ground plane along their lanes at constant world speeds, toward and away from the camera.

A pinhole camera on a pole (height, focal length, pitch, yaw: all known) sees that plane, so the
ground homography is exact; `Clip.speed_params` hands it to flowtop as speed.image_points /
speed.world_points. Frames get camera shake (sub-pixel jitter), flicker (a gain per frame),
sensor noise, and mp4v encoding: the clip is written with cv2.VideoWriter and read back as any
file is. Truth per frame: each vehicle's silhouette (a mask), its box, world speed and distance.

`make_clip(seed)` is deterministic for a seed; clips are cached per process, and with a
`folder`, in that folder for every process that shares it (pytest-xdist workers).
"""

from __future__ import annotations

import functools
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from session_store import stored

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
HIGHWAY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "highway.mp4"
PPM = 16.0  # texture pixels per metre on the ground
ROAD_TURN = 67.3  # degrees that turn the median's left carriageway upright
ROAD_CENTRE = (160.0, 200.0)  # point of the median the turn is about
STRIP_ROWS, STRIP_COLS = (150, 800), (285, 540)  # barrier, two lanes, verge (turned, 2x)
LANES_X = (-7.9, -4.4, 4.4, 7.9)  # lane centres (m): the -x carriageway comes toward us
TOWARD = {-7.9, -4.4}


@dataclass(frozen=True)
class Parts:
    """Ground texture (rows run away from the camera; row 0 is the far end) and vehicles cut
    from real frames: (BGR image, alpha 0..1), long axis vertical."""

    ground: U8
    vehicles: tuple[tuple[U8, npt.NDArray[np.float32]], ...]

    def ground_to_world(self) -> F64:
        """3x3: ground texture pixels -> world metres (X across, Y away from the camera)."""
        h, w = self.ground.shape[:2]
        return np.array([[1 / PPM, 0, -w / 2 / PPM], [0, -1 / PPM, h / PPM], [0, 0, 1]])


@functools.lru_cache(maxsize=1)
def highway_parts(path: str = str(HIGHWAY)) -> Parts:
    """Median ground and vehicle cut-outs of highway.mp4 (about 2 s, once per process)."""
    cap = cv2.VideoCapture(path)
    frames: dict[int, U8] = {}  # only the frames used below are converted and kept
    index = 0
    while cap.grab():
        if index % 10 == 0 or index % 45 == 0:
            ok, image = cap.retrieve()
            if not ok:
                break
            frames[index] = image
        index += 1
    cap.release()
    if not frames:
        raise FileNotFoundError(path)
    median = np.median(np.array([frames[i] for i in range(0, index, 10)]),
                       axis=0).astype(np.uint8)
    turn = cv2.getRotationMatrix2D(ROAD_CENTRE, ROAD_TURN, 2.0)
    turn[:, 2] += np.array([400.0, 500.0]) - ROAD_CENTRE
    upright = cv2.warpAffine(median, turn, (800, 1000), flags=cv2.INTER_CUBIC)
    strip = upright[slice(*STRIP_ROWS), slice(*STRIP_COLS)]
    half = np.hstack([strip[:, ::-1], strip])  # a dual carriageway, the barrier at x = 0
    ground = np.vstack([half, half[::-1], half, half[::-1], half])
    grain = np.random.default_rng(7).normal(0, 3.0, ground.shape[:2]).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (3, 3), 0.8)  # asphalt grain: fine static texture
    ground = np.clip(ground + grain[..., None], 0, 255).astype(np.uint8)
    cuts: list[tuple[U8, npt.NDArray[np.float32]]] = []
    for image in (frames[i] for i in range(0, index, 45)):
        up = cv2.warpAffine(image, turn, (800, 1000), flags=cv2.INTER_CUBIC)
        diff = np.abs(up.astype(np.int16) - upright).max(axis=2)
        mask = cv2.morphologyEx((diff > 35).astype(np.uint8), cv2.MORPH_CLOSE,
                                np.ones((7, 7), np.uint8))
        mask[:, :290] = 0
        mask[:, 460:] = 0
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        for k in range(1, n):
            x, y, w, h, area = stats[k]
            if area > 2000 and 40 < w < 85 and 60 < h < 150 and 10 < y < 900 - h:
                alpha = (labels[y:y + h, x:x + w] == k).astype(np.uint8)
                alpha = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
                soft = cv2.GaussianBlur(alpha.astype(np.float32), (3, 3), 0.7)
                cuts.append((up[y:y + h, x:x + w].copy(), soft))
    return Parts(ground, tuple(cuts))


@dataclass(frozen=True)
class Camera:
    """A pinhole camera at (x, y, height) m over the ground plane, pitched down, yawed right."""

    f: float = 900.0
    height: float = 12.0
    pitch: float = 16.0  # degrees below the horizon
    yaw: float = 0.0  # degrees to the right of the road's direction
    x: float = 0.0
    y: float = 0.0
    size: tuple[int, int] = (640, 360)

    def matrix(self) -> F64:
        """3x3: world (X, Y) on the ground, metres -> image pixels."""
        th, ps = math.radians(self.pitch), math.radians(self.yaw)
        fwd = np.array([math.sin(ps) * math.cos(th), math.cos(ps) * math.cos(th),
                        -math.sin(th)])
        right = np.array([math.cos(ps), -math.sin(ps), 0.0])
        rot = np.stack([right, np.cross(fwd, right), fwd])
        t = -rot @ np.array([self.x, self.y, self.height])
        w, h = self.size
        k = np.array([[self.f, 0, w / 2], [0, self.f, h / 2], [0, 0, 1]])
        return k @ np.c_[rot[:, 0], rot[:, 1], t]

    def distance(self, x: float, y: float) -> float:
        """Metres from the camera to the ground point (x, y)."""
        return math.sqrt((x - self.x) ** 2 + (y - self.y) ** 2 + self.height ** 2)


@dataclass(frozen=True)
class Vehicle:
    """A vehicle on lane `x` whose centre is at y0 + v t (m, m/s); `cut` picks its texture."""

    name: str
    cut: int
    x: float
    y0: float
    v: float
    length: float
    width: float

    def footprint(self, t: float) -> F64:
        """(4, 2) ground corners (m) at time t: rear-left, rear-right, front-right, front-left
        in texture order (texture row 0 lies at the far end, +Y)."""
        y = self.y0 + self.v * t
        hl, hw = self.length / 2, self.width / 2
        return np.array([[self.x - hw, y + hl], [self.x + hw, y + hl],
                         [self.x + hw, y - hl], [self.x - hw, y - hl]])


@dataclass(frozen=True)
class Seen:
    """One vehicle in one frame: its silhouette `mask` (uint8 0/1) at `origin` (x, y) px, its
    box (x0, y0, x1, y1) px, whether it lies wholly inside the frame, its world speed (m/s),
    the distance (m) from the camera to its centre, and the image scale along its motion there
    (px per metre travelled)."""

    name: str
    origin: tuple[int, int]
    mask: U8
    box: tuple[float, float, float, float]
    whole: bool
    speed: float
    distance: float
    px_per_m: float

    def contains(self, pts: npt.ArrayLike, erode: int = 0) -> npt.NDArray[np.bool_]:
        """Which (N, 2) image points lie on the silhouette (shrunk by `erode` px)."""
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        mask = self.mask
        if erode:
            mask = cv2.erode(mask, np.ones((2 * erode + 1, 2 * erode + 1), np.uint8))
        col = np.round(pts[:, 0]).astype(int) - self.origin[0]
        row = np.round(pts[:, 1]).astype(int) - self.origin[1]
        h, w = mask.shape
        ok = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        out = np.zeros(len(pts), bool)
        out[ok] = mask[row[ok], col[ok]] > 0
        return out


@dataclass
class Clip:
    """A written clip and its truth: `frames[i]` lists the vehicles seen in frame i."""

    path: Path
    fps: float
    camera: Camera
    vehicles: tuple[Vehicle, ...]
    frames: list[list[Seen]] = field(default_factory=list)

    def speed_params(self) -> dict[str, list]:
        """speed.image_points / speed.world_points of six ground marks in view."""
        w, h = self.camera.size
        img = np.array([[0.2 * w, 0.95 * h], [0.8 * w, 0.95 * h], [0.3 * w, 0.45 * h],
                        [0.7 * w, 0.45 * h], [0.4 * w, 0.2 * h], [0.6 * w, 0.2 * h]])
        world = cv2.perspectiveTransform(img.reshape(-1, 1, 2),
                                         np.linalg.inv(self.camera.matrix())).reshape(-1, 2)
        return {"image_points": np.round(img, 1).tolist(),
                "world_points": np.round(world, 3).tolist()}


def random_scene(seed: int, frames: int = 150, fps: float = 30.0, parts: Parts | None = None
                 ) -> tuple[Camera, tuple[Vehicle, ...]]:
    """A camera and 6-9 vehicles at 20-120 km/h: some in view from the start, one entering
    near and large during the clip, one pair side by side in adjacent lanes at similar speeds,
    none overlapping another in its lane."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(1000, 1300)
    height = rng.uniform(12, 18)
    far, near_row = rng.uniform(90, 110), 180.0
    pitch = math.degrees(math.atan(height / far) + math.atan(near_row / f))
    cam = Camera(f=f, height=height, pitch=pitch, yaw=rng.uniform(-8, 8),
                 x=rng.uniform(-3, 3))
    near = height / math.tan(math.radians(pitch) + math.atan(near_row / f))
    duration = frames / fps
    n_cuts = len((parts or highway_parts()).vehicles)
    out: list[Vehicle] = []

    def add(lane: float, v: float, y0: float) -> None:
        length = rng.uniform(4.2, 5.2) if rng.random() < 0.8 else rng.uniform(6, 11)
        width = 1.8 if length < 6 else 2.4
        car = Vehicle(f"v{len(out)}", int(rng.integers(n_cuts)), lane, y0, v, length, width)
        ts = np.linspace(0, duration, 40)
        for other in out:
            if other.x == lane:
                gap = np.abs((car.y0 + car.v * ts) - (other.y0 + other.v * ts))
                if gap.min() < (car.length + other.length) / 2 + 3:
                    return
        out.append(car)

    pair = LANES_X[2:] if rng.random() < 0.5 else LANES_X[:2]
    base = rng.uniform(50, 100) / 3.6 * (-1 if pair[0] in TOWARD else 1)
    y_pair = rng.uniform(near + 15, near + 35) if base > 0 else rng.uniform(far - 40, far - 15)
    for lane, k in zip(pair, (1.0, rng.uniform(0.95, 1.05))):
        add(lane, base * k, y_pair + rng.uniform(-2, 2))
    late = 20 / 3.6 * rng.uniform(1.5, 4)  # enters from below the frame, near and large
    add(LANES_X[3] if pair[0] in TOWARD else LANES_X[2], late,
        near - 6 - late * rng.uniform(0.6, 1.2) * duration / 3)
    tries = 0
    while len(out) < rng.integers(6, 10) and tries < 60:
        tries += 1
        lane = float(rng.choice(LANES_X))
        v = rng.uniform(20, 120) / 3.6 * (-1 if lane in TOWARD else 1)
        add(lane, v, rng.uniform(near + 5, far - 5))
    return cam, tuple(out)


def _draw(frame: npt.NDArray[np.float32], cam: Camera, hom: F64, parts: Parts, car: Vehicle,
          t: float, shift: F64) -> Seen | None:
    """Paint `car` into `frame` (float BGR) and say where it is, or None when out of view;
    `hom` is `cam.matrix()`."""
    corners = car.footprint(t)
    quad = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), hom).reshape(-1, 2) + shift
    w, h = cam.size
    depth = (hom[2, :2] @ corners.T) + hom[2, 2]
    if (depth <= 0).any():
        return None
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 - cx0 < 1 or cy1 - cy0 < 1:
        return None
    image, alpha = parts.vehicles[car.cut]
    th, tw = alpha.shape
    src = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
    warp = cv2.getPerspectiveTransform(src, (quad - (cx0, cy0)).astype(np.float32))
    size = (cx1 - cx0, cy1 - cy0)
    paint = cv2.warpPerspective(image, warp, size, flags=cv2.INTER_LINEAR).astype(np.float32)
    cover = cv2.warpPerspective(alpha, warp, size, flags=cv2.INTER_LINEAR)[..., None]
    roi = frame[cy0:cy1, cx0:cx1]
    roi *= 1 - cover
    roi += cover * paint
    mask = (cover[..., 0] > 0.5).astype(np.uint8)
    if not mask.any():
        return None
    rows, cols = np.nonzero(mask)
    box = (float(cx0 + cols.min()), float(cy0 + rows.min()), float(cx0 + cols.max() + 1),
           float(cy0 + rows.max() + 1))
    whole = bool(x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h)
    centre = corners.mean(axis=0)
    step = centre + np.array([0.0, 1.0])  # a metre further along the road
    ahead = cv2.perspectiveTransform(np.array([[centre, step]]), hom)[0]
    return Seen(car.name, (cx0, cy0), mask, box, whole, abs(car.v), cam.distance(*centre),
                float(np.hypot(*(ahead[1] - ahead[0]))))


def render(cam: Camera, vehicles: tuple[Vehicle, ...], path: Path, frames: int = 150,
           fps: float = 30.0, seed: int = 0, noise: float = 2.0, flicker: float = 0.015,
           jitter: float = 0.4, parts: Parts | None = None) -> Clip:
    """Write the clip to `path` (mp4v) and return it with its truth. The camera sways by
    `jitter` px at about 1 Hz (a pole in the wind) and shakes by 0.05 px from frame to frame;
    `flicker` is the spread of a gain per frame, `noise` the sensor noise in grey levels."""
    parts = parts or highway_parts()
    rng = np.random.default_rng(seed + 1000)
    w, h = cam.size
    hom = cam.matrix()
    ground = cv2.warpPerspective(parts.ground, hom @ parts.ground_to_world(), (w, h),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    clip = Clip(path, fps, cam, vehicles)
    order = sorted(vehicles, key=lambda v: -abs(v.y0))
    sway = rng.uniform(0.7, 1.5, 2), rng.uniform(0, 2 * math.pi, 2)  # Hz, phase per axis
    for i in range(frames):
        t = i / fps
        shift = jitter * np.sin(2 * math.pi * sway[0] * t + sway[1]) + rng.normal(0, 0.05, 2)
        move = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        frame = cv2.warpAffine(ground, move, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT).astype(np.float32)
        seen = []
        for car in sorted(order, key=lambda v: -(v.y0 + v.v * t)):  # far ones first
            s = _draw(frame, cam, hom, parts, car, t, shift)
            if s is not None:
                seen.append(s)
        frame *= np.float32(1 + rng.normal(0, flicker))
        frame += rng.standard_normal(frame.shape, np.float32) * np.float32(noise)
        writer.write(np.clip(frame, 0, 255).astype(np.uint8))
        clip.frames.append(seen)
    writer.release()
    return clip


_CACHE: dict[tuple[int, int], Clip] = {}


def make_clip(seed: int, frames: int = 150, folder: Path | None = None) -> Clip:
    """The clip of `seed`, written under `folder` (made and kept there once for every process
    that shares it) or a temp dir; cached in this process."""
    key = (seed, frames)
    if key not in _CACHE:
        if folder is None:
            where = Path(tempfile.mkdtemp(prefix="roadsim-"))
            _CACHE[key] = _make(seed, frames, where, highway_parts())
        else:
            _CACHE[key] = stored(folder / f"road{seed}-{frames}.pickle", lambda: _make(
                seed, frames, folder, stored(folder / "highway-parts.pickle", highway_parts)))
    return _CACHE[key]


def _make(seed: int, frames: int, folder: Path, parts: Parts) -> Clip:
    cam, vehicles = random_scene(seed, frames, parts=parts)
    return render(cam, vehicles, folder / f"road{seed}-{frames}.mp4", frames, seed=seed,
                  parts=parts)
