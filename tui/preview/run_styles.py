"""What a style key means: as a Rich Style, and as the terminal text Textual writes for it.

A style key packs a cell's foreground and background colour codes (`tracker.render.palette`). The
codes mean different colours in each colour mode, so a `RunStyles` belongs to one mode, one
base style (the widget's, for cells with neither colour) and one terminal colour system,
and keeps what it made: Rich colours and styles, SGR parameters, and whole runs (Segments,
or their terminal text) named by run identity.
"""

from __future__ import annotations

import functools

import numpy as np
from rich.color import Color, ColorSystem, ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from flowtop.tracker.render.ansi import bg_sgr, fg_sgr
from flowtop.tracker.render.palette import StyledCells

BLANK_KEY = 0  # style key of a cell with neither colour: the widget's own style
RUN_LEN_BITS = 10  # runs named by identity are shorter than 2**10 cells
IDENT_SHIFT = RUN_LEN_BITS + 1  # run identity = key << IDENT_SHIFT | length << 1 | is_space
RESET = "\x1b[0m"
_TRUECOLOR = ColorType.TRUECOLOR
_tuple_new = tuple.__new__  # NamedTuples without their keyword-handling __new__

# Colour systems on which a mode's SGR parameters are written as they are (Rich downgrades
# a colour only to a smaller system): elsewhere the Rich styles are rendered by Textual.
_WRITTEN_AS_IS = {
    "truecolor": {ColorSystem.TRUECOLOR},
    "256": {ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT},
    "gray": {ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT},
    "16": {ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT, ColorSystem.STANDARD},
}


def prerenders(mode: str, system: ColorSystem) -> bool:
    """Whether cells of `mode` can be written as text made here for a `system` terminal."""
    return mode == "ascii" or system in _WRITTEN_AS_IS.get(mode, ())


@functools.cache
def run_text(tail: int) -> str:
    """The text of a run from its identity's low bits: length << 1 | (1 if spaces else `▀`)."""
    return (" " if tail & 1 else "▀") * (tail >> 1)


def color_sgr(code: int, mode: str, foreground: bool) -> str:
    """SGR parameters of colour `code` of `mode` as Rich writes them ("" for -1, none)."""
    if code < 0:
        return ""
    return fg_sgr(code, mode) if foreground else bg_sgr(code, mode)


