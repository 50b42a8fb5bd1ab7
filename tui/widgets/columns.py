"""Fixed-width tables as plain Rich Text: what the panels redraw several times a second.

A Rich `Table` measures and wraps every cell on every render; the panels' tables are simpler
(one line per row, known columns), so they are laid out here once per update. A column is as
wide as its widest value, never cut: when the panel is too narrow, whole columns go, lowest
`drop` rank first (0 = never).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

HEADER_STYLE = "bold cyan"
GAP = 1


@dataclass(frozen=True)
class Column:
    """One column: its key, header, least width, alignment and when it goes (0 = never)."""

    key: str
    header: str
    width: int
    align: str = "right"
    drop: int = 0


def fit(columns: Sequence[Column], rows: Sequence[dict[str, str]], width: int
        ) -> tuple[list[Column], list[int]]:
    """The columns that fit `width` cells with these rows, and their widths."""
    kept = list(columns)
    while True:
        widths = [max(c.width, len(c.header), *(len(r.get(c.key, "")) for r in rows))
                  for c in kept]
        if sum(widths) + GAP * (len(kept) - 1) <= width:
            return kept, widths
        droppable = [c for c in kept if c.drop]
        if not droppable:
            return kept, widths
        kept.remove(min(droppable, key=lambda c: c.drop))


def grid(columns: Sequence[Column], rows: Sequence[dict[str, str]], width: int,
         styles: Sequence[str] = ()) -> Text:
    """A header line and a line per row (with `styles[i]`, if given), fitted to `width`."""
    kept, widths = fit(columns, rows, width)

    def line(cells: dict[str, str]) -> str:
        parts = [(cells.get(c.key, "").rjust(w) if c.align == "right"
                  else cells.get(c.key, "").ljust(w)) for c, w in zip(kept, widths)]
        return (" " * GAP).join(parts)

    text = Text(no_wrap=True, overflow="crop")
    text.append(line({c.key: c.header for c in kept}), style=HEADER_STYLE)
    for i, row in enumerate(rows):
        text.append("\n")
        text.append(line(row), style=styles[i] if i < len(styles) else "")
    return text
