"""A panel whose content changes often but whose size does not."""

from __future__ import annotations

from rich.console import RenderableType
from textual.screen import Screen
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
    """Shows one renderable; `show_content` repaints it without a layout pass.

    `Static.update` asks for a layout of the whole screen on every call, which several times a
    second costs more than drawing the panel; these panels are sized by CSS, not by content.
    """

    DEFAULT_CSS = """
    LivePanel { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._content: RenderableType = ""

    @property
    def content(self) -> RenderableType:
        return self._content

    def show_content(self, content: RenderableType) -> None:
        self._content = content
        self.refresh()

    def render(self) -> RenderableType:
        return self._content
