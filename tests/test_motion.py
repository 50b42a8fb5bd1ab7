"""Moving things on a fixed camera: points for a late vehicle, background dragged by an edge
dropped, vehicles side by side kept apart, specks on the ground ignored."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.core.grouping import median, region_pairs, speed_split
from flowtop.tracker.core.motion import Foreground
from flowtop.tracker.core.tracks import Tracks

FPS = 30.0
W, H = 320, 240


def texture(h: int, w: int, seed: int, sigma: float = 2.0, contrast: float = 40.0
            ) -> npt.NDArray[np.uint8]:
    noise = np.random.default_rng(seed).standard_normal((h, w)).astype(np.float32)
    img = cv2.GaussianBlur(noise, (0, 0), sigma)
    return np.clip(128 + contrast * img / img.std(), 0, 255).astype(np.uint8)


def scene(patches: list[tuple[npt.NDArray[np.uint8], float, float]],
          background: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """`background` with each (patch, x, y) pasted at integer (x, y), clipped to the frame."""
    img = background.copy()
    for patch, x, y in patches:
        ph, pw = patch.shape
        x0, y0 = round(x), round(y)
        xs, ys = max(0, x0), max(0, y0)
        xe, ye = min(img.shape[1], x0 + pw), min(img.shape[0], y0 + ph)
        if xe > xs and ye > ys:
            img[ys:ye, xs:xe] = patch[ys - y0:ye - y0, xs - x0:xe - x0]
    return img


def on_box(state: TrackState, x: float, y: float, w: int, h: int) -> npt.NDArray[np.bool_]:
    p = state.pts
    return (p[:, 0] >= x) & (p[:, 0] < x + w) & (p[:, 1] >= y) & (p[:, 1] < y + h)


def test_a_vehicle_entering_a_full_scene_gets_points_at_once() -> None:
    """Static corners (on the verges) fill what they may of tracking.max_points; a vehicle
    that enters later on the smooth road, where it hides no point, has 10 points or more
    within 5 frames of being wholly in view."""
    ground = texture(H, W, 1)
    ground[80:150] = 120  # the road: nothing to track, nothing to free by hiding it
    car = texture(32, 48, 2, sigma=1.5, contrast=60)
    params = Params().with_value("tracking.max_points", 300)
    tracker = Tracker(params)
    speed = 4  # px per frame, entering from the left
    start = 60
    counts: list[int] = []
    for i in range(start + 30):
        x = -48 + speed * (i - start) if i >= start else -100
        state = tracker.update(Frame(i, i / FPS, cv2.cvtColor(
            scene([(car, x, 100)], ground), cv2.COLOR_GRAY2BGR)))
        if i == start - 1:
            assert state.live >= 0.55 * 300  # the still scene took its share
        if x >= 0:
            counts.append(int(on_box(state, x, 100, 48, 32).sum()))
    assert counts[5] >= 10, counts[:8]


def dragged_tracks(still_life: float) -> int:
    """Tracks that rested a second, then travelled more than 3 px with a passing edge."""
    ground = texture(H, W, 3, sigma=1.2, contrast=25)
    bar = np.full((60, 40), 20, np.uint8)  # a dark, sharp-edged vehicle
    bar[10:50, 8:32] = texture(40, 24, 4, sigma=1.0, contrast=50)
    tracker = Tracker(Params().with_value("tracking.still_life", still_life))
    rest: dict[int, tuple[float, npt.NDArray[np.float32]]] = {}  # id -> (since, where)
    dragged = set()
    for i in range(150):
        x = -60 + 3 * (i - 45) if i >= 45 else -100
        state = tracker.update(Frame(i, i / FPS, cv2.cvtColor(
            scene([(bar, x, 90)], ground), cv2.COLOR_GRAY2BGR)))
        for tid, p in zip(state.ids.tolist(), state.pts):
            since, where = rest.get(tid, (state.t, p))
            if np.abs(p - where).max() <= 1.0:
                rest[tid] = (since, where)
            else:
                if state.t - since >= 1.0 and np.abs(p - where).max() > 3.0:
                    dragged.add(tid)
                rest[tid] = (state.t, p)
    return len(dragged)


@pytest.mark.slow
def test_background_dragged_by_a_passing_edge_is_dropped() -> None:
    assert dragged_tracks(still_life=600.0) > 0  # the scene does drag background points
    assert dragged_tracks(still_life=1.0) == 0


def test_still_life_rules() -> None:
    pts = np.array([[10, 10], [50, 50], [90, 90]], np.float32)
    tracks = Tracks.new(pts, np.arange(3), 4, 0, np.full((3, 2), np.nan))
    tracks.manual = np.array([False, False, True])
    for _ in range(31):  # a second and a frame, within half a pixel
        tracks.pts = tracks.pts + np.float32(0.01)
        assert not tracks.settle(1 / FPS, radius=2.0, still_life=1.0).any()
    assert (tracks.rest >= 1.0).all() and tracks.background(1.0).tolist() == [1, 1, 0]
    tracks.pts = tracks.pts + np.array([[5, 0], [0.5, 0], [5, 0]], np.float32)
    woken = tracks.settle(1 / FPS, radius=2.0, still_life=1.0)
    assert woken.tolist() == [True, False, False]  # manual points are never woken
    assert tracks.rest[0] == 0 and tracks.rest[1] > 1.0


def side_by_side(use_foreground: bool) -> list[int]:
    """Objects seen on two vehicles in adjacent lanes, 14 px apart, at the same speed."""
    ground = texture(H, W, 5, sigma=1.5, contrast=20)
    cars = [texture(24, 40, s, sigma=1.2, contrast=60) for s in (6, 7)]
    params = Params().with_value("objects.use_foreground", use_foreground)
    tracker = Tracker(params)
    counts = []
    for i in range(80):
        x = 10 + 2.5 * i
        state = tracker.update(Frame(i, i / FPS, cv2.cvtColor(
            scene([(cars[0], x, 80), (cars[1], x + 6, 118)], ground), cv2.COLOR_GRAY2BGR)))
        if i >= 40:
            counts.append(len([o for o in state.objects if 70 <= o.y <= 150]))
    return counts


@pytest.mark.slow
def test_vehicles_side_by_side_at_one_speed_are_two_objects() -> None:
    assert np.mean(np.array(side_by_side(use_foreground=True)) == 2) > 0.9
    assert np.mean(np.array(side_by_side(use_foreground=False)) == 1) > 0.9  # one box on both


@pytest.mark.parametrize(("min_size", "objects"), [(0.4, False), (0.1, True)])
def test_specks_smaller_than_min_size_are_no_objects(min_size: float, objects: bool) -> None:
    """At 0.02 m/px a 14 px patch spans under 0.3 m of ground."""
    ground = texture(H, W, 8, sigma=1.5, contrast=20)
    speck = texture(14, 14, 9, sigma=1.0, contrast=60)
    params = (Params().with_value("speed.meters_per_pixel", 0.02)
              .with_value("objects.min_size", min_size))
    tracker = Tracker(params)
    seen = False
    for i in range(50):
        state = tracker.update(Frame(i, i / FPS, cv2.cvtColor(
            scene([(speck, 20 + 3 * i, 100)], ground), cv2.COLOR_GRAY2BGR)))
        seen |= bool(state.objects)
    assert seen is objects


def test_foreground_finds_what_moves_and_forgets_what_stays() -> None:
    ground = texture(H, W, 10)
    fg = Foreground(threshold=20, memory_s=1.0)
    block = np.full((40, 40), 250, np.uint8)
    for i in range(10):
        fg.update(scene([(block, 20 + 10 * i, 100)], ground), 1 / FPS)
    assert fg.on(np.array([[20 + 90 + 20, 120], [300, 20]])).tolist() == [True, False]
    regions = fg.regions(np.array([[130, 120], [135, 125], [300, 20]]))
    assert regions[0] == regions[1] > 0 and regions[2] == 0
    for _ in range(200):  # parked for 6.7 s: it becomes background
        fg.update(scene([(block, 110, 100)], ground), 1 / FPS)
    assert not fg.on(np.array([[130, 120]]))[0]


def test_region_pairs_pair_only_within_a_region_and_median_is_numpys() -> None:
    rng = np.random.default_rng(0)
    pts, vel = rng.uniform(0, 100, (60, 2)), rng.normal(0, 30, (60, 2))
    region = rng.integers(1, 4, 60)
    links = region_pairs(pts, vel, region, 30, 0.25, 5)
    assert (region[links.a] == region[links.b]).all() and (links.a < links.b).all()
    assert (np.hypot(*(pts[links.a] - pts[links.b]).T) <= 30).all()
    for values in (rng.normal(size=7), rng.normal(size=8), rng.normal(size=(5, 2))):
        assert np.allclose(median(values, axis=0 if values.ndim > 1 else None),
                           np.median(values, axis=0 if values.ndim > 1 else None))


def test_two_speeds_in_one_group_are_two_vehicles() -> None:
    rng = np.random.default_rng(1)
    touching = np.r_[rng.normal(57, 1.5, 20), rng.normal(40, 1.5, 15), [48, 50]]  # and a seam
    beside = rng.uniform(0, 40, (15, 2)) + np.array([45, 10])
    side = np.r_[rng.uniform(0, 40, (20, 2)), beside, [[42, 20], [43, 22]]]  # seam between
    fast = speed_split(touching, side, least=5, ratio=1.35)
    assert fast is not None and fast[:20].all() and not fast[20:35].any()
    one = np.r_[rng.normal(57, 1.5, 30), rng.uniform(25, 50, 6)]  # a body, slow edge tracks
    ring = np.r_[rng.uniform(5, 35, (30, 2)), [[0, 0], [40, 0], [0, 40], [40, 40], [20, 0],
                                               [0, 20]]]
    assert speed_split(one, ring, least=5, ratio=1.35) is None
    assert speed_split(touching, side, least=5, ratio=1.6) is None  # 57 / 40 is under 1.6
    assert speed_split(touching, rng.uniform(0, 40, (37, 2)), least=5, ratio=1.35) is None


def regions_one_by_one(mask: npt.NDArray[np.uint8], pts: np.ndarray,
                       where: np.ndarray) -> list[int]:
    """Foreground.regions point by point: the label of the opened mask under each point's
    half-size cell, or else (on the mask) of its first labelled neighbour in RING order."""
    labels = cv2.connectedComponents(cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                                      np.ones((3, 3), np.uint8)), None, 8,
                                     cv2.CV_32S)[1]
    h, w = mask.shape
    out = []
    for (x, y), look in zip(pts.tolist(), where.tolist()):
        row = min(max(int(np.float32(y) / np.float32(2)), 0), h - 1)
        col = min(max(int(np.float32(x) / np.float32(2)), 0), w - 1)
        found = int(labels[row, col]) if look else 0
        if look and not found and mask[row, col]:
            for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1),
                           (1, 1)):
                near = int(labels[min(max(row + dy, 0), h - 1), min(max(col + dx, 0), w - 1)])
                if near:
                    found = near
                    break
        out.append(found)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_regions_equal_a_point_by_point_lookup(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
    fg = Foreground()
    fg.mask = (rng.random((h, w)) < rng.choice([0.3, 0.6])).astype(np.uint8)  # ragged rims
    n = int(rng.integers(1, 300))
    pts = (rng.random((n, 2)) * [2 * w + 8, 2 * h + 8] - 4).astype(np.float32)  # some outside
    pts[: n // 4] = np.round(pts[: n // 4])  # on cell borders
    where = rng.random(n) < 0.8
    assert fg.regions(pts, where).tolist() == regions_one_by_one(fg.mask, pts, where)
    fg._labels = None
    assert fg.regions(pts).tolist() == regions_one_by_one(fg.mask, pts, np.ones(n, bool))
