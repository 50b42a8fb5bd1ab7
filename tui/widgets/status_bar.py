"""The one-line status bar: run state first, then what fits of source, time, rates and bytes.

At any width the run state shows; the other fields go, least important first, until the line
fits. Rates show only while LIVE: a paused or ended run has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from flowtop.tracker.contracts import LoopStatus, RunState
from flowtop.tracker.redact import redact
from flowtop.tui.widgets.panel import LivePanel

STATE_STYLES = {
    RunState.LIVE: "bold black on green",
    RunState.PAUSED: "bold black on yellow",
    RunState.SOURCE_LOST: "bold white on red",
    RunState.ENDED: "bold white on blue",
    RunState.ERROR: "bold white on red",
}
SEPARATOR = " │ "
SLOW_PACE = 0.95  # a paced file played slower than this: tracking cannot keep up


@dataclass(frozen=True)
class PreviewFigures:
    """What the preview reports of itself for the status bar."""

    fps: float = 0.0
    kbps: float = 0.0
    budget_kbps: float = 0.0


@dataclass(frozen=True)
class Field:
    """One field of the bar: its text, its style, and its rank (lower stays longer); an
    `elastic` field (a message) is cut short rather than dropped."""

    text: str
    rank: int
    style: str = ""
    elastic: bool = False


def clock(seconds: float) -> str:
    """12.3 s as '0:12', 3725 s as '1:02:05'."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def fields(status: LoopStatus, live_points: int, preview: PreviewFigures) -> list[Field]:
    """Every field, in display order, with its rank; the source and the message never show
    credentials."""
    running = status.state == RunState.LIVE
    w, h = status.size

    def rate(v: float) -> str:
        return f"{v:4.1f}" if running else "  -"

    out = [Field(f" {status.state.value} ", 0, STATE_STYLES[status.state])]
    if status.message:  # why: lost, error, degenerate scene, motion too fast
        trouble = status.state != RunState.LIVE
        out.append(Field(redact(status.message), 1 if trouble else 3,
                         "red" if trouble else "yellow", elastic=trouble))
    source = redact(status.source)
    out.append(Field(f"{source} {w}x{h}" if w else source, 4))
    if status.duration_s > 0:
        out.append(Field(f"{clock(status.position_s)}/{clock(status.duration_s)}", 2))
    if running and status.pace < SLOW_PACE:  # a paced file that tracking cannot keep up with
        out.append(Field(f"x{status.pace:.2f} slow", 1, "bold yellow"))
    idle = 0 if running else 10  # a run that is not live has no rates to speak of
    out += [
        Field(f"trk {rate(status.track_fps)} fps", 3 + idle),
        Field(f"src {rate(status.source_fps)} fps", 6 + idle),
        Field(f"pts {live_points}", 5),
        Field(f"drop {status.dropped}", 7 if not status.dropped else 4),
        Field(f"prev {rate(preview.fps)} fps", 8 + idle),
    ]
    budget = f"/{preview.budget_kbps:.0f}" if preview.budget_kbps else ""
    out.append(Field(f"{preview.kbps if running else 0:.1f}{budget} KB/s", 9))
    return out


def status_text(status: LoopStatus, live_points: int, preview: PreviewFigures,
                width: int = 1000) -> Text:
    """The status line for `width` cells: the fields that fit, most important kept."""
    parts = fields(status, live_points, preview)
    while _length(parts) > width:
        droppable = [p for p in parts[1:] if not p.elastic]
        if not droppable:
            break
        parts.remove(max(droppable, key=lambda f: f.rank))
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, part in enumerate(parts):
        if i == 1:
            text.append(" ")
        elif i > 1:
            text.append(SEPARATOR, style="dim")
        text.append(part.text, style=part.style)
    text.truncate(width, overflow="ellipsis")
    return text


def _length(parts: list[Field]) -> int:
    return sum(len(p.text) for p in parts) + len(SEPARATOR) * max(0, len(parts) - 2) + 1


class StatusBar(LivePanel):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; }
    """

    def show(self, status: LoopStatus, live_points: int, preview: PreviewFigures) -> None:
        self.show_content(status_text(status, live_points, preview, self.size.width or 1000))
