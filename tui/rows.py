"""Styled cell arrays -> Textual `Strip`s, and what changed between two frames.

The preview is cut into column tiles (one widget each) because Textual's compositor re-sends
a partially refreshed line from the left edge of the widget that owns it: in narrow tiles a
change costs the few cells before it in its tile, not the whole row before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.color import Color, ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual.cache import FIFOCache
from textual.strip import Strip

from tracker.palette import KEY_SHIFT, SPACE, UPPER_HALF, StyledCells

TILE_COLS = 8  # tile width in cells: measured best trade of bytes against widget count
MAX_SEGMENTS = 20_000  # cached Segments at most: bounds memory (~13 MB) in truecolor
BLANK_KEY = 0  # style key of a cell with neither colour: the widget's own style
RUN_LEN_BITS = 10  # cached runs are shorter than 2**10 cells


# Strip makes seven FIFOCaches in __init__ (~1 us a strip); a tile row rarely uses any of
# them, and a typical frame builds a few hundred strips. LazyStrip makes each on first use.
_STRIP_CACHES = {"_divide_cache": 4, "_crop_cache": 16, "_style_cache": 16, "_filter_cache": 4,
                 "_line_length_cache": 4, "_crop_extend_cache": 4, "_offsets_cache": 4}


class LazyStrip(Strip):
    """A Strip whose per-strip caches are made when first used; it behaves as a Strip."""

    __slots__ = ()

    def __init__(self, segments: list[Segment], cell_length: int | None = None) -> None:
        self._segments = segments
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    def __getattr__(self, name: str) -> FIFOCache:
        size = _STRIP_CACHES.get(name)
        if size is None:
            raise AttributeError(name)
        cache: FIFOCache = FIFOCache(size)
        setattr(self, name, cache)
        return cache


def _lazy_strip_fits() -> bool:
    """Whether this Textual's Strip has the slots LazyStrip fills (else use Strip itself)."""
    slots = set(getattr(Strip, "__slots__", ()))
    needed = {"_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count"}
    if not (needed | _STRIP_CACHES.keys()) <= slots:
        return False
    try:
        probe = LazyStrip([Segment("ab")], 2)
        return probe.crop(0, 1).text == "a" and probe.apply_style(Style(bold=True)).text == "ab"
    except Exception:  # any surprise means: use Strip as it is
        return False


make_strip: type[Strip] = LazyStrip if _lazy_strip_fits() else Strip


def tile_edges(cols: int, tile_cols: int = TILE_COLS) -> list[int]:
    """Left column of each tile of a `cols`-wide preview."""
    return list(range(0, max(cols, 1), tile_cols))


@dataclass(frozen=True)
class Change:
    """Cells first..last (inclusive, preview columns) of `row` in tile `tile` changed."""

    row: int
    tile: int
    first: int
    last: int


def changed_cells(styled: StyledCells, previous: StyledCells | None,
                  edges: Sequence[int]) -> list[Change] | None:
    """The changed span of each (row, tile), or None if nothing is comparable (first frame,
    new size or mode: redraw everything)."""
    same = styled.same_as(previous)
    if same is None:
        return None
    changed = ~same
    rows = np.flatnonzero(changed.any(axis=1))
    if not len(rows):
        return []
    sub = changed[rows]
    cols = np.arange(sub.shape[1])
    last = np.maximum.reduceat(np.where(sub, cols, -1), edges, axis=1)
    first = np.minimum.reduceat(np.where(sub, cols, sub.shape[1]), edges, axis=1)
    r, t = np.nonzero(last >= 0)
    return [Change(row, tile, a, b) for row, tile, a, b in
            zip(rows[r].tolist(), t.tolist(), first[r, t].tolist(), last[r, t].tolist())]


