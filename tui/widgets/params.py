"""The live parameter panel: every engine parameter from the schema, changed by key press.

`↑ ↓` select, `← →` (or `- +`) step on the parameter's grid, `enter` asks for an exact value
(lists too, as JSON), `d` resets to the default. The panel only proposes: it posts `Changed`
with the whole new set and the host applies it (and may refuse it), or `EditRequested` for a
typed value.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from flowtop.tracker.config.params import Params, iter_specs
from flowtop.tracker.config.steps import default_of, stepped


def adjustable_keys() -> list[str]:
    """Keys a key press can step: numbers, choices and flags (lists and paths are typed)."""
    return [key for key, f, spec in iter_specs()
            if spec.choices or spec.step is not None or isinstance(f.default, bool)]


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return f"[{len(value)} items]" if value else "[]"
    return str(value)


class ParamsPanel(OptionList):
    """Every parameter; see the module docstring for the keys."""

    BINDINGS = [
        Binding("left,minus", "change(-1)", "−", show=False),
        Binding("right,plus,equals_sign", "change(1)", "+", show=False),
        Binding("enter", "edit", "type a value", show=False),
        Binding("d", "reset", "default", show=False),
    ]
    DEFAULT_CSS = """
    ParamsPanel { height: 1fr; }
    """

    class Changed(Message):
        """The user changed one parameter; `params` is the whole new set."""

        def __init__(self, params: Params, key: str) -> None:
            super().__init__()
            self.params, self.key = params, key

    class EditRequested(Message):
        """The user asked to type the value of `key`."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, params: Params, **kwargs: Any) -> None:
        self.params = params
        self.keys = [key for key, _, _ in iter_specs()]
        self.steppable = set(adjustable_keys())
        self._specs = {key: spec for key, _, spec in iter_specs()}
        self._width = max(len(k.partition(".")[2]) for k in self._specs)
        options: list[Option] = []
        section = ""
        for key in self._specs:
            if key.partition(".")[0] != section:
                section = key.partition(".")[0]
                options.append(Option(Text(f"[{section}]", style="bold"), disabled=True))
            options.append(Option(self._line(key), id=key))
        super().__init__(*options, **kwargs)

    def _line(self, key: str) -> Text:
        spec = self._specs[key]
        value = self.params.get(key)
        name = key.partition(".")[2]
        typed = key not in self.steppable  # a list or a path: typed with enter
        changed = value != default_of(key)
        text = Text(f" {name:<{self._width}} ", no_wrap=True, overflow="ellipsis",
                    style="dim" if typed else "")
        text.append(f"{format_value(value):>8}", style="bold" if changed else "")
        text.append(f" {spec.unit}" if spec.unit else "", style="dim")
        return text

    @property
    def selected_key(self) -> str | None:
        i = self.highlighted
        return None if i is None else self.get_option_at_index(i).id

    def select_key(self, key: str) -> None:
        self.highlighted = self.get_option_index(key)

    def on_mount(self) -> None:
        self.select_key(self.keys[0])

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id
        if key:
            spec = self._specs[key]
            how = "enter types it" if key not in self.steppable else "← → step · enter types"
            self.border_subtitle = f"{spec.help} · {how} · d default"

    def set_params(self, params: Params) -> None:
        """Show `params` (changed elsewhere, e.g. by calibration) without posting Changed; only
        the lines whose value changed are redrawn (a burst of keys stays cheap)."""
        old, self.params = self.params, params
        for key in self._specs:
            if params.get(key) != old.get(key):
                self.replace_option_prompt(key, self._line(key))

    def _propose(self, new: Params, key: str) -> None:
        if new == self.params:
            self.app.bell()
            return
        self.params = new
        self.replace_option_prompt(key, self._line(key))
        self.post_message(self.Changed(new, key))

    def action_change(self, direction: int) -> None:
        key = self.selected_key
        if key is None:
            return
        if key not in self.steppable:
            self.post_message(self.EditRequested(key))
            return
        self._propose(stepped(self.params, key, direction), key)

    def action_edit(self) -> None:
        key = self.selected_key
        if key is not None:
            self.post_message(self.EditRequested(key))

    def action_reset(self) -> None:
        key = self.selected_key
        if key is not None:
            self._propose(self.params.with_value(key, default_of(key)), key)
