"""A dialog to type one parameter's exact value, checked by the parameter schema.

It shows the key, what it does, its range or choices and its current value; `enter` applies a
value the schema accepts (the dialog closes with the new Params), a refused value says why and
stays; `escape` closes without a change. Lists (points, a roi) are typed as JSON,
`[[x, y], ...]`.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from flowtop.tracker.config.fields import kind_of, spec_of
from flowtop.tracker.config.params import Params, field_of
from flowtop.tracker.errors import ParamError


def allowed(key: str) -> str:
    """What `key` accepts, in words: a range with its unit, choices, a kind."""
    f = field_of(key)
    spec, kind = spec_of(f), kind_of(f)
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.choices:
        return "one of " + ", ".join(spec.choices)
    if kind is bool:
        return "true or false"
    if kind is list:
        return "a JSON list, e.g. [[x, y], [x, y]]"
    if spec.lo is not None and spec.hi is not None:
        return f"{spec.lo:g} to {spec.hi:g}{unit}" + (" (whole number)" if kind is int else "")
    return "a number" + unit


def shown_value(value: object) -> str:
    """A value as the user would type it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        import json

        return json.dumps(value)
    return str(value)


class ValueDialog(ModalScreen[Params | None]):
    """Type a value for `key`; dismissed with the new Params, or None."""

    BINDINGS = [Binding("escape", "dismiss", "cancel")]
    DEFAULT_CSS = """
    ValueDialog { align: center middle; }
    ValueDialog > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    ValueDialog Static { width: 100%; height: auto; }
    ValueDialog #value-error { color: $error; }
    """

    def __init__(self, params: Params, key: str) -> None:
        super().__init__()
        self.params, self.key = params, key

    def compose(self) -> ComposeResult:
        spec = spec_of(field_of(self.key))
        with Vertical():
            title = Text(self.key, style="bold")
            title.append(f"  {spec.help}", style="dim")
            yield Static(title)
            yield Static(Text(f"allowed: {allowed(self.key)}"))
            yield Input(shown_value(self.params.get(self.key)), id="value-input",
                        select_on_focus=True)
            yield Static("", id="value-error")
            yield Static(Text("enter applies · esc cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            new = self.params.with_text(self.key, event.value)
        except ParamError as exc:
            self.query_one("#value-error", Static).update(Text(str(exc)))
            return
        self.dismiss(new)
