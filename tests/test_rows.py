"""LazyStrip is a drop-in Strip: every operation the compositor uses gives the same output."""

from __future__ import annotations

import io

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.rows import LazyStrip, make_strip


def segments() -> list[Segment]:
    return [Segment("▀▀▀", Style(color="#ff0000", bgcolor="#0000ff")),
            Segment("  ", Style(bgcolor="#00ff00")), Segment("▀", Style(color="#123456"))]


def test_lazy_strip_is_used_and_renders_like_strip() -> None:
    assert make_strip is LazyStrip
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor")
    lazy, plain = LazyStrip(segments(), 6), Strip(segments(), 6)
    assert lazy.render(console) == plain.render(console)
    assert lazy.crop(1, 5).render(console) == plain.crop(1, 5).render(console)
    assert lazy.crop(1, 5) is lazy.crop(1, 5)  # its caches work once made
    bold = Style(bold=True)
    assert lazy.apply_style(bold).render(console) == plain.apply_style(bold).render(console)
    assert [s.text for s in lazy.divide([2, 4, 6])] == [s.text for s in plain.divide([2, 4, 6])]
    assert lazy.cell_length == plain.cell_length == 6
    assert lazy.extend_cell_length(8).text == plain.extend_cell_length(8).text
