"""Panels lay out their Text lines without Rich's wrapping pass: the Strips must be the ones
Rich's `render_lines` makes, cell for cell and style for style."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from flowtop.tui.widgets.panel import text_lines

BASE = Style(color="#c0c0c0", bgcolor="#101020")


def rich_lines(text: Text, width: int, height: int, console: Console) -> list[Strip]:
    options = console.options.update(width=width, height=height, highlight=False)
    return [Strip(line, width) for line in
            console.render_lines(text, options, style=BASE, pad=True)[:height]]


def cells(strip: Strip) -> list[tuple[str, Style | None]]:
    """Each character with its style: what the terminal shows, however it is segmented."""
    return [(char, segment.style) for segment in strip for char in segment.text]


def texts() -> list[Text]:
    caption = Text("12 moving · median 80.1 · max 160.2 px/s", style="bold", no_wrap=True,
                   overflow="ellipsis")
    table = Text()
    table.append("   id  px/s dir\n", style="underline")
    table.append("   16  94.0 ↗\n")
    table.append("   17 ", style="reverse")
    table.append(" 3.2 ·", style=Style(color="#ff0000"))
    table.append("\n+3 more (by speed; o: sort)", style="dim")
    styled = Text("whole text styled\nsecond line", style=Style(bgcolor="#003300"))
    return [caption, caption + Text("\n") + table, table, styled, Text(""), Text("a\n"),
            Text("\n\nthree"), Text("wide 速度 cells")]


@pytest.mark.parametrize("system", ["truecolor", "256"])
@pytest.mark.parametrize("index", range(8))
def test_fast_lines_are_richs(system: str, index: int) -> None:
    console = Console(file=io.StringIO(), color_system=system, force_terminal=True, width=80)
    text = texts()[index]
    for width, height in ((44, 20), (60, 3), (44, 1)):
        fast = text_lines(text, console, width, height, BASE)
        slow = rich_lines(text, width, height, console)
        assert fast is not None
        assert [cells(s) for s in fast] == [cells(s) for s in slow]
        assert [s.cell_length for s in fast] == [s.cell_length for s in slow]


def test_what_does_not_fit_goes_to_rich() -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    assert text_lines(Text("x" * 50), console, 44, 5, BASE) is None
    assert text_lines(Text("a\tb"), console, 44, 5, BASE) is None
    assert text_lines(Text("centred", justify="center"), console, 44, 5, BASE) is None
    assert text_lines("not a Text", console, 44, 5, BASE) is None  # type: ignore[arg-type]
