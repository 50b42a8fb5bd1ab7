"""The preview's beat: draws made late do not lower the rate the user asked for."""

from __future__ import annotations

import random

from flowtop.tui.preview.pacing import next_draw_time


def test_late_draws_keep_the_asked_rate() -> None:
    """Timers firing up to 25 ms late, frames arriving every 33 ms: 15 fps stays 15 fps."""
    rng = random.Random(3)
    period, frame = 1 / 15, 1 / 30
    target, draws, now = 0.0, 0, 0.0
    while now < 20.0:
        due = max(target, now)
        arrival = (int(due / frame) + 1) * frame if rng.random() < 0.5 else due
        now = max(arrival, due + rng.uniform(0, 0.025))  # a new frame, or the timer, late
        draws += 1
        target = next_draw_time(target, now, period)
    assert abs(draws / 20.0 - 15) < 0.3


def test_a_draw_far_behind_starts_a_new_beat() -> None:
    """After a stall the next draw waits half a period, not a burst to catch up."""
    period = 1 / 15
    assert next_draw_time(1.0, 3.0, period) == 3.0 + period / 2
    assert next_draw_time(1.0, 1.01, period) == 1.0 + period  # on the beat
