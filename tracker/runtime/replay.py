"""Replay while tuning: a frozen stretch of the source looped through a fresh tracker per pass.

`ReplaySession(clip, params)` plays the clip frame by frame (`advance`), each pass from its
first frame with a new `Tracker`, so a pass with the same parameters gives the same tracks
every time. A change of tracking parameters starts the pass again from the loop's start:
the next frames show its effect on the same footage. While paused, `back` steps to the
previous frame (states of the recent frames are kept, images left out; further back the
pass is tracked again from its start, unshown) and `advance` to the next one.

After each whole pass the session keeps its figures (`tuning.FigureCounter`) for its
parameters; `report()` holds the last pass with the parameters in use and the last one with
the set before (A/B). Passes are deterministic, so a set seen before shows its figures at
once. A pass touched by a manual command (reseed, clear, a point added) is not counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import PassResult, TrackState, TuningReport, frozen
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.runtime.rewind import MB, Clip, ClipSource
from flowtop.tracker.runtime.tuning import TUNED_SECTIONS, FigureCounter

KEEP_MB = 32.0  # states kept for stepping back (about 10 s of 500 tracks)
RESULTS_KEPT = 32  # parameter sets whose figures are remembered
NO_IMAGE = frozen(np.zeros((0, 0, 3), np.uint8))


@dataclass(frozen=True)
class Shown:
    """A state to show, and whether it was tracked just now (False: a kept one again)."""

    state: TrackState
    fresh: bool


def tracked_key(params: Params) -> str:
    """What identifies a parameter set's tracking: its tracking sections, as text."""
    return repr(tuple(getattr(params, name) for name in TUNED_SECTIONS))


class ReplaySession:
    """Loops `clip` through the tracker; see the module docstring. One thread uses it."""

    def __init__(self, clip: Clip, params: Params, paced: bool = True,
                 keep_mb: float = KEEP_MB,
                 between_stages: Callable[[], None] = lambda: None) -> None:
        self.clip, self.params, self.paced = clip, params, paced
        self.between_stages = between_stages  # each pass's tracker calls it (`Tracker`)
        self.source = ClipSource(clip, paced=False)  # paced here: kept states are too
        self.keep_bytes = keep_mb * MB
        self.number = 0  # the pass now running, from 1
        # each pass's own, set by `_new_pass`
        self.tracker: Tracker
        self.touched: bool  # a manual command changed this pass
        self.frontier: int  # the last frame tracked in this pass
        self.cursor: int  # the frame shown last
        self._target: int  # tracking ahead, unshown, up to this frame
        self._counter: FigureCounter
        self._kept: deque[TrackState]  # states of frames frontier - len + 1 .. frontier
        self._kept_bytes: int
        self._results: dict[str, PassResult] = {}
        self._used: list[str] = [tracked_key(params)]  # sets in the order they were used
        self._new_pass()

    # -- moving through the clip -----------------------------------------------------------

    def advance(self) -> Shown:
        """The next frame: a kept state again, or the next frame tracked; after the last
        frame, the first of a new pass."""
        nxt = self.cursor + 1
        if nxt >= len(self.clip):
            self._new_pass()
            nxt = 0
        if nxt <= self.frontier:
            self.cursor = nxt
            state = self._kept_state(nxt)
            self._pace(state.t)
            return Shown(state, fresh=False)
        return Shown(self._track_next(pace=True), fresh=True)

    def back(self, frames: int = 1) -> Shown | None:
        """Step back `frames` frames: the kept state, or None while the pass is tracked
        again from its start up to there (`catching_up`)."""
        target = max(0, self.cursor - frames)
        if target == self.cursor:
            return None
        if self._kept_from() <= target:
            self.cursor = target
            return Shown(self._kept_state(target), fresh=False)
        self.hold_at(target)
        return None

    def hold_at(self, frame: int) -> None:
        """Start the pass again and track it, unshown, up to `frame` (`catch_up`)."""
        self._new_pass()
        self._target = max(0, min(frame, len(self.clip) - 1))

    @property
    def catching_up(self) -> bool:
        return self._target > self.frontier

    @property
    def target(self) -> int:
        return self._target

    def catch_up(self) -> Shown | None:
        """Track one more frame toward the target; the state once there, else None."""
        state = self._track_next(pace=False)
        if self.frontier >= self._target:
            self._target = -1
            return Shown(state, fresh=True)
        return None

    def resync(self) -> None:
        """Restart real-time pacing from the next frame (after a pause)."""
        self.source.resync()

    # -- parameters and figures ------------------------------------------------------------

    def set_params(self, params: Params, hold: bool) -> bool:
        """Use `params`. A change of tracking starts the pass again: from the loop's start,
        or, when `hold` (paused), tracked again up to the frame on show. True if it did."""
        old, self.params = self.params, params
        key = tracked_key(params)
        if key == tracked_key(old):
            self.tracker.params = params
            return False
        self._used = [*(k for k in self._used if k != key), key][-RESULTS_KEPT:]
        if hold:
            self.hold_at(max(self.cursor, 0))
        else:
            self._new_pass()
        return True

    def report(self, replaying: bool = True) -> TuningReport:
        """A/B: the last whole pass with the parameters in use, and with the set before."""
        now = tracked_key(self.params)
        before = next((self._results[k] for k in reversed(self._used)
                       if k != now and k in self._results), None)
        progress = (self.frontier + 1) / len(self.clip)
        return TuningReport(self._results.get(now), before, progress, len(self.clip),
                            self.clip.seconds, replaying)

    # -- inside ----------------------------------------------------------------------------

    def _new_pass(self) -> None:
        self.number += 1
        self.tracker = Tracker(self.params)
        self.tracker.between_stages = self.between_stages
        self.touched = False
        self.frontier = self.cursor = self._target = -1
        self._counter = FigureCounter()
        self._kept = deque()
        self._kept_bytes = 0
        self.source.seek(0)

    def _track_next(self, pace: bool) -> TrackState:
        frame = self.source.read()
        assert frame is not None  # a looping clip source always has a next frame
        if pace:
            self._pace(frame.t)
        state = self.tracker.update(frame)
        self.frontier = self.cursor = self.source.position - 1
        self._counter.add(state)
        self._keep(state)
        if self.frontier == len(self.clip) - 1 and not self.touched:
            key = tracked_key(self.params)
            self._results[key] = PassResult(self.params, self._counter.figures(), self.number)
            if key not in self._used:
                self._used.append(key)
            for old in list(self._results)[:-RESULTS_KEPT]:
                del self._results[old]
        return state

    def _pace(self, t: float) -> None:
        if self.paced:
            self.source.pace(t)

    def _keep(self, state: TrackState) -> None:
        kept = replace(state, image=NO_IMAGE)
        self._kept.append(kept)
        self._kept_bytes += _nbytes(kept)
        while len(self._kept) > 1 and self._kept_bytes > self.keep_bytes:
            self._kept_bytes -= _nbytes(self._kept.popleft())

    def _kept_from(self) -> int:
        """The first frame whose state is kept."""
        return self.frontier - len(self._kept) + 1

    def _kept_state(self, i: int) -> TrackState:
        state = self._kept[i - self._kept_from()]
        return replace(state, image=frozen(self.clip[i].decode().image))


def _nbytes(state: TrackState) -> int:
    return sum(getattr(state, name).nbytes for name in (
        "ids", "pts", "vel", "speed", "age", "fb_error", "trails", "trail_len", "speed_world"))
