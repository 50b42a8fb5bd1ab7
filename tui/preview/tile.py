"""One column slice of the preview, its own widget so that a refresh re-sends only its cells
(Textual re-sends a partly refreshed line from the left edge of the widget that owns it)."""

from __future__ import annotations

from typing import Protocol

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class TiledPicture(Protocol):
    """What a tile shows: the picture's lines, cut at the tile's edges."""

    @property
    def rich_style(self) -> Style: ...

    def tile_line(self, tile: int, y: int) -> Strip: ...


class PreviewTile(Widget):
    """A column slice of the preview: its own widget, so a refresh re-sends only its cells."""

    DEFAULT_CSS = """
    PreviewTile { height: 1fr; }
    """

    def __init__(self, preview: TiledPicture, index: int) -> None:
        super().__init__()
        self.preview, self.index = preview, index

    def render_line(self, y: int) -> Strip:
        return self.preview.tile_line(self.index, y)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The preview's Strips as they are: a tile has no border, padding or tint, so the
        styles cache (a new Strip per line, its render lost) is skipped."""
        width = self.size.width
        filters = self.app.get_line_filters()
        background = self.background_colors[1] if filters else None
        x1, x2 = crop.column_span
        lines = []
        for y in crop.line_range:
            strip = self.preview.tile_line(self.index, y)
            if strip.cell_length != width:  # only while a resize is under way
                strip = strip.adjust_cell_length(width, self.preview.rich_style)
            if background is not None:  # a dialog's filter (the dimming under it)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
            lines.append(strip if (x1, x2) == (0, width) else strip.crop(x1, x2))
        return lines