class RowBuilder:
    """Styled rows -> one Strip per tile: a Segment per run of cells with the same colours.

    Runs are found with numpy. A run of one repeated `▀` or space is named by one integer
    (style key, length, glyph), so each distinct run becomes a Segment once and is taken
    from a cache afterwards; other runs (labels, ASCII text) are built directly.
    """

    def __init__(self) -> None:
        self._colors: dict[int, Color | None] = {-1: None}
        self._styles: dict[int, Style] = {}
        self._segments: dict[int, Segment] = {}
        self._mode = ""
        self._base = Style()

    def _color(self, code: int) -> Color | None:
        if self._mode == "truecolor":  # Color.from_rgb, minus its checks: 4x faster
            triplet = ColorTriplet((code >> 16) & 255, (code >> 8) & 255, code & 255)
            color = Color(f"#{code:06x}", ColorType.TRUECOLOR, triplet=triplet)
        else:
            color = Color.from_ansi(code)
        self._colors[code] = color
        return color

    def _style(self, key: int) -> Style:
        """The Rich style of a style key (fg and bg codes), made once."""
        if key == BLANK_KEY:
            return self._base
        style = self._styles.get(key)
        if style is None:
            colors = self._colors
            fg, bg = (key >> KEY_SHIFT) - 1, (key & ((1 << KEY_SHIFT) - 1)) - 1
            fg_color = colors[fg] if fg in colors else self._color(fg)
            bg_color = colors[bg] if bg in colors else self._color(bg)
            style = self._styles[key] = Style.from_color(fg_color, bg_color)
        return style

    def _start(self, mode: str, base: Style) -> None:
        """Forget what another mode's codes or another base style meant; bound the caches."""
        if mode != self._mode or base != self._base or len(self._segments) > MAX_SEGMENTS:
            self._colors = {-1: None}
            self._styles.clear()
            self._segments.clear()
            self._mode, self._base = mode, base

    def build(self, styled: StyledCells, rows: Sequence[int], base: Style,
              edges: Sequence[int] = (0,)) -> list[list[Strip]]:
        """For each of `rows`, a Strip per tile starting at `edges`; cells with no colour
        take the `base` style."""
        tiles = len(edges)
        pairs = [(row, t) for row in rows for t in range(tiles)]
        strips = self.build_tiles(styled, pairs, base, edges)
        return [strips[i * tiles:(i + 1) * tiles] for i in range(len(rows))]

    def build_tiles(self, styled: StyledCells, pairs: Sequence[tuple[int, int]], base: Style,
                    edges: Sequence[int]) -> list[Strip]:
        """The Strip of each (row, tile) in `pairs`, in that order.

        `edges` are evenly spaced (`tile_edges`); only the cells of the wanted tiles are
        looked at: the frame is cut into (rows, tiles, width) blocks and the wanted ones taken.
        """
        if not len(pairs):
            return []
        self._start(styled.mode, base)
        rows, cols = styled.fg.shape
        width = edges[1] - edges[0] if len(edges) > 1 else cols
        tiles = len(edges)
        keys, glyph = styled.keys(), styled.glyph
        pad = tiles * width - cols
        if pad:  # the last tile is narrower: pad it with cells of a key no cell has
            keys = np.pad(keys, ((0, 0), (0, pad)), constant_values=-1)
            glyph = np.pad(glyph, ((0, 0), (0, pad)), constant_values=SPACE)
        which = np.array(pairs, np.int64).reshape(-1, 2)
        keys = keys.reshape(rows, tiles, width)[which[:, 0], which[:, 1]]  # (P, width)
        glyph = glyph.reshape(rows, tiles, width)[which[:, 0], which[:, 1]]
        n = len(which)
        starts = np.ones((n, width), bool)
        starts[:, 1:] = keys[:, 1:] != keys[:, :-1]
        flat = np.flatnonzero(starts)
        lengths = np.diff(np.append(flat, n * width))
        run_keys = keys.ravel()[flat]
        real = run_keys >= 0  # runs of padding are left out
        run_of = np.cumsum(starts.ravel()) - 1  # the run each cell belongs to
        glyph_flat = glyph.ravel()
        first = glyph_flat[flat]
        mixed = np.zeros(len(flat), bool)
        mixed[run_of[glyph_flat != first[run_of]]] = True
        simple = (real & ~mixed & ((first == UPPER_HALF) | (first == SPACE))
                  & (lengths < (1 << RUN_LEN_BITS)))
        segments = np.empty(len(flat), object)
        if simple.any():
            segments[simple] = self._cached_runs(run_keys[simple], lengths[simple],
                                                 first[simple] == SPACE)
        other = real & ~simple
        if other.any():
            text = glyph.astype("<u4", copy=False).tobytes().decode("utf-32-le")
            for i in np.flatnonzero(other).tolist():
                start = int(flat[i])
                segments[i] = Segment(text[start:start + int(lengths[i])],
                                      self._style(int(run_keys[i])))
        kept = segments[real].tolist()
        bounds = np.append(0, np.cumsum((starts & (keys >= 0)).sum(axis=1))).tolist()
        tile_widths = np.minimum(width, cols - np.asarray(edges)).tolist()
        return [make_strip(kept[bounds[k]:bounds[k + 1]], tile_widths[t])
                for k, t in enumerate(which[:, 1].tolist())]

    def _cached_runs(self, keys: np.ndarray, lengths: np.ndarray, space: np.ndarray
                     ) -> np.ndarray:
        """Segments for runs of one glyph (space or `▀`), from the cache where possible."""
        ident = (keys << (RUN_LEN_BITS + 1)) | (lengths << 1) | space
        unique, inverse = np.unique(ident, return_inverse=True)
        made = np.empty(len(unique), object)
        cache, styles, make_style = self._segments, self._styles, self._style
        get_segment, get_style = cache.get, styles.get
        mask, shift = (1 << RUN_LEN_BITS) - 1, RUN_LEN_BITS + 1
        for i, u in enumerate(unique.tolist()):
            segment = get_segment(u)
            if segment is None:
                style = get_style(u >> shift) or make_style(u >> shift)
                segment = cache[u] = Segment((" " if u & 1 else "▀") * ((u >> 1) & mask), style)
            made[i] = segment
        return made[inverse]
