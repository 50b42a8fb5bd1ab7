"""Terminal colour modes: half-block cells to per-cell colour codes and glyphs.

`style_cells(cells, mode)` gives three (rows, cols) arrays, the same shape for every mode:
`fg`, `bg` colour codes (-1 = the terminal's or widget's default) and `glyph` code points.
Codes are 0xRRGGBB in truecolor, xterm palette indices in 256/16/gray, all -1 in ascii.
A cell whose two halves get the same code is a space on that background: half the bytes.
256 and 16 colours are dithered (`tracker.render.dither`: the same pixels always give the
same codes); gray takes the nearest of xterm's grays to each pixel's luma.
"""

from __future__ import annotations

import functools
import os
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.modes import COLOR_MODES
from flowtop.tracker.render.canvas import (
    MARK_BOX,
    MARK_NONE,
    MARK_OVERLAY,
    MARK_POINT,
    MARK_TRAIL,
)
from flowtop.tracker.render.cells import Cells
from flowtop.tracker.render.dither import (
    TABLE_BITS,
    BlockDiffuser,
    Palette,
    build_palette,
    diffuse,
)

T = TypeVar("T", int, npt.NDArray[np.int64])
U8 = npt.NDArray[np.uint8]
I32 = npt.NDArray[np.int32]
MODES = COLOR_MODES
UPPER_HALF = 0x2580  # ▀
SPACE = 0x20
ASCII_RAMP = " .:-=+*#%@"
ASCII_MARKS = {MARK_TRAIL: "o", MARK_BOX: "x", MARK_OVERLAY: "X", MARK_POINT: "O"}
CUBE_LEVELS = (0, 95, 135, 175, 215, 255)
XTERM_16 = ((0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
            (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
            (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255))
KEY_SHIFT = 26  # style key = (fg + 1) << KEY_SHIFT | (bg + 1); codes are < 2**25


def xterm_256() -> npt.NDArray[np.int32]:
    """(256, 3) RGB of the xterm palette: 16 system colours, the 6x6x6 cube, 24 grays."""
    cube = [(r, g, b) for r in CUBE_LEVELS for g in CUBE_LEVELS for b in CUBE_LEVELS]
    grays = [(8 + 10 * i,) * 3 for i in range(24)]
    return np.array(list(XTERM_16) + cube + grays, np.int32)


def xterm_palette(mode: str) -> Palette:
    """The colours of `mode` "256" (xterm 16..255, nearest in CIELAB) or "16" (the 16 ANSI
    colours as xterm shows them, nearest in RGB: `tracker.render.dither` says why). Made
    once, the 256 colours' nearest-colour table read from the one shipped with flowtop
    (computing it takes ~0.7 s of CPU): a second thread asking meanwhile waits for it."""
    with _PALETTE_LOCK:
        return _xterm_palette(mode)


_PALETTE_LOCK = threading.Lock()


@functools.cache
def _xterm_palette(mode: str) -> Palette:
    if mode == "256":
        return build_palette(np.arange(16, 256), xterm_256()[16:], "lab", shipped_table_256())
    if mode == "16":
        return build_palette(np.arange(16), XTERM_16, "rgb")
    raise ValueError(f"no palette in mode {mode!r}")


XTERM_256_TABLE = "xterm256_lab.table.zlib"  # beside this module, in the package


def shipped_table_256() -> U8 | None:
    """The nearest-colour table of the 256-colour palette as shipped (`nearest_table` of
    xterm 16..255 in lab, zlib-compressed; tests/test_dither.py checks it is that), or None
    when it is missing or damaged: the palette then computes it."""
    try:
        data = zlib.decompress(resources.files(__package__).joinpath(XTERM_256_TABLE)
                               .read_bytes())
    except (OSError, zlib.error):
        return None
    table = np.frombuffer(data, np.uint8)
    return table if table.shape == (1 << (3 * TABLE_BITS),) else None


@functools.cache
def table_gray() -> U8:
    """Nearest xterm gray (16 = black, 232..255, 231 = white) per luma value 0..255."""
    values = np.array([0, *(8 + 10 * i for i in range(24)), 255])
    codes = np.array([16, *range(232, 256), 231])
    luma = np.arange(256)[:, None]
    return codes[np.abs(luma - values[None, :]).argmin(axis=1)].astype(np.uint8)


def luma(rgb: U8) -> U8:
    """Rec. 601 luma of (..., 3) RGB."""
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    return (rgb.astype(np.float32) @ weights + 0.5).astype(np.uint8)


def color_codes(rgb: U8, mode: str) -> I32:
    """(..., 3) RGB -> (...) colour codes of `mode`, each the nearest (no dithering)."""
    if mode == "truecolor":
        c = rgb.astype(np.int32)
        return (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]
    if mode in ("256", "16"):
        return xterm_palette(mode).nearest(rgb)
    if mode == "gray":
        return table_gray()[luma(rgb)].astype(np.int32)
    raise ValueError(f"no colour codes in mode {mode!r}")


@dataclass(frozen=True)
class StyledCells:
    """What each cell shows in one colour mode: fg, bg codes (-1 = default), glyph."""

    fg: I32
    bg: I32
    glyph: npt.NDArray[np.uint32]
    mode: str

    def keys(self) -> npt.NDArray[np.int64]:
        """(rows, cols) int64: equal for cells of identical colours (runs share a style)."""
        return ((self.fg.astype(np.int64) + 1) << KEY_SHIFT) | (self.bg.astype(np.int64) + 1)

    @staticmethod
    def split_key(key: T) -> tuple[T, T]:
        """The fg and bg colour codes of a style key (an int, or an int64 array of them)."""
        return (key >> KEY_SHIFT) - 1, (key & ((1 << KEY_SHIFT) - 1)) - 1

    def same_as(self, other: StyledCells | None) -> npt.NDArray[np.bool_] | None:
        """(rows, cols) True where nothing changed since `other`; None if not comparable."""
        if other is None or other.mode != self.mode or other.fg.shape != self.fg.shape:
            return None
        return (self.fg == other.fg) & (self.bg == other.bg) & (self.glyph == other.glyph)


def style_cells(cells: Cells, mode: str, diffuser: BlockDiffuser | None = None) -> StyledCells:
    """Colour codes and glyphs of `cells` in `mode` (one of MODES; resolve `auto` first).

    256 and 16 colours are dithered by `diffuser` when given (it redoes only the blocks that
    changed since its last call: give each picture stream its own), else afresh.
    """
    rows, cols = cells.shape
    texted = cells.text != 0
    if mode == "ascii":
        mean = ((cells.upper.astype(np.uint16) + cells.lower) // 2).astype(np.uint8)
        ramp = np.frombuffer(ASCII_RAMP.encode("utf-32-le"), np.uint32)
        glyph = ramp[(luma(mean).astype(np.int32) * len(ramp)) >> 8]
        for mark, char in ASCII_MARKS.items():
            glyph = np.where(cells.marks == mark, np.uint32(ord(char)), glyph)
        glyph = np.where(texted, cells.text, np.where(cells.blank, SPACE, glyph))
        none = np.full((rows, cols), -1, np.int32)
        return StyledCells(none, none.copy(), glyph.astype(np.uint32), mode)
    if mode not in MODES:
        raise ValueError(f"unknown colour mode {mode!r} (known: {', '.join(MODES)})")
    if mode in ("256", "16"):
        palette = xterm_palette(mode)
        keep = np.repeat(cells.marks != MARK_NONE, 2, axis=0)
        codes = (diffuser(cells.pixels, palette, keep) if diffuser is not None
                 else diffuse(cells.pixels, palette, keep))
    else:
        codes = color_codes(cells.pixels, mode)
    fg, bg = codes[0::2].copy(), codes[1::2].copy()
    same = fg == bg
    fg[same] = -1
    glyph = np.full((rows, cols), UPPER_HALF, np.uint32)
    glyph[same] = SPACE
    at = texted.ravel().nonzero()[0]
    if len(at):
        glyph.ravel()[at] = cells.text.ravel().take(at)
        fg.ravel()[at] = color_codes(cells.text_rgb.reshape(-1, 3).take(at, axis=0), mode)
        bg.ravel()[at] = black_code(mode)
    blank = cells.blank
    fg[blank], bg[blank], glyph[blank] = -1, -1, SPACE
    return StyledCells(fg, bg, glyph, mode)


@functools.cache
def black_code(mode: str) -> int:
    """The colour code of black in `mode` (the background of label characters)."""
    return int(color_codes(np.zeros((1, 3), np.uint8), mode)[0])


def resolve_mode(mode: str, environ: Mapping[str, str] | None = None,
                 truecolor: bool | None = None) -> str:
    """`mode`, or for `auto` the richest mode the terminal announces.

    NO_COLOR (set, non-empty) or TERM=dumb/unset -> ascii; COLORTERM truecolor/24bit, a
    TERM ending in -direct, or `truecolor` True (the terminal said so when asked:
    `tui.app.colour_probe`) -> truecolor; TERM with 256color -> 256; any other TERM -> 16.
    """
    if mode != "auto":
        if mode not in MODES:
            raise ValueError(f"unknown colour mode {mode!r} (known: auto, {', '.join(MODES)})")
        return mode
    env = os.environ if environ is None else environ
    term = env.get("TERM", "")
    if env.get("NO_COLOR") or term in ("", "dumb"):
        return "ascii"
    if (env.get("COLORTERM", "").lower() in ("truecolor", "24bit") or term.endswith("-direct")
            or truecolor):
        return "truecolor"
    if "256color" in term:
        return "256"
    return "16"


def next_mode(mode: str) -> str:
    """The colour setting after `mode` in the order auto, truecolor, 256, 16, gray, ascii."""
    order = ("auto", *MODES)
    return order[(order.index(mode) + 1) % len(order)] if mode in order else order[0]


class Stabilizer:
    """Quantisation and temporal hysteresis of a picture, so sensor noise repaints nothing.

    `bits` per channel are kept (8 = no quantisation); a pixel keeps its previous colour
    unless one channel moved by more than `threshold` (0 = off). Call it on each new picture
    of the same size; a new size starts afresh.
    """

    def __init__(self, bits: int = 8, threshold: int = 0) -> None:
        if not 1 <= bits <= 8:
            raise ValueError(f"bits: {bits} is out of range [1, 8]")
        if not 0 <= threshold <= 255:
            raise ValueError(f"threshold: {threshold} is out of range [0, 255]")
        self.bits, self.threshold = bits, threshold
        levels = (1 << bits) - 1
        self._lut = np.round((np.arange(256) >> (8 - bits)) * 255.0 / levels).astype(np.uint8)
        self._previous: U8 | None = None

    def reset(self) -> None:
        self._previous = None

    def __call__(self, picture: U8) -> U8:
        if self.bits < 8:
            picture = cv2.LUT(picture, self._lut)
        if self.threshold <= 0:
            return picture
        prev = self._previous
        if prev is None or prev.shape != picture.shape:
            self._previous = picture.copy()
            return picture
        h, w = picture.shape[:2]
        moved = cv2.threshold(cv2.absdiff(picture, prev), self.threshold, 255,
                              cv2.THRESH_BINARY)[1]  # per channel: moved past the threshold
        mask = cv2.reduce(moved.reshape(h * w, -1), 1, cv2.REDUCE_MAX).reshape(h, w)
        cv2.copyTo(picture, mask, prev)  # the pixels where any channel moved
        return prev.copy()

