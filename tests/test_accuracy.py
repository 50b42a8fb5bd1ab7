"""Measured speeds against ground truth: the demo scene, and real footage (highway.mp4)."""

from __future__ import annotations

import numpy as np
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tracker.sources.open import open_source

WARMUP = 30  # frames before velocities have settled


def test_demo_speeds_within_one_percent() -> None:
    source = DemoSource(paced=False, frames=150)
    tracker = Tracker(Params())
    per_object: dict[str, list[float]] = {o.name: [] for o in source.scene.objects}
    truth_speed: dict[str, float] = {}
    background: list[np.ndarray] = []
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
        if frame.index < WARMUP:
            continue
        on_any = np.zeros(len(state.ids), bool)
        for obj in source.scene.truth(frame.t):
            truth_speed[obj.name] = obj.speed
            on_any |= obj.contains(state.pts[:, 0], state.pts[:, 1], margin=-8)
            inner = obj.contains(state.pts[:, 0], state.pts[:, 1], margin=4) & (state.age > 10)
            per_object[obj.name].extend(state.speed[inner].tolist())
        background.append(state.speed[~on_any & (state.age > 10)])
    for name, speeds in per_object.items():
        assert len(speeds) > 500, name
        assert np.median(speeds) == pytest.approx(truth_speed[name], rel=0.01), name
    still = np.concatenate(background)
    assert len(still) > 10_000
    assert np.median(still) < 0.5
    assert np.percentile(still, 95) < 0.5


@pytest.mark.slow
def test_highway_cars_move_background_stays(highway) -> None:
    """Points in the road's lanes move; points on the static verges stay still."""
    source = open_source(str(highway), paced=False)
    tracker = Tracker(Params())
    speeds, live = [], []
    for _ in range(300):
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
