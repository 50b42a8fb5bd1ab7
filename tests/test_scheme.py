"""The speed colour scale, its legend and steady top, and which tracks a scheme draws."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from states import object_state, track_state

from flowtop.tracker.config.params import PreviewParams
from flowtop.tracker.render.colors import object_colors, track_colors
from flowtop.tracker.render.cover import to_lab
from flowtop.tracker.render.palette import color_codes, xterm_256
from flowtop.tracker.render.scheme import (
    Scheme,
    SchemeStream,
    lead_tracks,
    owners,
    paint,
    scale_for,
)
from flowtop.tracker.render.speed_scale import (
    FALL_S,
    LEGEND_BARS,
    NO_SPEED_BGR,
    SCALE_STEPS,
    AutoTop,
    SpeedScale,
    nice_top,
    scale_lut,
)


def lab_of_bgr(bgr: np.ndarray) -> np.ndarray:
    return to_lab(np.ascontiguousarray(np.asarray(bgr, np.uint8)[..., ::-1]))


def test_scale_lightness_rises_with_speed_and_every_colour_is_saturated() -> None:
    lab = lab_of_bgr(scale_lut())
    assert len(lab) == SCALE_STEPS
    assert np.diff(lab[:, 0]).min() > 0.5 and lab[-1, 0] - lab[0, 0] > 50  # visible steps
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    assert chroma.min() > 60  # stands out on gray at any speed
    scale = SpeedScale(120.0)
    speeds = np.linspace(0, 120, 25)
    lightness = lab_of_bgr(scale.colors(speeds))[:, 0]
    assert (np.diff(lightness) >= 0).all() and lightness[-1] > lightness[0]
    np.testing.assert_array_equal(scale.colors([500.0, -3.0]),
                                  scale_lut()[[SCALE_STEPS - 1, 0]])
    assert tuple(scale.colors([math.nan])[0]) == NO_SPEED_BGR


def test_scale_keeps_its_hues_in_16_and_256_colours() -> None:
    rgb = np.ascontiguousarray(scale_lut()[:, ::-1])
    grays_16 = {0, 7, 8, 15}
    assert not set(color_codes(rgb, "16").tolist()) & grays_16  # never a gray box
    cube = xterm_256()
    codes = color_codes(rgb, "256")
    assert (codes < 232).all() and not (np.ptp(cube[codes], axis=1) == 0).any()


def test_legend_matches_the_scale() -> None:
    scale = SpeedScale(120.0)
    pieces = scale.legend()
    assert scale.legend_text() == "px/s 0 " + LEGEND_BARS + " 120"
    bars = [(text, rgb) for text, rgb in pieces if rgb is not None]
    assert "".join(text for text, _ in bars) == LEGEND_BARS  # rising bars, slow to fast
    middles = (np.arange(len(bars)) + 0.5) / len(bars) * 120.0
    expected = [tuple(int(c) for c in bgr[::-1]) for bgr in scale.colors(middles)]
    assert [rgb for _, rgb in bars] == expected
    assert SpeedScale(80.0, "km/h").legend_text().startswith("km/h 0 ")
    with pytest.raises(ValueError, match="top"):
        SpeedScale(0.0)


@pytest.mark.parametrize(("value", "top"), [
    (0.2, 1.0), (1.0, 1.0), (7.0, 8.0), (8.0, 8.0), (9.0, 10.0), (67.0, 80.0), (101.0, 150.0),
    (120.0, 150.0), (4100.0, 5000.0), (math.nan, 1.0)])
def test_nice_top(value: float, top: float) -> None:
    assert nice_top(value) == pytest.approx(top)


def test_auto_top_rises_at_once_and_falls_only_after_a_steady_low() -> None:
    auto = AutoTop()
    fast, slow = np.full(10, 110.0), np.full(10, 30.0)
    assert auto.update([], 0.0, "px/s").top == 100.0  # nothing moves yet
    assert auto.update(fast, 0.1, "px/s").top == 150.0
    assert auto.update(np.full(10, 90.0), 0.2, "px/s").top == 150.0  # a bit slower: holds
    assert auto.update(slow, 1.0, "px/s").top == 150.0  # well below: holds for a while...
    assert auto.update(slow, 1.0 + FALL_S / 2, "px/s").top == 150.0
    assert auto.update(fast, 1.0 + FALL_S * 0.75, "px/s").top == 150.0  # the wait restarts
    assert auto.update(slow, 10.0, "px/s").top == 150.0
    assert auto.update(slow, 10.0 + FALL_S, "px/s").top == 30.0  # ...then falls
    assert auto.update(fast, 10.1 + FALL_S, "px/s").top == 150.0
    assert auto.update(np.full(3, 40.0), 14.0, "km/h") == SpeedScale(40.0, "km/h")  # new unit
    assert auto.update(slow, 0.0, "km/h").top == 30.0  # time went back: a new stream


def track_row_state(speed, ids=None, objects=(), **fields):
    """Tracks on a row at x = 10, 20, ... with the given speeds (px/s)."""
    speed = np.asarray(speed, np.float32)
    pts = np.stack([10.0 * (1 + np.arange(len(speed))), np.full(len(speed), 5.0)], axis=1)
    state = track_state(pts, None, objects, speed=speed, **fields)
    return state if ids is None else replace(state, ids=np.asarray(ids, np.int64))


def test_paint_hides_static_tracks_and_sums_objects_up_by_one_trail() -> None:
    obj = object_state(9, 30.0, 5.0, 25.0, 6.0, speed=60.0, track_ids=(3, 4))
    state = track_row_state([0.5, 40.0, 58.0, 62.0, 3.0], objects=(obj,))
    scale = SpeedScale(100.0)
    look = paint(state, Scheme(scale=scale))
    assert look.static.tolist() == [True, False, False, False, True]
    assert look.marked.tolist() == [False, True, False, False, False]  # members: no points
    assert look.trailed.tolist() == [False, True, True, False, False]  # id 3 is nearest
    np.testing.assert_array_equal(look.object_bgr, scale.colors([60.0]))
    np.testing.assert_array_equal(look.colors[1], scale.colors([40.0])[0])
    np.testing.assert_array_equal(look.colors[2], look.object_bgr[0])  # the box's colour
    assert look.scale == scale
    every = paint(state, Scheme(all_tracks=True))
    assert every.marked.all() and every.trailed.all() and not every.static.any()
    np.testing.assert_array_equal(every.colors, track_colors(state.ids))
    np.testing.assert_array_equal(every.object_bgr, object_colors([9]))
    assert every.scale is None


def test_owners_and_leads_match_tracks_to_objects_by_id() -> None:
    near = object_state(1, 31.0, 5.0, 30.0, 6.0, speed=50.0, track_ids=(25, 3, 99))  # 99 gone
    far = object_state(2, 50.0, 5.0, 10.0, 6.0, speed=50.0, track_ids=(1,))
    state = track_row_state([50.0] * 5, ids=[40, 7, 3, 25, 1], objects=(near, far))
    owner = owners(state)  # tracks at x = 10, 20, 30, 40, 50
    assert owner.tolist() == [-1, -1, 0, 0, 1]
    assert lead_tracks(state, owner).tolist() == [-1, -1, 0, -1, 1]  # x=30 is nearest 31
    assert owners(track_row_state([50.0, 50.0])).tolist() == [-1, -1]  # no objects


def test_a_calibrated_state_is_coloured_by_world_speed() -> None:
    state = track_row_state([20.0, 20.0], speed_world=np.array([30.0, np.nan]), unit="km/h")
    scale = scale_for(state)
    assert scale.unit == "km/h" and scale.top == 30.0
    look = paint(state, Scheme(scale=scale))
    np.testing.assert_array_equal(look.colors[0], scale.colors([30.0])[0])
    assert tuple(look.colors[1]) == NO_SPEED_BGR


def test_scheme_stream_follows_params_and_holds_its_scale() -> None:
    state = track_row_state([0.0, 70.0, 75.0])
    stream = SchemeStream(PreviewParams())
    assert stream(state).scale == SpeedScale(80.0)
    stream.configure(PreviewParams(speed_max=200.0, min_speed=72.0))
    scheme = stream(state)
    assert scheme.scale == SpeedScale(200.0) and scheme.min_speed == 72.0
    assert paint(state, scheme).marked.tolist() == [False, False, True]
    stream.all_tracks = True
    assert stream(state).all_tracks
