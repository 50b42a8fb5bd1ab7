"""PaceWindow: media seconds per wall second of a played file, on exact times."""

from __future__ import annotations

import pytest

from flowtop.tracker.runtime.rates import PaceWindow


def feed(window: PaceWindow, frames: int, wall_dt: float, media_dt: float) -> float:
    """`frames` frames, each `wall_dt` apart on the wall clock and `media_dt` in the file;
    the last pace."""
    pace = 0.0
    for i in range(frames):
        pace = window.add(i * wall_dt, i * media_dt)
    return pace


def test_a_file_played_at_its_rate_has_pace_one() -> None:
    assert feed(PaceWindow(2.0), 90, 1 / 30, 1 / 30) == pytest.approx(1.0)


def test_tracking_at_half_the_rate_gives_half() -> None:
    assert feed(PaceWindow(2.0), 90, 1 / 15, 1 / 30) == pytest.approx(0.5)


def test_pace_is_one_until_the_window_is_half_full() -> None:
    window = PaceWindow(2.0)
    assert feed(window, 20, 1 / 20, 1 / 40) == 1.0  # 0.95 s of wall time: not yet
    assert window.add(1.0, 0.5) == pytest.approx(0.5)


def test_the_window_forgets_old_frames() -> None:
    window = PaceWindow(2.0)
    feed(window, 60, 1 / 30, 1 / 60)  # slow for two seconds
    pace = 0.0
    for i in range(61, 200):  # then at full rate
        pace = window.add(i / 30, 1.0 + (i - 61) / 30)
    assert pace == pytest.approx(1.0)


def test_reset_starts_the_measure_again() -> None:
    window = PaceWindow(2.0)
    feed(window, 90, 1 / 15, 1 / 30)
    window.reset()
    assert window.add(100.0, 50.0) == 1.0


def test_the_window_must_have_a_length() -> None:
    with pytest.raises(ValueError, match="seconds"):
        PaceWindow(0.0)
