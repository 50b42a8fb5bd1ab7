"""Styled cell arrays -> Textual `Strip`s, what changed between two frames, and the terminal
text of the changed cells.

The preview is cut into column tiles (one widget each) because Textual's compositor re-sends
a partially refreshed line from the left edge of the widget that owns it: in narrow tiles a
change costs the few cells before it in its tile, not the whole row before it.

A tile row is a list of runs (cells with the same colours). Where the console writes the
mode's colours as they are, a row is an `AnsiStrip` with its terminal text made from cached
text per run; otherwise a Strip of Segments. Truecolor brings a few hundred colour pairs a
frame never seen before, and a Rich Color, Style and Segment for each cost ~3 times what
cached text does (`flowtop bench` shows both: rows ms and write ms).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from flowtop.tracker.render.palette import SPACE, UPPER_HALF, StyledCells
from flowtop.tui.preview.internals import AnsiStrip, make_strips, strips_fit
from flowtop.tui.preview.run_styles import IDENT_SHIFT, RUN_LEN_BITS, RunStyles, prerenders

TILE_COLS = 8  # tile width in cells: measured best trade of bytes against widget count
MAX_KEPT = 20_000  # runs, styles, colours kept for reuse: ~5 MB in truecolor (15 as Segments)


def tile_edges(cols: int, tile_cols: int = TILE_COLS) -> list[int]:
    """Left column of each tile of a `cols`-wide preview."""
    return list(range(0, max(cols, 1), tile_cols))


class Change(NamedTuple):
    """Cells first..last (inclusive, preview columns) of `row` in tile `tile` changed."""

    row: int
    tile: int
    first: int
    last: int


@dataclass(frozen=True)
class Changes:
    """The changed span of some (row, tile)s, as arrays (N,) of `Change`'s fields; iterating
    gives the Changes one by one."""

    row: npt.NDArray[np.int64]
    tile: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]

    @classmethod
    def of(cls, changes: Iterable[Change]) -> Changes:
        table = np.array(list(changes), np.int64).reshape(-1, 4)
        return cls(*table.T)

    def __len__(self) -> int:
        return len(self.row)

    def __iter__(self) -> Iterator[Change]:
        return map(Change._make, zip(self.row.tolist(), self.tile.tolist(),
                                     self.first.tolist(), self.last.tolist()))


def changed_cells(styled: StyledCells, previous: StyledCells | None,
                  edges: Sequence[int]) -> Changes | None:
    """The changed span of each (row, tile), or None if nothing is comparable (first frame,
    new size or mode: redraw everything)."""
    same = styled.same_as(previous)
    if same is None:
        return None
    changed = ~same
    rows = np.flatnonzero(changed.any(axis=1))
    sub = changed[rows]
    cols = np.arange(sub.shape[1])
    last = np.maximum.reduceat(np.where(sub, cols, -1), edges, axis=1)
    first = np.minimum.reduceat(np.where(sub, cols, sub.shape[1]), edges, axis=1)
    r, t = np.nonzero(last >= 0)
    return Changes(rows.take(r), t, first[r, t], last[r, t])


class RowBuilder:
    """Styled rows -> one Strip per tile: a run of cells with the same colours is one Segment.

    Runs are found with numpy. A run of one repeated `▀` or space is named by one integer
    (style key, length, glyph), so each distinct run is made once and taken from a cache
    afterwards; other runs (labels, ASCII text) are made directly. Given the console they
    are for, strips come with their terminal text made (`AnsiStrip`), one cached string per
    run, with no Rich objects unless something asks for Segments; without it (or where the
    terminal would downgrade the colours) they are Strips of Segments.
    """

    def __init__(self) -> None:
        self._styles: RunStyles | None = None

    def _start(self, mode: str, base: Style, system: ColorSystem) -> RunStyles:
        """The run styles of this mode, base and system; new ones when the cache is full."""
        styles = self._styles
        if (styles is None or (styles.mode, styles.system) != (mode, system)
                or styles.base != base or len(styles) > MAX_KEPT):
            if styles is not None:  # strips still shown may use it: only what they ask again
                styles.forget()
            styles = self._styles = RunStyles(mode, base, system)
        return styles

    def build(self, styled: StyledCells, rows: Sequence[int], base: Style,
              edges: Sequence[int] = (0,), console: Console | None = None
              ) -> list[list[Strip]]:
        """For each of `rows`, a Strip per tile starting at `edges`; cells with no colour
        take the `base` style."""
        tiles = len(edges)
        pairs = [(row, t) for row in rows for t in range(tiles)]
        strips = self.build_tiles(styled, pairs, base, edges, console)
        return [strips[i * tiles:(i + 1) * tiles] for i in range(len(rows))]

    def build_tiles(self, styled: StyledCells, pairs: Sequence[tuple[int, int]], base: Style,
                    edges: Sequence[int], console: Console | None = None) -> list[Strip]:
        """The Strip of each (row, tile) in `pairs`, in that order, for `console` if given."""
        if not len(pairs):
            return []
        # Textual writes with its console's colour system, truecolor when it has none
        system = (COLOR_SYSTEMS.get(console.color_system or "", ColorSystem.TRUECOLOR)
                  if console is not None else ColorSystem.TRUECOLOR)
        styles = self._start(styled.mode, base, system)
        runs = find_runs(styled, pairs, edges)
        if console is None or not strips_fit() or not prerenders(styled.mode, system):
            return _segment_strips(styles, runs)
        return _ansi_strips(styles, runs)

    def span_texts(self, styled: StyledCells, spans: Changes, base: Style,
                   console: Console) -> list[str] | None:
        """The terminal text of cells first..last of each span's row, as Textual writes
        them, to write straight to the terminal; None where this console needs Rich to
        render the colours (the strips then go through the compositor)."""
        system = COLOR_SYSTEMS.get(console.color_system or "", ColorSystem.TRUECOLOR)
        if not strips_fit() or not prerenders(styled.mode, system):
            return None
        if not spans:
            return []
        runs = span_runs(styled, spans)
        pieces, bounds = _pieces(self._start(styled.mode, base, system), runs), runs.bounds
        return ["".join(pieces[bounds[k]:bounds[k + 1]]) for k in range(len(spans))]


@dataclass(frozen=True)
class Runs:
    """The runs of cells with one style key in some rows (tile rows, or spans of them), in
    order.

    Per run: style key, length, identity (key, length, glyph: `tui.preview.run_styles`), whether it
    is `simple` (one repeated `▀` or space: named by its identity) and, for the others, its
    text. Row k has runs bounds[k] to bounds[k + 1] and is widths[k] cells wide.
    """

    keys: np.ndarray
    lengths: np.ndarray
    idents: np.ndarray
    simple: np.ndarray
    texts: dict[int, str]
    bounds: list[int]
    widths: list[int]


def find_runs(styled: StyledCells, pairs: Sequence[tuple[int, int]], edges: Sequence[int]
              ) -> Runs:
    """The runs of the (row, tile) rows in `pairs`, with numpy.

    `edges` are evenly spaced (`tile_edges`); only the cells of the wanted tiles are looked
    at: the frame is cut into (rows, tiles, width) blocks and the wanted ones taken.
    """
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
    starts = np.ones((len(which), width), bool)
    starts[:, 1:] = keys[:, 1:] != keys[:, :-1]
    run_keys, lengths, idents, simple, texts = _run_table(keys.ravel(), glyph.ravel(),
                                                          starts.ravel())
    bounds = np.append(0, np.cumsum((starts & (keys >= 0)).sum(axis=1))).tolist()
    widths = np.minimum(width, cols - np.asarray(edges))[which[:, 1]].tolist()
    return Runs(run_keys, lengths, idents, simple, texts, bounds, widths)


def _run_table(keys: np.ndarray, glyph: np.ndarray, starts: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, str]]:
    """Runs of the cells `keys`, `glyph` (flat) that begin where `starts` is True, leaving out
    runs of key -1 (padding): their keys, lengths, identities, whether each is `simple`, and
    the text of the others (`Runs`)."""
    flat = np.flatnonzero(starts)
    lengths = np.diff(np.append(flat, len(keys)))
    run_of = np.cumsum(starts) - 1  # the run each cell belongs to
    first = glyph[flat]
    mixed = np.zeros(len(flat), bool)
    mixed[run_of[glyph != first[run_of]]] = True
    real = keys[flat] >= 0
    if not real.all():
        flat, lengths, first, mixed = flat[real], lengths[real], first[real], mixed[real]
    run_keys = keys[flat]
    idents = (run_keys << IDENT_SHIFT) | (lengths << 1) | (first == SPACE)
    simple = (~mixed & ((first == UPPER_HALF) | (first == SPACE))
              & (lengths < (1 << RUN_LEN_BITS)))
    others = np.flatnonzero(~simple).tolist()
    texts: dict[int, str] = {}
    if others:
        text = glyph.astype("<u4", copy=False).tobytes().decode("utf-32-le")
        at, length = flat.tolist(), lengths.tolist()
        texts = {i: text[at[i]:at[i] + length[i]] for i in others}
    return run_keys, lengths, idents, simple, texts


def span_runs(styled: StyledCells, spans: Changes) -> Runs:
    """The runs of cells first..last of each span's row (`Runs`, one row per span)."""
    n = spans.last - spans.first + 1
    offsets = np.cumsum(n) - n  # where each span starts among the cells taken
    cell = (np.repeat(spans.row * styled.fg.shape[1] + spans.first - offsets, n)
            + np.arange(n.sum()))
    keys = styled.keys().ravel().take(cell)
    starts = np.ones(len(cell), bool)
    starts[1:] = keys[1:] != keys[:-1]
    starts[offsets] = True
    run_keys, lengths, idents, simple, texts = _run_table(keys, styled.glyph.ravel().take(cell),
                                                          starts)
    bounds = [*(np.cumsum(starts) - 1).take(offsets).tolist(), len(run_keys)]
    return Runs(run_keys, lengths, idents, simple, texts, bounds, n.tolist())


