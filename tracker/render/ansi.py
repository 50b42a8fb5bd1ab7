"""Cells to ANSI text, compactly: for `flowtop snapshot`, pipes and byte counts.

One SGR sequence per change of colour, only for what changed (a space needs no foreground),
a cell whose halves are equal is a background and a space, and a row that set a colour ends
with a reset, so the text can be printed or concatenated anywhere. A row without colour
(ASCII, letterbox) is its characters alone: no escape code at all.
"""

from __future__ import annotations

import numpy as np

from flowtop.tracker.render.cells import Cells
from flowtop.tracker.render.palette import SPACE, StyledCells, resolve_mode, style_cells

RESET = "\x1b[0m"
DEFAULT = -1


def _sgr(code: int, mode: str, layer: int) -> str:
    """SGR parameters setting layer 30 (foreground) or 40 (background) to `code` of `mode`;
    -1 is the terminal's default colour. As Rich writes them: truecolor 38;2;r;g;b, palette
    colours 0-7 as 30+n, 8-15 as 90+n-8, others 38;5;n."""
    if code < 0:
        return str(layer + 9)
    if mode == "truecolor":
        return f"{layer + 8};2;{(code >> 16) & 255};{(code >> 8) & 255};{code & 255}"
    if code < 16:
        return str(layer + code if code < 8 else layer + 60 + code - 8)
    return f"{layer + 8};5;{code}"


def fg_sgr(code: int, mode: str) -> str:
    """SGR parameters setting the foreground to `code` of `mode` (-1 = default)."""
    return _sgr(code, mode, 30)


def bg_sgr(code: int, mode: str) -> str:
    """SGR parameters setting the background to `code` of `mode` (-1 = default)."""
    return _sgr(code, mode, 40)


def row_to_ansi(styled: StyledCells, row: int) -> str:
    """One row of cells as text with SGR sequences, ending with a reset if it set a colour
    (no newline). The row starts from the terminal's default colours."""
    fg, bg, glyph = styled.fg[row], styled.bg[row], styled.glyph[row]
    cols = len(fg)
    starts = np.flatnonzero(np.r_[True, (fg[1:] != fg[:-1]) | (bg[1:] != bg[:-1])])
    ends = np.r_[starts[1:], cols]
    text = glyph.astype("<u4").tobytes().decode("utf-32-le")
    blank = (glyph == SPACE).astype(np.int32)
    spaces = np.r_[0, np.cumsum(blank)]
    out: list[str] = []
    coloured = False
    cur_fg = cur_bg = DEFAULT
    mode = styled.mode
    for s, e in zip(starts.tolist(), ends.tolist()):
        want_fg, want_bg = int(fg[s]), int(bg[s])
        params = []
        only_spaces = spaces[e] - spaces[s] == e - s
        if not (want_fg == DEFAULT and only_spaces) and want_fg != cur_fg:
            params.append(fg_sgr(want_fg, mode))
            cur_fg = want_fg
        if want_bg != cur_bg:
            params.append(bg_sgr(want_bg, mode))
            cur_bg = want_bg
        if params:
            out.append(f"\x1b[{';'.join(params)}m")
            coloured = True
        out.append(text[s:e])
    if coloured:
        out.append(RESET)
    return "".join(out)


def styled_to_ansi(styled: StyledCells) -> str:
    """Every row of `styled`, each ending with a newline (after a reset if it set a colour)."""
    return "".join(row_to_ansi(styled, r) + "\n" for r in range(styled.fg.shape[0]))


def cells_to_ansi(cells: Cells, mode: str = "auto") -> str:
    """The full frame of `cells` in colour `mode` (auto: from the environment) as text."""
    return styled_to_ansi(style_cells(cells, resolve_mode(mode)))
