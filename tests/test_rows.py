"""Preview rows: the strips the builder makes write what Textual writes for the same cells.

RowBuilder has two ways to make a tile row: Strips of Rich Segments (Textual renders them),
and AnsiStrips that arrive with their terminal text made and make Segments only when asked.
Built from the same cells, the two must be indistinguishable in every operation Textual
uses: the text written, crops, Segments, styles, filters and divides.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import Monochrome
from textual.strip import Strip

from flowtop.tracker.render.palette import SPACE, UPPER_HALF, StyledCells
from flowtop.tui.preview import rows
from flowtop.tui.preview.internals import (
    AnsiStrip,
    LazyStrip,
    make_strips,
    strips_fit,
)
from flowtop.tui.preview.rows import Change, Changes, RowBuilder, changed_cells, tile_edges
from flowtop.tui.preview.run_styles import color_sgr, prerenders

BASE = Style(color="#999999", bgcolor="#000000")
CODES = {"truecolor": 1 << 24, "256": 256, "gray": 256, "16": 16}


def console(system: str | None = "truecolor") -> Console:
    return Console(file=io.StringIO(), force_terminal=True, color_system=system, width=200)


def random_cells(rng: np.random.Generator, mode: str, rows: int = 6, cols: int = 21,
                 colours: int = 5) -> StyledCells:
    """Cells with runs (few colours), spaces (no foreground), blank cells and a label."""
    if mode == "ascii":
        glyph = rng.choice(np.frombuffer(" .:-=+*#%@".encode("utf-32-le"), np.uint32),
                           (rows, cols))
        none = np.full((rows, cols), -1, np.int32)
        return StyledCells(none, none.copy(), glyph.astype(np.uint32), mode)
    palette = rng.integers(0, CODES[mode], colours)
    fg = rng.choice(palette, (rows, cols)).astype(np.int32)
    bg = rng.choice(palette, (rows, cols)).astype(np.int32)
    glyph = np.full((rows, cols), UPPER_HALF, np.uint32)
    space = rng.random((rows, cols)) < 0.3
    fg[space], glyph[space] = -1, SPACE
    blank = rng.random((rows, cols)) < 0.1
    fg[blank], bg[blank], glyph[blank] = -1, -1, SPACE
    row, col = rng.integers(0, rows), rng.integers(0, cols - 6)
    glyph[row, col:col + 5] = np.frombuffer("id 7 ".encode("utf-32-le"), np.uint32)
    fg[row, col:col + 5], bg[row, col:col + 5] = palette[0], palette[1]
    return StyledCells(fg, bg, glyph, mode)


def strip_pairs(styled: StyledCells, system: str | None = "truecolor",
                builders: tuple[RowBuilder, RowBuilder] | None = None
                ) -> list[tuple[Strip, Strip]]:
    """(made for the console, made of Segments) for every tile row of `styled`."""
    made, plain = builders or (RowBuilder(), RowBuilder())
    rows, cols = styled.fg.shape
    edges = tile_edges(cols)
    pairs = [(r, t) for r in range(rows) for t in range(len(edges))]
    return list(zip(made.build_tiles(styled, pairs, BASE, edges, console(system)),
                    plain.build_tiles(styled, pairs, BASE, edges)))


def assert_same(strip: Strip, plain: Strip, out: Console) -> None:
    width = plain.cell_length
    assert strip.cell_length == width
    assert strip.render(out) == plain.render(out)
    for end in range(1, width + 1):
        assert strip.crop(0, end).render(out) == plain.crop(0, end).render(out), end
        assert strip.crop(1, end).render(out) == plain.crop(1, end).render(out), end
    assert list(strip) == list(plain) and strip.text == plain.text
    assert strip == plain


def test_the_strips_fit_this_textual():
    assert strips_fit()


@pytest.mark.parametrize("mode", ["truecolor", "256", "gray", "16", "ascii"])
def test_made_text_is_what_textual_writes_for_the_same_segments(mode):
    rng = np.random.default_rng(7)
    out = console()
    builders = RowBuilder(), RowBuilder()
    for _ in range(4):  # frames in a row: what the builders kept is used again
        for strip, plain in strip_pairs(random_cells(rng, mode), "truecolor", builders):
            assert isinstance(strip, AnsiStrip) and not isinstance(plain, AnsiStrip)
            assert_same(strip, plain, out)


@pytest.mark.parametrize("mode", ["truecolor", "256", "gray", "16", "ascii"])
def test_span_texts_are_what_textual_writes_for_those_cells(mode):
    """The text written straight to the terminal for cells first..last of a row is what
    Textual writes for the same cells cut from a Strip of Segments, whatever the spans."""
    rng = np.random.default_rng(11)
    out, builder = console(), RowBuilder()
    for _ in range(4):
        styled = random_cells(rng, mode)
        rows, cols = styled.fg.shape
        edges = tile_edges(cols)
        spans = []
        for row in range(rows):
            for tile, edge in enumerate(edges):
                end = min(edge + 8, cols)
                first = int(rng.integers(edge, end))
                spans.append(Change(row, tile, first, int(rng.integers(first, end))))
        plain = RowBuilder().build_tiles(styled, [(c.row, c.tile) for c in spans], BASE, edges)
        texts = builder.span_texts(styled, Changes.of(spans), BASE, out)
        assert texts == [strip.crop(c.first - edges[c.tile], c.last - edges[c.tile] + 1)
                         .render(out) for c, strip in zip(spans, plain)]
    assert builder.span_texts(random_cells(rng, "truecolor"), Changes.of(spans), BASE,
                              console("256")) is None


def test_made_strips_behave_as_strips_in_every_other_operation():
    rng = np.random.default_rng(3)
    out = console()
    bold = Style(bold=True)
    for strip, plain in strip_pairs(random_cells(rng, "truecolor")):
        assert strip.apply_style(bold).render(out) == plain.apply_style(bold).render(out)
        assert ([s.render(out) for s in strip.divide([3, 5, strip.cell_length])]
                == [s.render(out) for s in plain.divide([3, 5, plain.cell_length])])
        mono = Monochrome()
        assert (strip.apply_filter(mono, Color(0, 0, 0)).render(out)
                == plain.apply_filter(mono, Color(0, 0, 0)).render(out))
        assert strip.extend_cell_length(12).render(out) == plain.extend_cell_length(12).render(out)
        assert Strip.join([strip, plain]).render(out) == Strip.join([plain, plain]).render(out)
        # a crop of a crop, and Segments read after the text was used
        cropped = strip.crop(0, 4)
        assert cropped.crop(1, 3).render(out) == plain.crop(0, 4).crop(1, 3).render(out)
        assert list(cropped) == list(plain.crop(0, 4))


@pytest.mark.parametrize(("mode", "system"), [("truecolor", "256"), ("256", "standard"),
                                              ("gray", "standard"), ("truecolor", "standard")])
def test_where_the_terminal_downgrades_colours_textual_renders_them(mode, system):
    assert not prerenders(mode, {"256": ColorSystem.EIGHT_BIT,
                                 "standard": ColorSystem.STANDARD}[system])
    out = console(system)
    for strip, plain in strip_pairs(random_cells(np.random.default_rng(1), mode), system):
        assert not isinstance(strip, AnsiStrip)
        assert strip.render(out) == plain.render(out)


@pytest.mark.parametrize(("system", "color_system"), [(None, ColorSystem.TRUECOLOR),
                                                      ("16", ColorSystem.STANDARD)])
def test_terminal_text_follows_the_console_colour_system(system, color_system):
    """A console with no colour system is written as truecolor, as Textual does."""
    mode = "truecolor" if system is None else "16"
    out = console(None if system is None else "standard")
    assert prerenders(mode, color_system)
    for strip, plain in strip_pairs(random_cells(np.random.default_rng(5), mode),
                                    None if system is None else "standard"):
        assert isinstance(strip, AnsiStrip)
        assert strip.render(out) == plain.render(out)


def test_sgr_parameters_are_richs():
    for mode, code in [("truecolor", 0x0A10FF), ("256", 3), ("256", 12), ("256", 200),
                       ("16", 7), ("16", 8)]:
        for foreground in (True, False):
            style = (Style.from_color(color=_rich(code, mode)) if foreground
                     else Style.from_color(bgcolor=_rich(code, mode)))
            assert color_sgr(code, mode, foreground) == Strip.render_ansi(
                style, ColorSystem.TRUECOLOR)


def _rich(code: int, mode: str):
    from rich.color import Color as RichColor
    return (RichColor.from_rgb(code >> 16, (code >> 8) & 255, code & 255)
            if mode == "truecolor" else RichColor.from_ansi(code))


def test_an_unchanged_frame_changes_no_rows_and_a_change_is_found():
    cells = random_cells(np.random.default_rng(2), "256")
    edges = tile_edges(21)
    unchanged = changed_cells(cells, cells, edges)
    assert unchanged is not None and list(unchanged) == []
    moved = StyledCells(cells.fg.copy(), cells.bg.copy(), cells.glyph.copy(), "256")
    moved.bg[4, 17] = (moved.bg[4, 17] + 1) % 256
    [change] = changed_cells(moved, cells, edges)
    assert (change.row, change.tile, change.first, change.last) == (4, 2, 17, 17)


def test_lazy_strip_renders_like_strip():
    segments = [Segment("▀▀▀", Style(color="#ff0000", bgcolor="#0000ff")),
                Segment("  ", Style(bgcolor="#00ff00")), Segment("▀", Style(color="#123456"))]
    out = console()
    [lazy], plain = make_strips([list(segments)], [6]), Strip(segments, 6)
    assert isinstance(lazy, LazyStrip)
    assert lazy.render(out) == plain.render(out)
    assert lazy.crop(1, 5).render(out) == plain.crop(1, 5).render(out)
    assert lazy.crop(1, 5) is lazy.crop(1, 5)  # its caches work once made
    bold = Style(bold=True)
    assert lazy.apply_style(bold).render(out) == plain.apply_style(bold).render(out)
    assert [s.text for s in lazy.divide([2, 4, 6])] == [s.text for s in plain.divide([2, 4, 6])]
    assert lazy.extend_cell_length(8).text == plain.extend_cell_length(8).text


def test_a_strip_kept_while_the_caches_renew_pins_none_of_them_and_still_works(monkeypatch):
    """A tile that never changes keeps its first strip for the whole run: it must not keep
    alive what the builder kept back then, and must still draw, crop and give Segments."""
    monkeypatch.setattr(rows, "MAX_KEPT", 100)
    rng = np.random.default_rng(11)
    out = console()
    builder = RowBuilder()
    cells = random_cells(rng, "truecolor", colours=40)
    edges = tile_edges(21)
    [kept] = builder.build_tiles(cells, [(2, 1)], BASE, edges, out)
    [plain] = RowBuilder().build_tiles(cells, [(2, 1)], BASE, edges)
    old = builder._styles
    for _ in range(5):
        later = random_cells(rng, "truecolor", colours=40)
        builder.build_tiles(later, [(r, t) for r in range(6) for t in range(3)], BASE, edges,
                            out)
    assert builder._styles is not old and len(old) == 2  # forgotten: the two defaults left
    assert_same(kept, plain, out)
