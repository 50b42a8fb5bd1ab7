"""The objects panel: moving objects (id, speed, direction, size, time seen, top speed) and the
speed trap's latest passages."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

from flowtop.tracker.contracts import ObjectState, TrackState, TrapResult
from flowtop.tui.widgets.columns import Column, grid
from flowtop.tui.widgets.panel import LivePanel, on_screen
from flowtop.tui.widgets.speeds import arrow

TRAP_ROWS = 3  # passages listed under the table


def speed_text(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.1f}"


def objects_table(objects: Sequence[ObjectState], trap: Sequence[TrapResult], room: int,
                  width: int = 44) -> Text:
    """The panel's content for `width` x `room` cells: a row per object (fastest first) and
    the newest trap passages. Speeds are in the calibrated unit, else in px/s; a narrow panel
    drops whole columns (top speed, then time seen, then size), never digits."""
    calibrated = any(o.unit for o in objects)
    unit = next((o.unit for o in objects if o.unit), "px/s")
    trapped = bool(trap) or any(math.isfinite(o.trap_speed) for o in objects)
    caption = f"{len(objects)} moving object{'s' if len(objects) != 1 else ''}"
    if objects:
        fastest = max(objects, key=lambda o: o.speed_world if calibrated else o.speed)
        caption += f" · fastest #{fastest.id}"
    columns = [Column("id", "id", 3), Column("speed", unit, 6), Column("dir", "", 1, "left"),
               Column("size", "size", 7, drop=3), Column("seen", "seen", 5, drop=2),
               Column("top", "top", 6, drop=1)]
    if trapped:
        columns.append(Column("trap", "trap", 6, drop=4))
    trap_lines = trap[-TRAP_ROWS:] if trap else ()
    rows_room = max(1, room - 3 - (len(trap_lines) + 1 if trap_lines else 0))
    order = sorted(objects, key=lambda o: -(o.speed_world if calibrated else o.speed))
    rows = [{"id": str(o.id), "speed": speed_text(o.speed_world if calibrated else o.speed),
             "dir": arrow(o.vx, o.vy), "size": f"{o.w:.0f}×{o.h:.0f}",
             "seen": f"{o.seen:.1f}s",
             "top": speed_text(o.top_speed_world if calibrated else o.top_speed),
             "trap": speed_text(o.trap_speed)} for o in order[:rows_room]]
    text = Text(caption, style="bold", no_wrap=True, overflow="ellipsis")
    text.append("\n")
    text.append_text(grid(columns, rows, width))
    if len(order) > rows_room:
        text.append(f"\n+{len(order) - rows_room} more", style="dim")
    if trap_lines:
        text.append(f"\ntrap: {len(trap)} passage{'s' if len(trap) != 1 else ''}",
                    style="bold")
        for r in reversed(trap_lines):
            text.append(f"\n #{r.object_id} {r.direction} {r.seconds:.2f}s "
                        f"{r.speed:.1f} {r.unit}")
    return text


class ObjectsPanel(LivePanel):
    """The moving objects of the newest state, fastest first; trap passages below."""

    DEFAULT_CSS = """
    ObjectsPanel { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._state: TrackState | None = None

    def show(self, state: TrackState | None) -> None:
        if state is None or state is self._state or not on_screen(self):
            return  # off screen the table waits: `show` draws it when it is in view
        self._state = state
        self.show_content(objects_table(state.objects, state.trap, self.content_size.height or 12,
                                        self.content_size.width or 44))
