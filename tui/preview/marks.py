"""What the preview marks on the picture besides the tracks (the keyboard cursor while it has
the focus, a ring on the track picked in the speeds table), and where a click or a cursor
key lands in image pixels."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from textual.binding import Binding, BindingType

from flowtop.tracker.contracts import TrackState
from flowtop.tracker.render.canvas import Layout
from flowtop.tracker.render.cells import Overlay

Point = tuple[float, float]

CURSOR_BINDINGS: list[BindingType] = [
    *(Binding(key, f"move_cursor({dx}, {dy})", "cursor", show=False)
      for key, dx, dy in (("left", -1, 0), ("right", 1, 0), ("up", 0, -1), ("down", 0, 1),
                          ("shift+left", -8, 0), ("shift+right", 8, 0),
                          ("shift+up", 0, -8), ("shift+down", 0, 8))),
    Binding("a", "add_point", "add point"),
]


def marks(overlay: Overlay | None, state: TrackState, cursor: Point | None,
          highlight: int | None) -> Overlay | None:
    """`overlay` with the cursor (if given) and a ring on track `highlight` (if it lives)."""
    if cursor is not None:
        overlay = replace(overlay or Overlay(), cursor=cursor)
    if highlight is not None:
        where = np.flatnonzero(state.ids == highlight)
        if len(where):
            x, y = state.pts[where[0]]
            overlay = replace(overlay or Overlay(), rings=((float(x), float(y)),))
    return overlay


def centre(width: int, height: int) -> Point:
    """The middle of a `width` x `height` image, in pixels."""
    return (width - 1) / 2, (height - 1) / 2


def clicked(layout: Layout, x: float, y: float) -> Point | None:
    """The image pixel under content cell position (x, y) (fractions say which half of the
    cell), or None off the picture."""
    within = y - math.floor(y)
    return layout.cell_to_image(math.floor(x), math.floor(y), within if within > 0 else 0.5)


def moved(layout: Layout, cursor: Point | None, dx: int, dy: int) -> Point:
    """The cursor moved by (dx, dy) preview pixels (half cells vertically), on the image."""
    x, y = cursor or centre(layout.image_w, layout.image_h)
    return layout.clamp_image(x + dx / layout.sx, y + dy / layout.sy)