class RunStyles:
    """Rich styles and terminal text of the style keys of one mode, base style and system."""

    def __init__(self, mode: str, base: Style, system: ColorSystem) -> None:
        self.mode, self.base, self.system = mode, base, system
        self.colors: dict[int, Color | None] = {-1: None}
        self.styles: dict[int, Style] = {BLANK_KEY: base}
        self.segments: dict[int, Segment] = {}  # run identity -> Segment
        self.pieces: dict[int, str] = {}  # run identity -> terminal text
        self._sgr: dict[int, str] = {}  # style key -> SGR parameters

    def forget(self) -> None:
        """Drop everything kept (strips made with it make again what they ask for)."""
        self.colors = {-1: None}
        self.styles = {BLANK_KEY: self.base}
        self.segments, self.pieces, self._sgr = {}, {}, {}

    def __len__(self) -> int:
        """How many things are kept (the owner bounds it)."""
        return (len(self.segments) + len(self.pieces) + len(self.styles) + len(self._sgr)
                + len(self.colors))

    # Rich styles --------------------------------------------------------------------------

    def _new_colors(self, codes: list[int]) -> list[Color]:
        if self.mode == "truecolor":  # Color.from_rgb, minus its checks and keywords: 4x faster
            return [_tuple_new(Color, (f"#{c:06x}", _TRUECOLOR, None, _tuple_new(
                ColorTriplet, ((c >> 16) & 255, (c >> 8) & 255, c & 255)))) for c in codes]
        return [Color.from_ansi(c) for c in codes]

    def make_styles(self, keys: list[int]) -> None:
        """Make the Rich style of each of `keys` (keys not made yet, no repeats)."""
        fg, bg = _split(keys)
        colors = self.colors
        new = [c for c in dict.fromkeys(fg + bg) if c not in colors]
        if new:
            colors.update(zip(new, self._new_colors(new)))
        from_color = Style.from_color
        self.styles.update(zip(keys, [from_color(colors[f], colors[b]) for f, b in zip(fg, bg)]))

    def style(self, key: int) -> Style:
        """The Rich style of a style key, made once."""
        style = self.styles.get(key)
        if style is None:
            self.make_styles([key])
            style = self.styles[key]
        return style

    def make_segments(self, idents: np.ndarray) -> list[Segment]:
        """New Segments for run identities (style key, length, glyph), kept."""
        keys = (idents >> IDENT_SHIFT).tolist()
        styles = self.styles
        new = [key for key in dict.fromkeys(keys) if key not in styles]
        if new:
            self.make_styles(new)
        tails = (idents & ((1 << IDENT_SHIFT) - 1)).tolist()
        made = [_tuple_new(Segment, (run_text(tail), styles[key], None))
                for key, tail in zip(keys, tails)]
        self.segments.update(zip(idents.tolist(), made))
        return made

    # Terminal text ------------------------------------------------------------------------

    def wrap(self, key: int, text: str) -> str:
        """`text` in the style of `key`, as Textual writes a Segment of that style."""
        if key == BLANK_KEY:
            return Strip.render_style(self.base, text, self.system)
        sgr = self._sgr.get(key)
        if sgr is None:
            fg, bg = StyledCells.split_key(key)
            fg_sgr, bg_sgr = color_sgr(fg, self.mode, True), color_sgr(bg, self.mode, False)
            sgr = self._sgr[key] = f"{fg_sgr};{bg_sgr}" if fg_sgr and bg_sgr else fg_sgr or bg_sgr
        return f"\x1b[{sgr}m{text}{RESET}"

    def make_pieces(self, idents: np.ndarray) -> list[str]:
        """New terminal texts for run identities (style key, length, glyph), kept.

        One f-string per run from its colour codes, no SGR kept per key: in truecolor most
        runs of a frame with motion have a colour pair never seen before. (The formats are
        `color_sgr`'s, inlined; tests compare both with Textual's output.)
        """
        keys = (idents >> IDENT_SHIFT).tolist()
        fg, bg = _split(keys)
        texts = [run_text(tail) for tail in (idents & ((1 << IDENT_SHIFT) - 1)).tolist()]
        if self.mode == "truecolor":
            made = [(_truecolor_piece(f, b, text) if f >= 0 else _truecolor_bg(b, text))
                    if b >= 0 else None for f, b, text in zip(fg, bg, texts)]
        else:
            fgs, bgs = _palette_sgr(True), _palette_sgr(False)
            made = [(f"\x1b[{fgs[f]};{bgs[b]}m{text}{RESET}" if f >= 0
                     else f"\x1b[{bgs[b]}m{text}{RESET}")
                    if b >= 0 else None for f, b, text in zip(fg, bg, texts)]
        pieces = [self.wrap(keys[i], texts[i]) if piece is None else piece
                  for i, piece in enumerate(made)]  # None: one colour or none, the general way
        self.pieces.update(zip(idents.tolist(), pieces))
        return pieces


def _truecolor_piece(fg: int, bg: int, text: str) -> str:
    return (f"\x1b[38;2;{fg >> 16};{(fg >> 8) & 255};{fg & 255};"
            f"48;2;{bg >> 16};{(bg >> 8) & 255};{bg & 255}m{text}{RESET}")


def _truecolor_bg(bg: int, text: str) -> str:
    return f"\x1b[48;2;{bg >> 16};{(bg >> 8) & 255};{bg & 255}m{text}{RESET}"


@functools.cache
def _palette_sgr(foreground: bool) -> list[str]:
    """SGR parameters of palette colours 0..255, as Rich writes them."""
    return [color_sgr(code, "256", foreground) for code in range(256)]


def _split(keys: list[int]) -> tuple[list[int], list[int]]:
    """Foreground and background colour codes of style keys."""
    fg, bg = StyledCells.split_key(np.asarray(keys, np.int64))
    return fg.tolist(), bg.tolist()
