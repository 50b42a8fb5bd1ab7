"""The picture as column tiles: their widgets, a Strip per (row, tile), and how a frame's
changed cells reach the terminal.

Each tile is its own widget (`tui.preview.tile`; `tui.preview.rows` says why). A frame with
nothing comparable before it (the first, a new size or mode) is made into strips and painted
by the compositor. After that only the cells that changed are sent: straight to the terminal
while nothing covers the picture, their tile rows' strips left to be made from the picture
on screen when the compositor next paints them; else as a refresh of each changed tile row.
"""

from __future__ import annotations

import numpy as np
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from flowtop.tracker.render.palette import StyledCells
from flowtop.tui.preview.internals import place_direct, write_direct
from flowtop.tui.preview.rows import Changes, RowBuilder, changed_cells, tile_edges
from flowtop.tui.preview.tile import PreviewTile, TiledPicture


class Tiling:
    """The tiles of `owner` (a widget that is also the `TiledPicture` its tiles show)."""

    def __init__(self, owner: Widget) -> None:
        self.owner = owner
        self.tiles: list[PreviewTile] = []
        self.edges: list[int] = [0]
        self.cols = -1  # the width `edges` were cut for
        self.strips: list[list[Strip]] = []  # per row, per tile
        self.styled: StyledCells | None = None  # the picture on screen (None: none to compare)
        self.sent: Changes | None = None  # the cells the last frame sent (None: all)
        self.direct_draws = 0  # frames written straight to the terminal
        self._stale: set[tuple[int, int]] = set()  # (row, tile) written, strips not made
        self._rows = RowBuilder()

    def retile(self, cols: int) -> None:
        """One tile widget per TILE_COLS columns of `cols`, as wide as its columns."""
        self.edges, self.cols = tile_edges(cols), cols
        widths = [b - a for a, b in zip(self.edges, [*self.edges[1:], max(cols, 1)])]
        tiles = self.tiles
        if len(tiles) > len(widths):
            for tile in tiles[len(widths):]:
                tile.remove()
            del tiles[len(widths):]
        elif len(tiles) < len(widths):
            picture: TiledPicture = self.owner  # type: ignore[assignment]
            new = [PreviewTile(picture, i) for i in range(len(tiles), len(widths))]
            tiles.extend(new)
            self.owner.mount(*new)
        for tile, width in zip(tiles, widths):
            tile.styles.width = width

    def clear(self) -> None:
        """No picture: every tile repaints (blank, or what the owner says)."""
        self.strips, self.styled, self.sent = [], None, None
        self._stale.clear()
        self.refresh_all()

    def refresh_all(self) -> None:
        for tile in self.tiles:
            tile.refresh()

    def line(self, tile: int, y: int) -> Strip | None:
        """Line `y` of tile `tile`, None where there is no picture."""
        if self._stale:  # the compositor paints: make the strips of what was written
            self._build([])
        strips = self.strips
        return strips[y][tile] if y < len(strips) and tile < len(strips[y]) else None

    def draw(self, styled: StyledCells) -> None:
        """Show `styled`, sending what changed since the picture on screen."""
        changes = changed_cells(styled, self.styled, self.edges)
        self.styled = styled
        if changes is None:
            self.strips = self._rows.build(styled, range(styled.fg.shape[0]),
                                           self.owner.rich_style, self.edges,
                                           self.owner.app.console)
            self._stale.clear()
            self.sent = None
            self.refresh_all()
        else:
            self._send(styled, changes)

    def _send(self, styled: StyledCells, changes: Changes) -> None:
        owner, edges, tiles = self.owner, self.edges, self.tiles
        self.sent = changes
        places = place_direct(owner, tiles) if len(changes) else None
        texts = (self._rows.span_texts(styled, changes, owner.rich_style, owner.app.console)
                 if places is not None else None)
        rows, tile_of = changes.row.tolist(), changes.tile.tolist()
        if places is not None and texts is not None:
            x0 = np.array([place.x for place in places]) - np.array(edges)
            y0 = np.array([place.y for place in places])
            write_direct(owner.app, list(zip((x0.take(changes.tile) + changes.first).tolist(),
                                             (y0.take(changes.tile) + changes.row).tolist(),
                                             texts)))
            self._stale.update(zip(rows, tile_of))
            self.direct_draws += 1
            return
        self._build(list(zip(rows, tile_of)))
        per_tile: dict[int, list[Region]] = {}
        for c in changes:
            per_tile.setdefault(c.tile, []).append(
                Region(c.first - edges[c.tile], c.row, c.last - c.first + 1, 1))
        for index, regions in per_tile.items():
            if index < len(tiles):
                tiles[index].refresh(*regions)

    def _build(self, pairs: list[tuple[int, int]]) -> None:
        """Make the strips of the (row, tile) `pairs` and of those written directly since."""
        stale, self._stale = self._stale, set()
        if self.styled is None:  # a new size or mode: the next frame makes every strip
            return
        if stale:
            pairs = list(dict.fromkeys([*pairs, *sorted(stale)]))
        built = self._rows.build_tiles(self.styled, pairs, self.owner.rich_style, self.edges,
                                       self.owner.app.console)
        for (row, tile), strip in zip(pairs, built):
            self.strips[row][tile] = strip
