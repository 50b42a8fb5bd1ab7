"""The tuning panel: A/B figures of the replayed stretch, the set before against the set now.

While the rewind buffer is replayed (`b`), every whole pass of the loop gives figures for the
parameters it ran with (`tracker.runtime.replay`); the panel puts the last pass with the
previous set beside the last pass with the current one, says which parameters differ, and
marks each figure better or worse. `tuning_lines` is a pure function of what the loop
published, so it is tested without an app.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, TuningReport
from flowtop.tracker.runtime.tuning import FIGURES, changed_keys, shown, verdict
from flowtop.tui.widgets.panel import LivePanel
from flowtop.tui.widgets.value_dialog import shown_value

VERDICTS = {1: ("better", "bold green"), -1: ("worse", "bold red"), 0: ("", "")}


def caption(report: TuningReport | None, status: LoopStatus) -> Text:
    """The first line: what is replayed and how far the pass is, or how to start."""
    if report is None or not report.replaying:
        held = f"the last {status.buffer_s:.1f} s" if status.buffer_s > 0 else "the buffer"
        text = Text("b", style="bold reverse", no_wrap=True, overflow="ellipsis")
        text.append(f" replays {held}: change a parameter, see it here")
        if report is not None:
            text.append(f" (shown: the last replay, {report.seconds:.1f} s)", style="dim")
        return text
    text = Text(f"replay {report.seconds:.1f} s · pass {status.replay_pass}", style="bold",
                no_wrap=True, overflow="ellipsis")
    text.append(f" · {report.progress:.0%}", style="dim")
    return text


def change_line(report: TuningReport | None, params: Params) -> Text:
    """Which tracking parameters the set before differs by, or what to do for an A/B."""
    before = report.previous if report is not None else None
    if before is None:
        return Text("A/B: after a whole pass, change a parameter", style="dim",
                    no_wrap=True, overflow="ellipsis")
    changes = changed_keys(before.params, params)
    if not changes:
        return Text("the sets before and now track alike", style="dim")
    key, old, new = changes[0]
    text = Text(f"{key} {shown_value(old)} → {shown_value(new)}", style="yellow",
                no_wrap=True, overflow="ellipsis")
    if len(changes) > 1:
        text.append(f" +{len(changes) - 1} more", style="dim")
    return text


def tuning_lines(report: TuningReport | None, status: LoopStatus, params: Params) -> Group:
    """The panel's content: caption, what changed, then a row per figure (A, B, verdict)."""
    before = report.previous if report is not None else None
    now = report.current if report is not None else None
    pending = report is not None and report.replaying and now is None
    table = Table(box=None, padding=(0, 0, 0, 1), header_style="bold cyan", expand=False)
    table.add_column("figure", no_wrap=True)
    table.add_column("A before", justify="right", no_wrap=True)
    table.add_column("B now", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for figure in FIGURES:
        a = before.figures if before is not None else None
        b = now.figures if now is not None else None
        word, style = VERDICTS[verdict(figure, a, b)]
        table.add_row(figure.label, shown(a, figure.name),
                      "…" if pending else shown(b, figure.name), Text(word, style=style))
    return Group(caption(report, status), change_line(report, params), table)


class TuningPanel(LivePanel):
    """The tuning view (6); `show` is cheap, and free while the panel is hidden."""

    DEFAULT_CSS = """
    TuningPanel { height: 14; }
    """  # caption, change, header, 9 figures, border

    def show(self, report: TuningReport | None, status: LoopStatus, params: Params) -> None:
        if not self.display:
            return
        self.show_content(tuning_lines(report, status, params))
