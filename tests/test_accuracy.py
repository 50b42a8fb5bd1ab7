"""Measured speeds against ground truth: the demo scene, and real footage (highway.mp4)."""

from __future__ import annotations

import numpy as np
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import TYRE_LINE, DemoScene, DemoSource
from flowtop.tracker.sources.open import open_source

WARMUP = 30  # frames before velocities have settled


@pytest.mark.slow
def test_demo_speeds_within_one_percent(demo_run) -> None:
    """The first 150 frames (5 s) of the demo, tracked with the default parameters."""
    scene = DemoScene()
    per_object: dict[str, list[float]] = {o.name: [] for o in scene.objects}
    truth_speed: dict[str, float] = {}
    background: list[np.ndarray] = []
    for state in demo_run[:150]:
        if state.index < WARMUP:
            continue
        on_any = np.zeros(len(state.ids), bool)
        for obj in scene.truth(state.t):
            truth_speed[obj.name] = obj.speed
            on_any |= obj.contains(state.pts[:, 0], state.pts[:, 1], margin=-8)
            inner = obj.contains(state.pts[:, 0], state.pts[:, 1], margin=4) & (state.age > 10)
            per_object[obj.name].extend(state.speed[inner].tolist())
        background.append(state.speed[~on_any & (state.age > 10)])
    for name, speeds in per_object.items():  # every vehicle is in view a second or more
        assert len(speeds) > 100, name
        assert np.median(speeds) == pytest.approx(truth_speed[name], rel=0.01), name
    assert len(set(truth_speed.values())) == 5  # four lanes' speeds and the drone's
    still = np.concatenate(background)
    assert len(still) > 10_000
    assert np.median(still) < 0.5
    assert np.percentile(still, 95) < 0.5


@pytest.mark.slow
def test_demo_ground_calibration_reads_the_lane_speeds() -> None:
    """With the demo's ground homography (README), objects read the speed of their lane at the
    tyres' row; points above the road read a few percent high, as on a real camera."""
    source = DemoSource(paced=False, frames=120)
    road = source.scene.road
    image, world = road.calibration()
    tracker = Tracker(Params().with_value("speed.image_points", image)
                      .with_value("speed.world_points", world).with_value("speed.unit", "km/h"))
    ratios: dict[str, list[float]] = {}
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
        if frame.index < WARMUP:
            continue
        for truth in source.scene.truth(frame.t):
            if truth.name == "drone" or not truth.w / 2 <= truth.x <= 640 - truth.w / 2:
                continue
            tyres = truth.y + (TYRE_LINE - 0.5) * truth.h
            kmh = truth.speed / road.px_per_m(tyres) * 3.6
            hits = [o for o in state.objects if truth.contains(o.x, o.y)]
            if len(hits) == 1:
                ratios.setdefault(truth.name, []).append(hits[0].speed_world / kmh)
    assert len(ratios) >= 6
    for name, r in ratios.items():
        assert 0.98 < np.median(r) < 1.08, name


@pytest.mark.slow
def test_highway_cars_move_background_stays(highway) -> None:
    """Points in the road's lanes move; points on the static verges stay still."""
    source = open_source(str(highway), paced=False)
    tracker = Tracker(Params())
    speeds, live = [], []
    for _ in range(200):  # 6.7 s: a dozen cars cross
        frame = source.read()
        assert frame is not None
        state = tracker.update(frame)
        live.append(state.live)
        speeds.append(state.speed[state.age > 5])
    source.close()
    allspeeds = np.concatenate(speeds)
    assert np.median(live) > 100
    static = allspeeds < 2
    moving = allspeeds > 20  # cars cross the frame at tens to hundreds of px/s
    # still scenery holds at most 1 - tracking.motion_share of the points, cars the rest
    assert static.mean() > 0.4, "much of what is tracked is static scenery, and stays still"
    assert moving.mean() > 0.3, "cars' points move, and cars get their share of points"
    # few points in between: a track is either on a car or on the ground
    assert ((allspeeds > 2) & (allspeeds < 10)).mean() < 0.1
