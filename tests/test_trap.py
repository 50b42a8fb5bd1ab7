"""The speed trap: crossing detection, interpolated crossing times, results in state and CSV."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from flowtop.tracker.calibration.models import from_mps
from flowtop.tracker.config.params import Params, TrapParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.core.trap import TrapTimer, crossing
from flowtop.tracker.output.rows import ObjectWriter
from flowtop.tracker.sources.demo import DemoScene, MovingObject

W, H = 640, 360
LINE_A = [[200, 20], [200, 340]]
LINE_B = [[440, 20], [440, 340]]


def test_crossing_inside_and_outside_the_segment() -> None:
    line = [[10, 0], [10, 100]]
    assert crossing(line, np.array([0.0, 50]), np.array([20.0, 50])) == pytest.approx(0.5)
    assert crossing(line, np.array([4.0, 50]), np.array([12.0, 50])) == pytest.approx(0.75)
    assert crossing(line, np.array([20.0, 50]), np.array([0.0, 50])) == pytest.approx(0.5)
    assert crossing(line, np.array([0.0, 150]), np.array([20.0, 150])) is None  # past its end
    assert crossing(line, np.array([0.0, 50]), np.array([5.0, 50])) is None  # not reached


def test_timer_interpolates_between_frames() -> None:
    trap = TrapParams(line_a=[[10, 0], [10, 100]], line_b=[[30, 0], [30, 100]], distance=5.0)
    timer = TrapTimer()
    p = [np.array([x, 50.0]) for x in (0, 15, 26, 40)]
    t = [0.0, 1.0, 2.0, 3.0]
    assert timer.step(trap, "m/s", 7, p[0], t[0], p[1], t[1]) is None  # crossed A at 2/3 s
    assert timer.step(trap, "m/s", 7, p[1], t[1], p[2], t[2]) is None
    result = timer.step(trap, "m/s", 7, p[2], t[2], p[3], t[3])  # crossed B at 2 + 4/14 s
    assert result is not None and result.direction == "A→B" and result.object_id == 7
    seconds = (2 + 4 / 14) - 2 / 3
    assert result.seconds == pytest.approx(seconds)
    assert result.speed == pytest.approx(5.0 / seconds)
    assert timer.step(trap, "m/s", 7, p[3], 3.0, p[0], 4.0) is None  # one result per object


def run_scene(vx: float, trap: TrapParams, unit: str = "km/h", seconds: float = 4.5,
              writer: ObjectWriter | None = None):
    """One object crossing the frame at vx px/s; frames at irregular times near 25 fps."""
    start = 60 if vx > 0 else 580
    scene = DemoScene(W, H, (MovingObject("van", 90, 60, cx=start, cy=180, vx=vx),))
    params = dataclasses.replace(Params(), trap=trap).with_value("speed.unit", unit)
    tracker = Tracker(params)
    rng = np.random.default_rng(5)
    t, i, state = 0.0, 0, None
    while t < seconds:
        state = tracker.update(Frame(i, t, scene.render(t)))
        if writer:
            writer.write(state)
        t += rng.uniform(0.7, 1.3) / 25
        i += 1
    return state


@pytest.mark.slow
@pytest.mark.parametrize(("vx", "direction"), [(110.0, "A→B"), (-130.0, "B→A")])
def test_trap_speed_of_an_object_crossing_both_lines(vx: float, direction: str) -> None:
    trap = TrapParams(line_a=LINE_A, line_b=LINE_B, distance=12.0)
    state = run_scene(vx, trap)
    assert len(state.trap) == 1
    result = state.trap[0]
    truth_s = 240 / abs(vx)  # the lines are 240 px apart
    assert result.seconds == pytest.approx(truth_s, rel=0.01)
    assert result.speed == pytest.approx(float(from_mps(12.0 / truth_s, "km/h")), rel=0.01)
    assert result.direction == direction and result.unit == "km/h"
    obj = next(o for o in state.objects if o.id == result.object_id)
    assert obj.trap_speed == result.speed and obj.trap_unit == "km/h"


@pytest.mark.slow
def test_no_trap_result_without_both_crossings() -> None:
    trap = TrapParams(line_a=LINE_A, line_b=[[620, 20], [620, 340]], distance=12.0)
    state = run_scene(110.0, trap, seconds=3.0)  # reaches x = 60 + 330 < 620
    assert state.trap == ()
    assert all(math.isnan(o.trap_speed) for o in state.objects)
    off = run_scene(110.0, TrapParams(line_a=LINE_A, line_b=LINE_B))  # distance 0: trap off
    assert off.trap == ()


@pytest.mark.slow
def test_trap_speed_in_the_objects_csv(tmp_path: Path) -> None:
    out = tmp_path / "objects.csv"
    writer = ObjectWriter(out)
    run_scene(110.0, TrapParams(line_a=LINE_A, line_b=LINE_B, distance=12.0), unit="mph",
              writer=writer)
    writer.close()
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    trapped = [r for r in rows if r["trap_speed"]]
    assert trapped and all(r["trap_unit"] == "mph" for r in trapped)
    expected = float(from_mps(12.0 / (240 / 110), "mph"))
    assert float(trapped[-1]["trap_speed"]) == pytest.approx(expected, rel=0.01)
    assert rows[0]["trap_speed"] == ""
