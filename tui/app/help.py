"""The `?` help screen: every key the app binds, read from the bindings themselves.

It fits any terminal from 80x24: the list scrolls (arrows, page keys) when it is longer than
the screen.
"""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS = (
    ("↑ ↓", "parameters: select one"),
    ("← → - +", "parameters: one step (on the parameter's grid)"),
    ("enter", "parameters: type an exact value"),
    ("d", "parameters: back to the default"),
    ("arrows, a", "picture focused: move the cursor, add a point there"),
    ("click", "add a tracking point at the clicked pixel"),
    ("tab", "move the focus between what is on screen"),
    ("ctrl+p", "command palette: every action, and `set <parameter>`"),
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
    HelpScreen > VerticalScroll {
        width: 78; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    HelpScreen Static { width: 100%; height: auto; }
    """

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._app_bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("[b]flowtop keys[/b]  (esc closes; ↑ ↓ scroll)")
            yield Static(keys_table(self._app_bindings), id="help-keys")
