"""What the preview's colours mean, as Rich text for its border: the speed scale in its own
colours ('px/s 0 ▁▂▃▄▅▆▇█ 120'), or a note that every track shows in a colour of its id."""

from __future__ import annotations

import functools

from rich.color import Color
from rich.style import Style
from rich.text import Text

from flowtop.tracker.render.scheme import Scheme

ALL_TRACKS_LEGEND = "all tracks · colours by id"


@functools.lru_cache(maxsize=16)
def legend_text(scheme: Scheme) -> Text:
    """The legend of `scheme` (its scale must be fixed unless it shows all tracks); made
    once per scheme (a frame's scheme is most often the last one's): do not change it."""
    scale = scheme.scale
    if scheme.all_tracks or scale is None:
        return Text(ALL_TRACKS_LEGEND)
    text = Text()
    for piece, rgb in scale.legend():
        text.append(piece, Style(color=Color.from_rgb(*rgb)) if rgb else None)
    return text
