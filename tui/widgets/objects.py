"""The objects panel: moving objects (id, speed, direction, size, time seen, top speed) and the
speed trap's latest passages."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from flowtop.tracker.contracts import ObjectState, TrackState, TrapResult
from flowtop.tui.widgets.panel import LivePanel
from flowtop.tui.widgets.speeds import arrow

TRAP_ROWS = 3  # passages listed under the table


def speed_text(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.1f}"


def objects_table(objects: Sequence[ObjectState], trap: Sequence[TrapResult], room: int
                  ) -> Group:
    """The panel's content: a row per object (fastest first, at most `room` rows in all) and
    the newest trap passages. Speeds are in the calibrated unit, else in px/s."""
    calibrated = any(o.unit for o in objects)
    unit = next((o.unit for o in objects if o.unit), "px/s")
    trapped = bool(trap) or any(math.isfinite(o.trap_speed) for o in objects)
    caption = f"{len(objects)} moving object{'s' if len(objects) != 1 else ''}"
    if objects:
        fastest = max(objects, key=lambda o: o.speed_world if calibrated else o.speed)
        caption += f" · fastest #{fastest.id}"
    table = Table(title=Text(caption, style="bold"), title_justify="left", expand=True,
                  box=None, padding=(0, 1), header_style="bold cyan")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column(unit, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("seen", justify="right", no_wrap=True)
    table.add_column("top", justify="right", no_wrap=True)
    if trapped:
        table.add_column("trap", justify="right", no_wrap=True)
    trap_lines = trap[-TRAP_ROWS:] if trap else ()
    rows = max(1, room - 2 - (len(trap_lines) + 1 if trap_lines else 0))
    order = sorted(objects, key=lambda o: -(o.speed_world if calibrated else o.speed))
    for o in order[:rows]:
        cells = [str(o.id), speed_text(o.speed_world if calibrated else o.speed),
                 arrow(o.vx, o.vy), f"{o.w:.0f}×{o.h:.0f}", f"{o.seen:.1f}s",
                 speed_text(o.top_speed_world if calibrated else o.top_speed)]
        if trapped:
            cells.append(speed_text(o.trap_speed))
        table.add_row(*cells)
    if len(order) > rows:
        table.caption = f"+{len(order) - rows} more"
        table.caption_justify = "left"
    parts: list = [table]
    if trap_lines:
        lines = Text(f"trap: {len(trap)} passage{'s' if len(trap) != 1 else ''}",
                     style="bold")
        for r in reversed(trap_lines):
            lines.append(f"\n #{r.object_id} {r.direction} {r.seconds:.2f}s "
                         f"{r.speed:.1f} {r.unit}")
        parts.append(lines)
    return Group(*parts)


class ObjectsPanel(LivePanel):
    """The moving objects of the newest state, fastest first; trap passages below."""

    DEFAULT_CSS = """
    ObjectsPanel { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state: TrackState | None = None

    def show(self, state: TrackState | None) -> None:
        if state is None or state is self._state:
            return
        self._state = state
        self.show_content(objects_table(state.objects, state.trap, self.size.height or 12))
