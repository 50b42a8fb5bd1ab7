"""The bottom line of keys: what fits of them at this width, the most useful kept.

Unlike a footer of every binding, it drops the least useful keys first on a narrow terminal
(help and quit always stay), and its labels follow the state: `space resume` while paused,
`r restart` at the end of a file, calibration's own keys in calibration mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from flowtop.tui.widgets.panel import LivePanel

GAP = "  "


@dataclass(frozen=True)
class Key:
    """A key as shown: its name, what it does now, and its rank (lower stays longer)."""

    key: str
    label: str
    rank: int = 5


def fit(keys: list[Key], width: int) -> list[Key]:
    """The keys that fit in `width` cells, in their order, dropping the highest ranks first."""
    kept = list(keys)
    while kept and _length(kept) > width:
        kept.remove(max(kept, key=lambda k: k.rank))
    return kept


def _length(keys: list[Key]) -> int:
    return sum(len(k.key) + 1 + len(k.label) for k in keys) + len(GAP) * (len(keys) - 1) + 1


def key_text(keys: list[Key], width: int) -> Text:
    text = Text(" ", no_wrap=True, overflow="ellipsis")
    for i, k in enumerate(fit(keys, width)):
        if i:
            text.append(GAP)
        text.append(k.key, style="bold reverse")
        text.append(f" {k.label}", style="")
    return text


class KeyBar(LivePanel):
    """The keys of the moment, fitted to the terminal's width."""

    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel-darken-1; color: $text; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[Key] = []

    def show(self, keys: list[Key]) -> None:
        if keys != self._keys or self.content == "":
            self._keys = keys
            self.show_content(key_text(keys, self.size.width or 80))

    def on_resize(self) -> None:
        self.show_content(key_text(self._keys, self.size.width or 80))
