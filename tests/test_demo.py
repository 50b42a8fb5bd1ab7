"""The demo scene: a pure function of time, truth that matches the picture, a layout that keeps
vehicles apart, a ground calibration that describes it, and shapes that survive 80x24."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.calibration.models import HomographyCalibration
from flowtop.tracker.sources.demo import DemoScene, MovingObject
from flowtop.tracker.sources.demo_road import RoadLayout

README = Path(__file__).resolve().parent.parent / "README.md"
TIMES = np.arange(0, 20, 1 / 30)


def test_frames_are_a_pure_function_of_time() -> None:
    a, b = DemoScene(), DemoScene()
    for t in (0.0, 1.234, 7.5, 61.0):
        frame = a.render(t)
        assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
        assert np.array_equal(frame, b.render(t))
    assert not np.array_equal(a.render(0.0), a.render(0.5))  # and it moves
    assert not a.background.flags.writeable  # shared between scenes: nobody may paint on it


def test_truth_outlines_match_the_picture() -> None:
    """Inside an object's outline the frame is the object, a few pixels outside it is the
    backdrop."""
    scene = DemoScene()
    for t in (0.4, 2.5, 6.1):
        frame = scene.render(t).astype(int)
        changed = np.abs(frame - scene.background).max(axis=2) > 0
        ys, xs = np.mgrid[0:scene.height, 0:scene.width]
        inside = np.zeros(changed.shape, bool)
        for obj in scene.truth(t):
            mask = obj.contains(xs, ys, margin=1.5)
            inside |= mask
            assert not mask.any() or changed[mask].mean() > 0.97, obj.name
        near = np.zeros(changed.shape, bool)
        for obj in scene.truth(t):
            near |= obj.contains(xs, ys, margin=-3)  # soft edges reach 3 px out
        assert not changed[~near].any()
        assert inside.sum() > 20_000  # the objects are big enough to matter


def test_neighbouring_lanes_keep_their_vehicles_apart() -> None:
    """Vehicles of one lane never touch those of the next, in rows, and neighbouring lanes
    drive opposite ways: the tracker never sees two vehicles overtaking side by side."""
    scene = DemoScene()
    vehicles = [o for o in scene.objects if o.look != "drone"]
    lanes: dict[float, list[MovingObject]] = {}
    for v in vehicles:
        lanes.setdefault(v.vx, []).append(v)
    assert len(lanes) == 4 and all(len(vs) == 2 for vs in lanes.values())
    by_row = sorted(lanes.values(), key=lambda vs: vs[0].cy)
    for upper, lower in itertools.pairwise(by_row):
        assert upper[0].vx * lower[0].vx < 0  # opposite directions
        bottom = max(v.cy + v.h / 2 for v in upper)
        top = min(v.cy - v.h / 2 for v in lower)
        assert top - bottom >= 3
    for a, b in itertools.combinations(vehicles, 2):
        if a.vx == b.vx:  # same lane: a constant gap, never overlapping
            gaps = [abs(ta.x - tb.x) - (a.w + b.w) / 2 for ta, tb in
                    ((_at(scene, a, t), _at(scene, b, t)) for t in TIMES[::15])
                    if max(abs(ta.x - 320), abs(tb.x - 320)) < 320 + max(a.w, b.w)]
            assert min(gaps) > 40
    drone = next(o for o in scene.objects if o.look == "drone")
    assert drone.cy - drone.radius - drone.h / 2 >= 0  # it never leaves the frame...
    assert drone.cy + drone.radius + drone.h / 2 < min(v.cy - v.h / 2 for v in vehicles)


def _at(scene: DemoScene, obj: MovingObject, t: float):
    return next(o for o in scene.truth(t) if o.name == obj.name)


def test_speeds_are_the_lanes_and_the_drone_turns() -> None:
    scene = DemoScene()
    speeds = {o.name: o.speed for o in scene.truth(3.0)}
    assert speeds["taxi"] == speeds["van"] == 160 and speeds["white car"] == 80
    assert len(set(speeds.values())) == 5
    headings = {round(float(np.degrees(np.arctan2(o.vy, o.vx)))) % 360
                for t in TIMES[::10] for o in scene.truth(t) if o.name == "drone"}
    assert len(headings) > 20  # it turns all the way round
    drone = [o.speed for t in TIMES[::10] for o in scene.truth(t) if o.name == "drone"]
    assert np.allclose(drone, 30.0)


@pytest.mark.parametrize("size", [(320, 180), (160, 90), (1280, 720)])
def test_other_sizes_scale_the_scene(size: tuple[int, int]) -> None:
    scene = DemoScene(*size)
    assert scene.render(1.0).shape == (size[1], size[0], 3)
    scale = size[0] / 640
    base = {o.name: o for o in DemoScene().truth(1.0)}
    for o in scene.truth(1.0):
        assert o.speed == pytest.approx(base[o.name].speed * scale)
        assert o.x == pytest.approx(base[o.name].x * scale, abs=0.5 + 2 * scale)


def test_vehicles_stay_bold_at_80x24() -> None:
    """At 80x24 the picture is about 71x40 half-block pixels: every vehicle wholly in view
    still covers a dozen of them in clearly different colours from the road."""
    scene = DemoScene()
    size = (71, 40)
    plain = cv2.resize(scene.background, size, interpolation=cv2.INTER_AREA).astype(int)
    for t in (1.0, 4.0, 9.0):
        frame = scene.render(t)
        for obj in scene.truth(t):
            if not obj.w / 2 <= obj.x <= 640 - obj.w / 2:
                continue
            alone = scene.background.copy()
            x0, y0 = round(obj.x - obj.w / 2), round(obj.y - obj.h / 2)
            alone[y0:y0 + obj.h, x0:x0 + obj.w] = frame[y0:y0 + obj.h, x0:x0 + obj.w]
            small = cv2.resize(alone, size, interpolation=cv2.INTER_AREA).astype(int)
            strong = (np.abs(small - plain).max(axis=2) > 40).sum()
            assert strong >= 12, f"{obj.name} at t={t}: {strong} pixels"


def test_ground_calibration_describes_the_road() -> None:
    road = RoadLayout(640, 360)
    image, world = road.calibration()
    homography = HomographyCalibration.from_points(image, world)
    rng = np.random.default_rng(1)
    pts = np.c_[rng.uniform(0, 640, 50), rng.uniform(road.lane_rows(0)[0], 359, 50)]
    expected = np.array([road.to_world(x, y) for x, y in pts])
    assert np.abs(homography.to_world(pts) - expected).max() < 0.02  # metres
    y = road.contact_row(3)
    a, b = homography.to_world([[100, y], [100 + road.px_per_m(y), y]])
    assert np.hypot(*(b - a)) == pytest.approx(1.0, abs=1e-3)  # a metre along the road
    far, near = (road.to_world(320, r)[1] for r in road.lane_rows(3))
    assert far - near == pytest.approx(3.5)  # lanes are 3.5 m wide


def test_readme_gives_the_demo_calibration() -> None:
    text = README.read_text()
    image, world = RoadLayout(640, 360).calibration()
    found = re.search(r"--set speed\.image_points='(.+?)' --set speed\.world_points='(.+?)'",
                      text)
    assert found, "README: the demo's ground calibration"
    assert found.group(1) == str(image) and found.group(2) == str(world)
