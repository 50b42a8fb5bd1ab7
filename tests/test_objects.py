"""Objects: grouping tracks that move together, stable ids, robust speeds, the objects CSV."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from flowtop.tracker.config.params import ObjectParams, Params
from flowtop.tracker.contracts import ObjectState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.core.grouping import absorb_edges, components, core_speed, near_pairs
from flowtop.tracker.core.objects import ObjectGrouper, TrackView, object_state
from flowtop.tracker.output.rows import OBJECT_COLUMNS, ObjectWriter
from flowtop.tracker.sources.demo import DemoScene, DemoSource, MovingObject
from flowtop.tui.cli.main import main

MARGIN = 5  # px: an object's box centre may sit this far outside its true box


def link_groups(pts: npt.ArrayLike, vel: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Group labels of points linked by `near_pairs` (25 px, 25 %, 5 px/s floor)."""
    links = near_pairs(pts, vel, link_distance=25, tolerance=0.25, floor=5)
    return components(len(np.asarray(pts).reshape(-1, 2)), links.a[links.linked],
                      links.b[links.linked])


def test_link_groups_needs_closeness_and_similar_velocity() -> None:
    pts = [[0, 0], [20, 0], [40, 0], [100, 0], [0, 30], [20, 30]]
    vel = [[50, 0], [52, 0], [49, 0], [50, 0], [-50, 0], [-50, 1]]
    labels = link_groups(pts, vel)
    assert labels[0] == labels[1] == labels[2]  # a chain of close, like-moving points
    assert labels[3] != labels[0]  # like-moving but far
    assert labels[4] == labels[5] != labels[0]  # close but moving the other way
    assert len(link_groups(np.zeros((0, 2)), np.zeros((0, 2)))) == 0


def test_core_speed_leaves_out_sliding_edge_tracks() -> None:
    rigid = 75 + np.random.default_rng(0).normal(0, 0.4, 25)
    sliders = np.linspace(40, 68, 22)  # tracks on the edge: partial, spread-out speeds
    speed, core = core_speed(np.r_[rigid, sliders, np.nan], band=0.04)
    assert speed == pytest.approx(75, abs=0.3)
    assert core[:25].all() and not core[25:].any()
    assert math.isnan(core_speed([np.nan, 0.0], 0.04)[0])


def test_edge_groups_are_absorbed_by_the_object_they_trail() -> None:
    pts = np.array([[0, 0], [10, 0], [20, 0], [30, 0], [10, 22], [20, 22], [200, 0]], float)
    vel = np.array([[100, 0]] * 4 + [[55, 0], [60, 0], [40, 0]], float)
    links = near_pairs(pts, vel, link_distance=25, tolerance=0.25, floor=5)
    labels = components(len(pts), links.a[links.linked], links.b[links.linked])
    assert len(set(labels.tolist())) == 3  # object, its slow edge, and a far slow point
    out = absorb_edges(labels, vel, links)
    assert len(set(out[:6].tolist())) == 1  # the edge joined the object
    assert out[6] != out[0]  # the far one stays apart
    backwards = vel.copy()
    backwards[4:6] = [[-55, 0], [-60, 0]]  # close but moving the other way: not an edge
    links = near_pairs(pts, backwards, 25, 0.25, 5)
    labels = components(len(pts), links.a[links.linked], links.b[links.linked])
    assert len(set(absorb_edges(labels, backwards, links).tolist())) == 3


def view(ids, pts, vel) -> TrackView:
    ids = np.asarray(ids, np.int64)
    vel = np.asarray(vel, np.float32).reshape(-1, 2)
    speed = np.hypot(vel[:, 0], vel[:, 1]).astype(np.float32)
    return TrackView(ids, np.asarray(pts, np.float32).reshape(-1, 2), vel, speed,
                     np.full(len(ids), np.nan), np.ones(len(ids), bool))


