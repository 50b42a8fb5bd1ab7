"""Figures that judge a parameter set on a stretch of frames, and the objectives that rank sets.

`FigureCounter.add(state)` after each tracked frame of one pass over the stretch, then
`figures()`: a `TuningFigures` (see its docstring for what each figure is). The live view
shows two of them side by side while replaying (A/B), and `flowtop tune` ranks trials by one
figure, the `Objective`. Both count the same way, so a ranking and a replay agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import Params, iter_specs
from flowtop.tracker.contracts import TrackState, TuningFigures

MOVED_PX_S = 5.0  # a track counts in the lifetime once its speed reached this
STILL_FRAMES = 10  # a still point stayed within STILL_PX over this many frames
STILL_PX = 1.0
GRID = (16, 9)  # cells across and down the frame, for the coverage
TUNED_SECTIONS = ("features", "lk", "tracking", "speed", "objects", "trap")  # change tracks


class FigureCounter:
    """Accumulates one pass; see `TuningFigures` for the figures."""

    def __init__(self) -> None:
        self.frames = 0
        self._t0 = self._t1 = 0.0
        self._live: list[int] = []
        self._lost = 0
        self._first: dict[int, float] = {}  # track id -> first and last time seen
        self._last: dict[int, float] = {}
        self._moved: set[int] = set()
        self._fb: list[npt.NDArray[np.float32]] = []
        self._noise: list[npt.NDArray[np.float32]] = []
        self._cover: list[float] = []
        self._obj_first: dict[int, float] = {}
        self._obj_last: dict[int, float] = {}
        self._object_of: dict[int, int] = {}  # track id -> the object it was last part of
        self._changes: set[tuple[int, int]] = set()

    def add(self, state: TrackState) -> None:
        t = state.t
        if not self.frames:
            self._t0 = t
        self.frames += 1
        self._t1 = t
        self._live.append(state.live)
        self._lost += state.lost
        ids = state.ids.tolist()
        for i in ids:
            self._first.setdefault(i, t)
        self._last.update(dict.fromkeys(ids, t))
        self._moved.update(state.ids[state.speed >= MOVED_PX_S].tolist())
        measured = state.age > 0
        self._fb.append(state.fb_error[measured])
        self._noise.append(still_speeds(state))
        self._cover.append(coverage(state))
        self._add_objects(state)

    def _add_objects(self, state: TrackState) -> None:
        present = {o.id for o in state.objects}
        for obj in state.objects:
            self._obj_first.setdefault(obj.id, state.t)
            self._obj_last[obj.id] = state.t
            for track in obj.track_ids:
                before = self._object_of.get(track)
                if before is not None and before != obj.id and before not in present:
                    self._changes.add((before, obj.id))
                self._object_of[track] = obj.id

    def figures(self) -> TuningFigures:
        seconds = self._t1 - self._t0
        lifetimes = [self._last[i] - self._first[i] for i in self._moved]
        object_lives = [self._obj_last[i] - first for i, first in self._obj_first.items()]
        return TuningFigures(
            frames=self.frames, seconds=seconds,
            live_tracks=_median(self._live), lifetime_s=_median(lifetimes),
            lost_per_s=self._lost / seconds if seconds > 0 else math.nan,
            fb_error=_median_of(self._fb), still_noise=_median_of(self._noise),
            objects=len(self._obj_first), id_changes=len(self._changes),
            object_life_s=_median(object_lives), coverage=_mean(self._cover))


def still_speeds(state: TrackState) -> npt.NDArray[np.float32]:
    """Speeds (px/s) of the points that stayed within STILL_PX of where they are now over the
    last STILL_FRAMES frames: whatever speed they show is measurement noise."""
    window = min(STILL_FRAMES, state.trails.shape[1])
    if window < 2 or not len(state.ids):
        return np.zeros(0, np.float32)
    full = (state.trail_len >= window) & (state.age > 0)
    recent = state.trails[:, :window]  # newest first; row i's first `window` are valid
    spread = np.hypot(*(recent - recent[:, :1]).transpose(2, 0, 1)).max(axis=1)
    return state.speed[full & (spread <= STILL_PX)]


def coverage(state: TrackState) -> float:
    """Share of the GRID cells over the frame that hold at least one live track."""
    h, w = state.image.shape[:2]
    if not len(state.pts) or not w or not h:
        return 0.0
    cols, rows = GRID
    cx = np.clip((state.pts[:, 0] * cols / w).astype(np.int64), 0, cols - 1)
    cy = np.clip((state.pts[:, 1] * rows / h).astype(np.int64), 0, rows - 1)
    return len(np.unique(cy * cols + cx)) / (cols * rows)


def _median(values: list[float] | list[int]) -> float:
    return float(np.median(values)) if values else math.nan


def _median_of(parts: list[npt.NDArray[np.float32]]) -> float:
    values = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.median(values)) if len(values) else math.nan


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


# -- what the figures are called and which way is better -----------------------------------


@dataclass(frozen=True)
class Figure:
    """How a figure is shown: its field, a label, a short label (table headers), its format,
    and which way is better (+1 higher, -1 lower, 0 neither: more tracks or objects are not
    better in themselves)."""

    name: str
    label: str
    short: str
    fmt: str
    better: int


FIGURES = (
    Figure("live_tracks", "live tracks", "tracks", "{:.0f}", 0),
    Figure("lifetime_s", "track life s", "life s", "{:.2f}", +1),
    Figure("lost_per_s", "lost /s", "lost/s", "{:.1f}", -1),
    Figure("fb_error", "fb error px", "fb px", "{:.2g}", -1),
    Figure("still_noise", "still noise px/s", "noise", "{:.2g}", -1),
    Figure("objects", "objects", "objs", "{:.0f}", 0),
    Figure("id_changes", "id changes", "id chg", "{:.0f}", -1),
    Figure("object_life_s", "object life s", "obj s", "{:.2f}", +1),
    Figure("coverage", "coverage %", "cover%", "{:.0f}", +1),
)
assert {f.name for f in FIGURES} == {f.name for f in fields(TuningFigures)} - {
    "frames", "seconds"}


def shown(figures: TuningFigures | None, name: str) -> str:
    """One figure as text ('-' when there is none)."""
    if figures is None:
        return "-"
    value = float(getattr(figures, name))
    if not math.isfinite(value):
        return "-"
    fmt = next(f.fmt for f in FIGURES if f.name == name)
    return fmt.format(100 * value if name == "coverage" else value)


def verdict(figure: Figure, before: TuningFigures | None, now: TuningFigures | None) -> int:
    """+1 if `now` is better than `before` on this figure, -1 if worse, 0 if they read the
    same as shown, if neither way is better, or if either is missing."""
    if before is None or now is None or not figure.better:
        return 0
    a, b = float(getattr(before, figure.name)), float(getattr(now, figure.name))
    if not (math.isfinite(a) and math.isfinite(b)) or shown(before, figure.name) == shown(
            now, figure.name):
        return 0
    return figure.better if b > a else -figure.better


# -- objectives of `flowtop tune` ----------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """What `flowtop tune` ranks by: one figure and which way is better, then a tie-break."""

    name: str
    figure: str
    higher: bool
    tie: str
    tie_higher: bool
    help: str

    def key(self, figures: TuningFigures) -> tuple[bool, float, float]:
        """A sort key, best first; trials without the figure (NaN) go last."""
        value, tie = float(getattr(figures, self.figure)), float(getattr(figures, self.tie))
        return (not math.isfinite(value), -value if self.higher else value,
                (-tie if self.tie_higher else tie) if math.isfinite(tie) else math.inf)


OBJECTIVES = {o.name: o for o in (
    Objective("lifetime", "lifetime_s", True, "lost_per_s", False,
              "longest median track lifetime: points followed for long (ties: fewer lost "
              "per second)"),
    Objective("noise", "still_noise", False, "live_tracks", True,
              "lowest speed noise on still points: steady figures where nothing moves "
              "(ties: more live tracks)"),
    Objective("objects", "object_life_s", True, "id_changes", False,
              "longest median time an object keeps its id: objects neither broken up nor "
              "flickering (ties: fewer id changes)"),
    Objective("coverage", "coverage", True, "lost_per_s", False,
              "largest share of the frame's cells holding a live track (ties: fewer lost "
              "per second)"),
)}


def changed_keys(before: Params, after: Params) -> list[tuple[str, object, object]]:
    """(key, old value, new value) of each tracking parameter that differs, in schema order
    (preview and replay settings change nothing tracked)."""
    return [(key, before.get(key), after.get(key)) for key, _, _ in iter_specs()
            if key.split(".")[0] in TUNED_SECTIONS and before.get(key) != after.get(key)]
