"""The `?` help screen: every key the app binds, read from the bindings themselves."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS = (
    ("↑ ↓", "select a parameter (parameter panel)"),
    ("← → - +", "change the selected parameter"),
    ("arrows + a", "move the cursor / add a point (preview focused)"),
    ("click", "add a tracking point at the clicked pixel"),
    ("tab", "move focus between panels"),
)


def keys_table(bindings: list[Binding]) -> Table:
    table = Table(box=None, padding=(0, 2), show_header=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for b in bindings:
        if b.description:
            table.add_row(b.key_display or b.key, b.description)
    for key, what in EXTRA_KEYS:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 90%; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    HelpScreen Static { width: 100%; height: auto; }
    """

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._app_bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]flowtop keys[/b]  (esc closes)\n")
            yield Static(keys_table(self._app_bindings), id="help-keys")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