def blob(x: float, y: float, n: int = 6) -> np.ndarray:
    return np.array([[x + 8 * (i % 3), y + 8 * (i // 3)] for i in range(n)], np.float32)


def test_ids_are_stable_through_track_turnover_and_short_gaps() -> None:
    grouper = ObjectGrouper(ObjectParams(min_frames=1, keep_s=0.5))
    v = [[60, 0]] * 6
    first = grouper.update(0.0, view(range(1, 7), blob(100, 100), v), "")
    assert [o.id for o in first] == [1]
    # half the tracks replaced: still object 1
    ids = [1, 2, 3, 11, 12, 13]
    assert [o.id for o in grouper.update(0.1, view(ids, blob(106, 100), v), "")] == [1]
    # every track replaced: the box where object 1 should be carries the id over
    assert [o.id for o in grouper.update(0.2, view(range(21, 27), blob(112, 100), v), "")] == [1]
    # unseen for 0.2 s (< keep_s), then back with new tracks where it should be
    assert grouper.update(0.3, view([], np.zeros((0, 2)), []), "") == ()
    back = grouper.update(0.4, view(range(31, 37), blob(124, 100), v), "")
    assert [o.id for o in back] == [1]
    assert back[0].seen == pytest.approx(0.4)
    # a different object far away gets a new id
    other = grouper.update(0.5, view(range(41, 47), blob(400, 300), [[0, -80]] * 6), "")
    assert [o.id for o in other] == [2]


def test_objects_show_after_min_frames_and_static_tracks_make_none() -> None:
    grouper = ObjectGrouper(ObjectParams(min_frames=3))
    v = [[0, 40]] * 6
    shown = [grouper.update(i / 10, view(range(1, 7), blob(50, 50 + 4 * i), v), "")
             for i in range(4)]
    assert [len(s) for s in shown] == [0, 0, 1, 1]


def test_a_still_scene_has_no_objects() -> None:
    still = DemoScene(objects=(MovingObject("parked", 96, 64, cx=200, cy=150),))
    source = DemoSource(30, paced=False, frames=30, scene=still)
    tracker = Tracker()
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
        assert state.objects == ()


@pytest.mark.slow
def test_demo_scene_one_object_per_moving_object_with_the_right_speed(demo_run) -> None:
    """Eight vehicles both ways at 70 to 140 px/s and a drone circling at 30 px/s: each one
    object while wholly in view, at its speed (300 frames, 10 s)."""
    scene = DemoScene()
    frames = spurious = 0
    errors: dict[str, list[float]] = {}
    found: dict[str, list[int]] = {}
    ids: dict[str, list[int]] = {}
    assert len(demo_run) == 300
    for state in demo_run:
        if state.index < 15:
            continue
        frames += 1
        truth = scene.truth(state.t)
        whole = [o for o in truth if o.w / 2 <= o.x <= 640 - o.w / 2]
        for o in state.objects:
            hits = [tt for tt in truth if abs(o.x - tt.x) <= tt.w / 2 + MARGIN
                    and abs(o.y - tt.y) <= tt.h / 2 + MARGIN]
            if not hits:
                spurious += 1
                continue
            if hits[0] in whole:
                errors.setdefault(hits[0].name, []).append(o.speed / hits[0].speed - 1)
                ids.setdefault(hits[0].name, []).append(o.id)
        for tt in whole:
            count = sum(1 for o in state.objects if abs(o.x - tt.x) <= tt.w / 2 + MARGIN
                        and abs(o.y - tt.y) <= tt.h / 2 + MARGIN)
            found.setdefault(tt.name, []).append(count)
    assert set(found) == {o.name for o in scene.objects}  # each one seen whole
    for name, seen in found.items():
        counts = np.array(seen)
        assert np.mean(counts == 1) > 0.9, f"{name}: one object in only {np.mean(counts == 1)}"
        assert abs(np.median(errors[name])) < 0.02, f"{name}: speed off"
    assert spurious < 0.05 * frames
    drone = np.array(ids["drone"])  # the drone never leaves the frame: it keeps its id
    assert np.mean(drone == drone[0]) > 0.97


def test_object_box_and_fields_match_the_truck() -> None:
    source = DemoSource(30, paced=False, frames=40)
    tracker = Tracker(Params().with_value("speed.meters_per_pixel", 0.05))
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
    truck = next(t for t in source.scene.truth(state.t) if t.name == "truck")
    obj = min(state.objects, key=lambda o: math.hypot(o.x - truck.x, o.y - truck.y))
    assert abs(obj.x - truck.x) < 10 and abs(obj.y - truck.y) < 8
    assert 0.7 * truck.w < obj.w <= truck.w + 4 and 0.7 * truck.h < obj.h <= truck.h + 4
    assert abs(obj.direction - 180) < 2  # moving left
    assert obj.speed_world == pytest.approx(130 * 0.05, rel=0.02) and obj.unit == "m/s"
    assert obj.top_speed >= obj.speed and obj.tracks == len(obj.track_ids)
    assert obj.seen == pytest.approx(state.t - obj.first_seen)


def test_objects_csv_from_the_track_command(tmp_path: Path) -> None:
    out = tmp_path / "objects.csv"
    code = main(["track", "demo", "--frames", "45", "--objects-out", str(out),
                 "--set", "speed.meters_per_pixel=0.05", "--set", "speed.unit=km/h"])
    assert code == 0
    with out.open() as fh:
        header = fh.readline().strip().split(",")
        rows = list(csv.DictReader(fh, fieldnames=header))
    assert ",".join(header).startswith(
        "frame,t,object_id,x,y,w,h,vx,vy,speed,speed_world,unit")
    assert tuple(header) == OBJECT_COLUMNS
    last = [r for r in rows if int(r["frame"]) == 44]
    in_view = [o for o in DemoScene().truth(44 / 30) if abs(o.x - 320) < 320 + o.w / 2]
    assert len(last) == len(in_view) == 9  # the drone and eight vehicles, some partly out
    fastest = max(last, key=lambda r: float(r["speed"]))
    top = max(o.speed for o in in_view)  # the taxi, 160 px/s
    assert float(fastest["speed_world"]) == pytest.approx(top * 0.05 * 3.6, rel=0.02)
    assert fastest["unit"] == "km/h" and fastest["trap_speed"] == ""
    # refuses to overwrite without --force, with the flag named
    assert main(["track", "demo", "--frames", "2", "--objects-out", str(out)]) == 2


def test_objects_jsonl_uncalibrated_has_nulls(tmp_path: Path) -> None:
    out = tmp_path / "objects.jsonl"
    writer = ObjectWriter(out)
    source = DemoSource(30, paced=False, frames=20)
    tracker = Tracker()
    while (frame := source.read()) is not None:
        writer.write(tracker.update(frame))
    writer.close()
    import json
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["speed_world"] is None and r["unit"] is None for r in rows)
    assert list(rows[0])[:12] == list(OBJECT_COLUMNS[:12])


def test_object_state_is_the_dataclass_built_faster() -> None:
    values = (7, 1.5, 2.5, 30.0, 12.0, -4.0, 3.0, 5.0, math.nan, "km/h", 0.5, 2.0, 6.0,
              math.nan, 3, (4, 9, 11), math.nan, "m/s")
    fast, slow = object_state(*values), ObjectState(*values)
    assert repr(fast) == repr(slow) and hash(fast) == hash(slow)
    assert fast.__dict__ == slow.__dict__ and fast.direction == slow.direction
    with pytest.raises(AttributeError):  # still frozen
        fast.x = 0.0  # type: ignore[misc]
    # the fast path skips __init__: nothing may need to run there
    assert not hasattr(ObjectState, "__post_init__")
