"""Cells to ANSI text: exact output per mode, compactness, every row closed."""

from __future__ import annotations

import numpy as np
import pytest

from flowtop.tracker.render.ansi import cells_to_ansi, row_to_ansi
from flowtop.tracker.render.cells import Overlay, render_cells
from flowtop.tracker.render.palette import style_cells


def tiny() -> np.ndarray:
    """2x2 BGR: cell 0 red over black, cell 1 white over white."""
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, 0] = (0, 0, 255)
    img[:, 1] = 255
    return img


@pytest.mark.parametrize(("mode", "text"), [
    ("truecolor", "\x1b[38;2;255;0;0;48;2;0;0;0m▀\x1b[48;2;255;255;255m \x1b[0m\n"),
    ("256", "\x1b[38;5;196;48;5;16m▀\x1b[48;5;231m \x1b[0m\n"),
    ("16", "\x1b[91;40m▀\x1b[107m \x1b[0m\n"),
    ("gray", "\x1b[38;5;239;48;5;16m▀\x1b[48;5;231m \x1b[0m\n"),
    ("ascii", ".@\n"),  # no colour: no escape code at all
])
def test_each_mode_exact_text(mode, text):
    assert cells_to_ansi(render_cells(tiny(), None, 2, 1), mode) == text


def test_auto_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cells_to_ansi(render_cells(tiny(), None, 2, 1)) == \
        "\x1b[38;5;196;48;5;16m▀\x1b[48;5;231m \x1b[0m\n"


def test_runs_share_one_sequence_and_rows_end_with_reset_newline():
    img = np.zeros((4, 6, 3), np.uint8)
    img[:, :3] = (255, 0, 0)  # blue left half, black right half
    text = cells_to_ansi(render_cells(img, None, 6, 2), "256")
    rows = text.split("\n")
    assert rows[-1] == "" and len(rows) == 3
    assert rows[0] == "\x1b[48;5;21m   \x1b[48;5;16m   \x1b[0m"
    assert rows[1] == rows[0]


def test_text_after_spaces_sets_its_foreground():
    img = np.zeros((4, 8, 3), np.uint8)
    cells = render_cells(img, None, 8, 2, overlay=Overlay(labels=((4, 0, "ab"),),
                                                          color=(255, 255, 255)))
    row = row_to_ansi(style_cells(cells, "16"), 0)
    assert row == "\x1b[40m    \x1b[97mab  \x1b[0m"


def test_compact_cells_cost_less_than_half_blocks():
    flat = np.full((96, 160, 3), 128, np.uint8)
    noisy = np.random.default_rng(0).integers(0, 256, (96, 160, 3)).astype(np.uint8)
    flat_bytes = len(cells_to_ansi(render_cells(flat, None, 160, 48), "256").encode())
    noisy_bytes = len(cells_to_ansi(render_cells(noisy, None, 160, 48), "256").encode())
    assert flat_bytes < 48 * 200  # one sequence per row: a run of spaces
    assert noisy_bytes > 10 * flat_bytes
