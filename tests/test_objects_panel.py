"""The Objects panel: its table as a pure function, and the widget in a tiny host app."""

from __future__ import annotations

import dataclasses
import io
import math

import pytest
from rich.console import Console
from textual.app import App, ComposeResult

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import ObjectState, TrapResult
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tui.widgets.objects import ObjectsPanel, objects_table


def text_of(renderable, width: int = 60) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def table_rows(text: str) -> list[list[str]]:
    """The object rows of a rendered table, split into cells."""
    return [line.split() for line in text.splitlines()
            if line.split()[:1] and line.split()[0].isdigit() and "moving" not in line]


def obj(i: int, speed: float, world: float = math.nan, unit: str = "", **kw) -> ObjectState:
    base = {"id": i, "x": 10.0, "y": 10.0, "w": 40.0, "h": 20.0, "vx": speed, "vy": 0.0,
            "speed": speed, "speed_world": world, "unit": unit, "first_seen": 1.0, "t": 3.5,
            "top_speed": speed + 5, "top_speed_world": world + 1, "tracks": 5}
    base.update(kw)
    return ObjectState(**base)


def test_table_uncalibrated_in_px_per_second() -> None:
    text = text_of(objects_table([obj(3, 50.0), obj(7, 120.0, vx=0.0, vy=-120.0)], [], 20))
    assert "2 moving objects · fastest #7" in text
    lines = [line.split() for line in text.splitlines()]
    header = next(line for line in lines if line and line[0] == "id")
    assert header == ["id", "px/s", "size", "seen", "top"]
    rows = table_rows(text)
    assert rows[0] == ["7", "120.0", "↑", "40×20", "2.5s", "125.0"]  # fastest first
    assert rows[1][:3] == ["3", "50.0", "→"]
    assert "trap" not in text


def test_table_calibrated_with_trap_results() -> None:
    objects = [obj(1, 80.0, 30.0, "km/h", trap_speed=31.2, trap_unit="km/h"),
               obj(2, 90.0, 20.0, "km/h")]
    trap = [TrapResult(1, 2.0, 3.5, "A→B", 31.2, "km/h")]
    text = text_of(objects_table(objects, trap, 20))
    assert "km/h" in text.splitlines()[1] and "trap" in text.splitlines()[1]
    rows = table_rows(text)
    assert rows[0][:2] == ["1", "30.0"] and rows[0][-1] == "31.2"  # by world speed
    assert rows[1][-1] == "-"
    assert "trap: 1 passage" in text and "#1 A→B 1.50s 31.2 km/h" in text


def test_table_keeps_to_its_room() -> None:
    text = text_of(objects_table([obj(i, float(i)) for i in range(1, 30)], [], 8))
    assert len(text.splitlines()) == 8  # caption, header, 5 rows, the rest counted
    assert len(table_rows(text)) == 5 and "+24 more" in text


def test_a_narrow_panel_drops_columns_never_digits() -> None:
    many = [obj(i, 12345.6 + i) for i in range(1, 4)]
    for width in (24, 30, 44):
        text = text_of(objects_table(many, [], 10, width))
        assert all(len(line) <= width for line in text.splitlines()[1:]), text
        assert "12348.6" in text and "…" not in text


class Host(App):
    def compose(self) -> ComposeResult:
        yield ObjectsPanel(id="objects")


async def test_panel_shows_the_demo_objects() -> None:
    source = DemoSource(30, paced=False, frames=30)
    tracker = Tracker(Params().with_value("speed.meters_per_pixel", 0.05))
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
    app = Host()
    async with app.run_test(size=(50, 14)) as pilot:
        panel = app.query_one(ObjectsPanel)
        panel.show(state)
        await pilot.pause()
        text = text_of(panel.content, 50)
        assert len(state.objects) >= 5  # the drone and the vehicles wholly in view
        assert f"{len(state.objects)} moving objects" in text and "m/s" in text
        assert text.index("8.0") < text.index("6.5")  # taxi (8 m/s) above truck (6.5 m/s)
        shown = panel.content
        panel.show(state)  # the same state again: nothing to redo
        assert panel.content is shown
        panel.show(dataclasses.replace(state, objects=()))
        await pilot.pause()
        assert "0 moving objects" in text_of(panel.content, 50)


@pytest.mark.parametrize("room", [1, 3])
def test_tiny_rooms_still_render(room: int) -> None:
    assert "moving object" in text_of(objects_table([obj(1, 5.0)], [], room))
