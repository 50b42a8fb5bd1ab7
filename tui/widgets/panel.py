"""A panel whose content changes often but whose size does not."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


def on_screen(widget: Widget) -> bool:
    """Whether `widget` and every container above it are displayed."""
    node: Widget | None = widget
    while node is not None and not isinstance(node, Screen):
        if not node.display:
            return False
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return True


class LivePanel(Widget):
    """Shows one renderable; `show_content` repaints the lines that changed, no layout pass.

    `Static.update` asks for a layout of the whole screen on every call, and repaints every
    line; several times a second that costs more than the panel's content. These panels are
    sized by CSS, not by content, render their lines with Rich once per content, and ask the
    compositor for only the lines that differ from what is shown (a status bar whose fps
    changed is one line; a speeds table whose values moved, the rows that moved).
    """

    DEFAULT_CSS = """
    LivePanel { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._content: RenderableType = ""
        self._lines: list[Strip] = []
        self._made_for: tuple[int, int, RenderableType] | None = None  # of `_lines`

    @property
    def content(self) -> RenderableType:
        return self._content

    def show_content(self, content: RenderableType) -> None:
        """Show `content`; only its lines that changed are repainted."""
        self._content = content
        width = self.content_size.width
        if not self.is_mounted or width <= 0 or self._made_for is None:
            self._made_for = None
            self.refresh()
            return
        old, made = self._lines, self._made_for
        new = self._render_lines(width)
        if made[:2] != self._made_for[:2] or len(old) != len(new):
            self.refresh()
            return
        changed = [Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, new)) if a != b]
        if changed:
            self.refresh(*changed)

    def render(self) -> RenderableType:
        return self._content

    def render_line(self, y: int) -> Strip:
        width, height = self.content_size
        made = self._made_for
        if made is None or made[:2] != (width, height) or made[2] is not self._content:
            self._render_lines(width)
        lines = self._lines
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)

    def _render_lines(self, width: int) -> list[Strip]:
        """The content as one Strip per line of the panel, `width` cells wide."""
        console = self.app.console
        height = self.content_size.height
        style = self.rich_style
        lines = text_lines(self._content, console, width, height, style)
        if lines is None:  # anything else: Rich lays it out
            options = console.options.update(width=width, height=height, highlight=False)
            rendered = console.render_lines(self._content, options, style=style, pad=True)
            lines = [Strip(line, width) for line in rendered[:height]]  # padded to height
        self._lines, self._made_for = lines, (width, height, self._content)
        return lines


def text_lines(content: RenderableType, console: Console, width: int, height: int,
               style: Style) -> list[Strip] | None:
    """`content`'s lines as Rich's `render_lines` makes them, when it is a Text whose
    lines fit `width` unwrapped (what the panels show: each line is its own Segments, padded
    with `style`, and blank lines to `height`), without Rich's wrapping pass; else None."""
    if (not isinstance(content, Text) or "\t" in content.plain
            or content.justify not in (None, "default")):
        return None
    lines = content.split("\n", allow_blank=True)
    if any(cell_len(line.plain) > width for line in lines):
        return None
    strips = []
    for line in lines[:height]:  # a line's own style under its spans, the panel's under all
        base = style + console.get_style(line.style) if line.style else style
        segments = [s for s in Segment.apply_style(line.render(console, end=""), base) if s.text]
        room = width - line.cell_len
        if room:
            segments.append(Segment(" " * room, style))
        strips.append(Strip(segments, width))
    blank = Strip([Segment(" " * width, style)], width)
    return strips + [blank] * (height - len(strips))
