"""The figures that judge a parameter set, on states with known answers, and the objectives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from states import object_state, track_state

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TuningFigures
from flowtop.tracker.runtime.tuning import (
    FIGURES,
    OBJECTIVES,
    FigureCounter,
    changed_keys,
    coverage,
    shown,
    still_speeds,
    verdict,
)

IMAGE = np.zeros((90, 160, 3), np.uint8)  # GRID cells of 10 x 10 px


def frame(t: float, ids: list[int], speeds: list[float], lost: int = 0, objects=(),
          **fields) -> object:
    n = len(ids)
    pts = np.array([[5.0 + 10 * i, 5.0] for i in range(n)], np.float32)
    return track_state(pts, t=t, image=IMAGE, ids=np.array(ids, np.int64),
                       speed=np.array(speeds, np.float32), lost=lost, live=n,
                       fb_error=np.full(n, 0.2, np.float32), objects=tuple(objects), **fields)


def test_lifetime_lost_per_second_and_live_tracks_of_a_known_pass() -> None:
    counter = FigureCounter()
    counter.add(frame(0.0, [1, 2], [10.0, 0.0]))
    counter.add(frame(0.5, [1, 2, 3], [10.0, 0.0, 20.0]))
    counter.add(frame(1.0, [1, 3], [10.0, 20.0], lost=1))
    f = counter.figures()
    assert (f.frames, f.seconds) == (3, 1.0)
    assert f.lifetime_s == pytest.approx(0.75)  # moved tracks 1 (1.0 s) and 3 (0.5 s) only
    assert f.lost_per_s == pytest.approx(1.0)
    assert f.live_tracks == 2.0
    assert f.fb_error == pytest.approx(0.2)


def test_still_noise_counts_only_points_that_stayed_put() -> None:
    still = np.repeat([[[50.0, 40.0]]], 10, axis=1) + np.linspace(0, 0.5, 10)[None, :, None]
    moving = np.array([[[100.0 - 3 * k, 40.0] for k in range(10)]])
    trails = np.concatenate([still, moving]).astype(np.float32)
    state = track_state(trails[:, 0], trails=trails, speed=np.array([0.3, 90.0], np.float32),
                        age=np.array([9, 9], np.int32), image=IMAGE)
    assert still_speeds(state).tolist() == pytest.approx([0.3])
    young = track_state(trails[:, 0], trails=trails, trail_len=np.array([4, 10], np.int32),
                        speed=np.array([0.3, 90.0], np.float32), image=IMAGE)
    assert len(still_speeds(young)) == 0  # not followed long enough to say


def test_coverage_is_the_share_of_cells_holding_a_track() -> None:
    state = track_state([[1, 1], [2, 2], [15, 1], [159, 89]], image=IMAGE)
    assert coverage(state) == pytest.approx(3 / 144)
    assert coverage(track_state(np.zeros((0, 2)), image=IMAGE)) == 0.0


def test_an_id_change_is_an_object_gone_while_its_tracks_go_on() -> None:
    counter = FigureCounter()
    a = object_state(7, 10, 5, 20, 10, track_ids=(1, 2))
    counter.add(frame(0.0, [1, 2], [30.0, 30.0], objects=[a]))
    b = object_state(9, 12, 5, 20, 10, track_ids=(1, 2))
    counter.add(frame(0.1, [1, 2], [30.0, 30.0], objects=[b]))  # 7 gone, 9 took its tracks
    split = object_state(11, 12, 5, 20, 10, track_ids=(2,))
    counter.add(frame(0.2, [1, 2], [30.0, 30.0],
                      objects=[object_state(9, 12, 5, 20, 10, track_ids=(1,)), split]))
    f = counter.figures()
    assert f.objects == 3 and f.id_changes == 1  # a split while 9 lives is no id change
    assert f.object_life_s == pytest.approx(0.0)  # 7, 9 and 11: 0, 0.1, 0 s


def test_a_pass_with_nothing_to_measure_says_so_with_nan() -> None:
    f = FigureCounter().figures()
    assert f.frames == 0 and math.isnan(f.lifetime_s) and math.isnan(f.coverage)
    assert shown(f, "lifetime_s") == "-" and shown(None, "objects") == "-"


def test_verdicts_follow_the_better_direction_and_ignore_what_reads_the_same() -> None:
    a = TuningFigures(lost_per_s=20.0, lifetime_s=1.0, live_tracks=100, fb_error=0.0012)
    b = TuningFigures(lost_per_s=10.0, lifetime_s=0.5, live_tracks=300, fb_error=0.0012001)
    by = {f.name: f for f in FIGURES}
    assert verdict(by["lost_per_s"], a, b) == 1  # fewer lost: better
    assert verdict(by["lifetime_s"], a, b) == -1  # shorter lives: worse
    assert verdict(by["live_tracks"], a, b) == 0  # more tracks: neither
    assert verdict(by["fb_error"], a, b) == 0  # the same as shown
    assert verdict(by["lost_per_s"], None, b) == 0
    assert shown(b, "coverage") == "-" and shown(TuningFigures(coverage=0.25), "coverage") == "25"


def test_objectives_rank_best_first_with_nan_last() -> None:
    noise = OBJECTIVES["noise"]
    quiet, loud, none = (TuningFigures(still_noise=v, live_tracks=10) for v in (0.1, 0.5,
                                                                                math.nan))
    assert sorted([none, loud, quiet], key=noise.key) == [quiet, loud, none]
    life = OBJECTIVES["lifetime"]
    tie_a = TuningFigures(lifetime_s=2.0, lost_per_s=5.0)
    tie_b = TuningFigures(lifetime_s=2.0, lost_per_s=3.0)
    assert sorted([tie_a, tie_b], key=life.key) == [tie_b, tie_a]
    assert set(OBJECTIVES) == {"lifetime", "noise", "objects", "coverage"}


def test_changed_keys_name_tracking_changes_only() -> None:
    base = Params()
    changed = base.with_value("lk.win_size", 21).with_value("preview.color", "gray")
    changed = changed.with_value("replay.seconds", 10.0)
    assert changed_keys(base, changed) == [("lk.win_size", 15, 21)]
    assert changed_keys(base, base) == []
