"""Colour modes: exact codes and glyphs for a tiny known image, auto mode, stabiliser."""

from __future__ import annotations

import numpy as np
import pytest
from states import track_state

from flowtop.tracker.render.cells import render_cells
from flowtop.tracker.render.palette import (
    ASCII_RAMP,
    SPACE,
    UPPER_HALF,
    Stabilizer,
    resolve_mode,
    style_cells,
)
from flowtop.tracker.render.scheme import Scheme

RED, BLACK, WHITE = (0, 0, 255), (0, 0, 0), (255, 255, 255)  # BGR


def tiny() -> np.ndarray:
    """2x2 BGR: cell 0 red over black, cell 1 white over white."""
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, 0], img[1, 0] = RED, BLACK
    img[:, 1] = WHITE
    return img


@pytest.mark.parametrize(("mode", "fg", "bg"), [
    ("truecolor", [0xFF0000, -1], [0x000000, 0xFFFFFF]),
    ("256", [196, -1], [16, 231]),
    ("16", [9, -1], [0, 15]),
    ("gray", [239, -1], [16, 231]),  # luma of red is 76: nearest gray 78 = index 239
])
def test_colour_modes_exact_cells(mode, fg, bg):
    styled = style_cells(render_cells(tiny(), None, 2, 1), mode)
    assert styled.fg.tolist() == [fg]
    assert styled.bg.tolist() == [bg]
    assert styled.glyph.tolist() == [[UPPER_HALF, SPACE]]  # equal halves: a space


def test_ascii_mode_ramp_and_marks():
    styled = style_cells(render_cells(tiny(), None, 2, 1), "ascii")
    assert (styled.fg == -1).all() and (styled.bg == -1).all()
    # red over black: mean (127, 0, 0), luma 38 -> ramp[1]; white -> the last of the ramp
    assert "".join(map(chr, styled.glyph[0])) == ASCII_RAMP[1] + ASCII_RAMP[-1]
    gray = np.repeat(np.repeat(np.arange(0, 256, 25, dtype=np.uint8), 2)[None, :, None],
                     3, axis=2).reshape(1, -1, 3)
    row = style_cells(render_cells(np.repeat(gray, 2, axis=0), None, gray.shape[1], 1),
                      "ascii").glyph[0]
    chars = "".join(map(chr, row))
    assert chars[0] == " " and chars[-1] == "@"
    assert [ASCII_RAMP.index(c) for c in chars] == sorted(ASCII_RAMP.index(c) for c in chars)


def test_ascii_marks_points_with_a_letter():
    moving = track_state([[0.0, 0.0]], speed=np.array([40.0], np.float32))
    styled = style_cells(render_cells(tiny(), moving, 2, 1), "ascii")
    assert chr(styled.glyph[0, 0]) == "O"
    still = track_state([[0.0, 0.0]])  # static: hidden unless every track is shown
    assert chr(style_cells(render_cells(tiny(), still, 2, 1), "ascii").glyph[0, 0]) != "O"
    every = render_cells(tiny(), still, 2, 1, scheme=Scheme(all_tracks=True))
    assert chr(style_cells(every, "ascii").glyph[0, 0]) == "O"


def test_letterbox_cells_have_no_colour():
    img = np.full((4, 2, 3), 255, np.uint8)  # tall: letterboxed left and right in 6x2
    for mode in ("truecolor", "256", "16", "gray", "ascii"):
        styled = style_cells(render_cells(img, None, 6, 2), mode)
        assert (styled.fg[:, 0] == -1).all() and (styled.bg[:, 0] == -1).all()
        assert (styled.glyph[:, 0] == SPACE).all()


@pytest.mark.parametrize(("env", "mode"), [
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
    ({"TERM": "xterm-256color", "COLORTERM": "24bit"}, "truecolor"),
    ({"TERM": "xterm-direct"}, "truecolor"),
    ({"TERM": "screen-256color"}, "256"),
    ({"TERM": "xterm"}, "16"),
    ({"TERM": "linux"}, "16"),
    ({"TERM": "dumb"}, "ascii"),
    ({}, "ascii"),
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"}, "ascii"),
    ({"TERM": "xterm-256color", "NO_COLOR": ""}, "256"),  # empty NO_COLOR does not count
])
def test_auto_mode_from_environment(env, mode):
    assert resolve_mode("auto", env) == mode
    assert resolve_mode("16", env) == "16"


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown colour mode"):
        resolve_mode("sepia")


def test_quantisation_keeps_bits_and_spans_the_range():
    q = Stabilizer(bits=2)
    out = q(np.array([[[0, 63, 64], [128, 200, 255]]], np.uint8))
    assert out.tolist() == [[[0, 0, 85], [170, 255, 255]]]  # 4 levels: value >> 6
    assert Stabilizer(bits=8)(np.arange(256, dtype=np.uint8).reshape(1, -1, 1).repeat(3, 2)
                              ).ravel()[::3].tolist() == list(range(256))


def test_hysteresis_keeps_a_colour_until_it_moves_past_the_threshold():
    h = Stabilizer(threshold=16)
    first = np.full((2, 2, 3), 100, np.uint8)
    assert (h(first) == 100).all()
    noisy = first.copy()
    noisy[0, 0] = (110, 90, 116)  # within 16 on every channel: kept
    noisy[1, 1] = (100, 100, 117)  # one channel past 16: taken
    out = h(noisy)
    assert out[0, 0].tolist() == [100, 100, 100]
    assert out[1, 1].tolist() == [100, 100, 117]
    drift = noisy.copy()
    drift[0, 0] = (120, 100, 100)  # 20 from what is shown now: taken
    assert h(drift)[0, 0].tolist() == [120, 100, 100]
    assert h(np.zeros((3, 3, 3), np.uint8)).shape == (3, 3, 3)  # a new size starts afresh


def test_stabiliser_bounds():
    with pytest.raises(ValueError, match="bits"):
        Stabilizer(bits=0)
    with pytest.raises(ValueError, match="threshold"):
        Stabilizer(threshold=300)