def _segment_strips(styles: RunStyles, runs: Runs) -> list[Strip]:
    """Strips of Segments: a Rich style and Segment for every run (kept for reuse)."""
    segments = np.empty(len(runs.keys), object)
    simple = runs.simple
    if simple.any():
        segments[simple] = _cached(styles.segments, styles.make_segments, runs.idents[simple])
    for i, text in runs.texts.items():
        segments[i] = Segment(text, styles.style(int(runs.keys[i])))
    kept, bounds = segments.tolist(), runs.bounds
    return make_strips([kept[bounds[k]:bounds[k + 1]] for k in range(len(runs.widths))],
                       runs.widths)


def _pieces(styles: RunStyles, runs: Runs) -> list[str]:
    """The terminal text of every run (simple ones kept for reuse)."""
    made = np.empty(len(runs.keys), object)
    simple = runs.simple
    if simple.any():
        made[simple] = _cached(styles.pieces, styles.make_pieces, runs.idents[simple])
    for i, text in runs.texts.items():
        made[i] = styles.wrap(int(runs.keys[i]), text)
    return made.tolist()


def _ansi_strips(styles: RunStyles, runs: Runs) -> list[Strip]:
    """AnsiStrips: the terminal text of every run (kept for reuse), Segments when asked."""
    pieces = _pieces(styles, runs)
    texts: list[str | int] = (runs.idents & ((1 << IDENT_SHIFT) - 1)).tolist()
    for i, text in runs.texts.items():
        texts[i] = text
    bounds = runs.bounds
    each = list(zip(pieces, runs.keys.tolist(), runs.lengths.tolist(), texts))
    return [AnsiStrip(styles, each[bounds[k]:bounds[k + 1]], width,
                      "".join(pieces[bounds[k]:bounds[k + 1]]))
            for k, width in enumerate(runs.widths)]


def _cached(cache: dict, make, idents: np.ndarray) -> np.ndarray:
    """The cached object of each of `idents`, made (by `make`, in one batch) where missing."""
    unique, inverse = np.unique(idents, return_inverse=True)
    found = list(map(cache.get, unique.tolist()))
    if None in found:
        missing = [i for i, item in enumerate(found) if item is None]
        for i, item in zip(missing, make(unique[missing])):
            found[i] = item
    return np.fromiter(found, object, len(found))[inverse]
