"""Which parts of the screen show, for every terminal size: a pure function of the UI's state.

From WIDE_COLS columns up the picture and a side column of panels share the screen; below,
the picture keeps the screen and each panel is a view of its own, switched with the number
keys. Calibration mode needs the picture and its panel together: on a narrow screen the
panel goes under the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDE_COLS = 120  # from this width the side panels (46 columns) fit beside the picture
VIEWS = ("picture", "speeds", "objects", "params", "health")  # keys 1..5
DEFAULT = "default"  # wide: the picture with the panels beside it; narrow: the picture
PANELS = ("calibration", "speeds", "objects", "health", "params")  # the side column's


@dataclass(frozen=True)
class Screen:
    """What the user asked for: the view (DEFAULT or one of VIEWS), calibration mode, and the
    terminal width."""

    view: str = DEFAULT
    calibrating: bool = False
    width: int = 120

    @property
    def wide(self) -> bool:
        return self.width >= WIDE_COLS


@dataclass(frozen=True)
class Shown:
    """What is on screen: the preview, the side column, each panel; `stacked` puts the side
    column under the picture instead of beside it."""

    preview: bool
    side: bool
    panels: frozenset[str]
    stacked: bool = False


def shown(screen: Screen) -> Shown:
    """The parts of the screen on show for `screen`.

    Wide: the picture, and beside it calibration (in calibration mode), speeds and objects (or
    health in their place) and parameters; view `picture` hides the side column. Narrow: the
    picture alone (DEFAULT, `picture`), or one panel filling the screen; calibration mode
    shows the picture with the calibration panel under it.
    """
    if screen.calibrating:
        if screen.wide:
            return Shown(True, True, frozenset({"calibration", *_side_of(screen.view)}))
        return Shown(True, True, frozenset({"calibration"}), stacked=True)
    if screen.wide:
        if screen.view == "picture":
            return Shown(True, False, frozenset())
        return Shown(True, True, frozenset(_side_of(screen.view)))
    if screen.view in (DEFAULT, "picture"):
        return Shown(True, False, frozenset())
    return Shown(False, True, frozenset({screen.view}))


def _side_of(view: str) -> tuple[str, ...]:
    """The wide side column for a view: health takes the place of speeds and objects."""
    if view == "health":
        return ("health", "params")
    return ("speeds", "objects", "params")
