"""The one-line status bar: source, rates, drops, points, bandwidth and run state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from flowtop.tracker.contracts import LoopStatus, RunState
from flowtop.tui.widgets.panel import LivePanel

STATE_STYLES = {
    RunState.LIVE: "bold black on green",
    RunState.PAUSED: "bold black on yellow",
    RunState.SOURCE_LOST: "bold white on red",
    RunState.ENDED: "bold white on blue",
    RunState.ERROR: "bold white on red",
}


@dataclass(frozen=True)
class PreviewFigures:
    """What the preview reports of itself for the status bar."""

    fps: float = 0.0
    kbps: float = 0.0
    budget_kbps: float = 0.0


def status_text(status: LoopStatus, live_points: int, preview: PreviewFigures) -> Text:
    """The status line. Rates show only while LIVE: a paused or ended run has none."""
    running = status.state == RunState.LIVE
    w, h = status.size

    def rate(v: float) -> str:
        return f"{v:5.1f}" if running else "    -"

    budget = f"/{preview.budget_kbps:.0f}" if preview.budget_kbps else ""
    parts = [
        f"{status.source} {w}x{h}",
        f"src {rate(status.source_fps)} fps",
        f"trk {rate(status.track_fps)} fps",
        f"prev {rate(preview.fps)} fps",
        f"drop {status.dropped}",
        f"pts {live_points}",
        f"{preview.kbps if running else 0:.1f}{budget} KB/s",
    ]
    text = Text(" │ ".join(parts) + " ", no_wrap=True, overflow="ellipsis")
    text.append(f" {status.state.value} ", style=STATE_STYLES[status.state])
    if status.message:
        text.append(f" {status.message}", style="red" if status.state != RunState.LIVE else "")
    return text


class StatusBar(LivePanel):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; }
    """

    def show(self, status: LoopStatus, live_points: int, preview: PreviewFigures) -> None:
        self.show_content(status_text(status, live_points, preview))
