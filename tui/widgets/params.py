"""The live parameter panel: every engine parameter from the schema, changed by key press."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from flowtop.tracker.config.params import Params, iter_specs, stepped


def adjustable_keys() -> list[str]:
    """Keys a key press can change: numbers, choices and flags (not lists such as roi)."""
    return [key for key, f, spec in iter_specs()
            if spec.choices or spec.step is not None or isinstance(f.default, bool)]


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ParamsPanel(OptionList):
    """Up/down select a parameter, left/right (or -/+) move it one step within its bounds."""

    BINDINGS = [
        Binding("left,minus", "change(-1)", "−", show=False),
        Binding("right,plus,equals_sign", "change(1)", "+", show=False),
    ]
    DEFAULT_CSS = """
    ParamsPanel { height: 1fr; }
    """

    class Changed(Message):
        """The user changed one parameter; `params` is the whole new set."""

        def __init__(self, params: Params, key: str) -> None:
            super().__init__()
            self.params, self.key = params, key

    def __init__(self, params: Params, **kwargs) -> None:
        self.params = params
        self.keys = adjustable_keys()
        self._specs = {key: spec for key, _, spec in iter_specs()}
        self._width = max(len(k.partition(".")[2]) for k in self._specs)
        options: list[Option] = []
        section = ""
        for key in self._specs:  # every parameter; those keys cannot step are shown, dimmed
            if key.partition(".")[0] != section:
                section = key.partition(".")[0]
                options.append(Option(Text(f"[{section}]", style="bold"), disabled=True))
            options.append(Option(self._line(key), id=key, disabled=key not in self.keys))
        super().__init__(*options, **kwargs)

    def _line(self, key: str) -> Text:
        spec = self._specs[key]
        value = format_value(self.params.get(key))
        name = key.partition(".")[2]
        fixed = key not in self.keys  # a list or a path: set by --set, the config or `k`
        text = Text(f" {name:<{self._width}} {value:>8}", no_wrap=True, overflow="ellipsis",
                    style="dim" if fixed else "")
        text.append(f" {spec.unit}" if spec.unit else "", style="dim")
        return text

    def _index(self, key: str) -> int:
        return self.get_option_index(key)

    @property
    def selected_key(self) -> str | None:
        i = self.highlighted
        return None if i is None else self.get_option_at_index(i).id

    def select_key(self, key: str) -> None:
        self.highlighted = self._index(key)

    def on_mount(self) -> None:
        self.select_key(self.keys[0])

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id
        if key:
            self.border_subtitle = self._specs[key].help

    def set_params(self, params: Params) -> None:
        """Show `params` (changed elsewhere, e.g. by calibration) without posting Changed."""
        self.params = params
        for key in self._specs:
            self.replace_option_prompt(key, self._line(key))

    def action_change(self, direction: int) -> None:
        key = self.selected_key
        if key is None:
            return
        new = stepped(self.params, key, direction)
        if new == self.params:
            self.app.bell()
            return
        self.params = new
        self.replace_option_prompt(key, self._line(key))
        self.post_message(self.Changed(new, key))
