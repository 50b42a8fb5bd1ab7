"""When the preview draws (its beat, at `preview.fps` or what the budget allows), and how it
is doing (`PreviewStats`, for the status bar)."""

from __future__ import annotations

from dataclasses import dataclass

FPS_WINDOW_S = 2.0
PACE_SLACK_S = 0.015  # draw this much early rather than a timer tick late (timers jitter)
COVERED_POLL_S = 0.25  # how often a preview under a dialog looks whether it shows again


def next_draw_time(target: float, now: float, period: float) -> float:
    """When to draw next after a draw at `now` that was due at `target`: one `period` after
    `target`, so a draw made late (a timer firing late, a frame arriving after its turn)
    does not make every later one late and the rate fall short; but at least half a period
    after `now`, so a draw far behind starts a new beat instead of a burst."""
    return max(target + period, now + period / 2)


@dataclass(frozen=True)
class PreviewStats:
    """How the preview is doing: KB/s the app writes (measured), the budget (0 = none), frames
    drawn per second, the colour mode and picture scale in use (the budget may lower them),
    and the size in cells."""

    kbps: float = 0.0
    budget_kbps: float = 0.0
    fps: float = 0.0
    mode: str = ""
    cols: int = 0
    rows: int = 0
    scale: float = 1.0
