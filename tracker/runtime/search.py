"""A search over parameters on one stretch of frames: trials made, run in processes, ranked.

`make_trials(base, axes)` crosses the values of each `Axis` (every combination, or `count`
drawn at random), with the base set first; `run_trials(clip, trials, jobs)` tracks the clip
once per trial with a fresh `Tracker` and yields each trial's `TuningFigures` as it
finishes, in `jobs` processes (trials are independent: with free cores they run side by
side, each process on one OpenCV thread); `ranked` orders them by an `tuning.Objective`.
Every trial sees the same decoded frames, so the figures differ only by the parameters, and
a trial gives the same figures in any process.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import cv2

from flowtop.tracker.config.fields import kind_of
from flowtop.tracker.config.params import Params, field_of, parse_text
from flowtop.tracker.contracts import TuningFigures
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import ParamError
from flowtop.tracker.runtime.replay import tracked_key
from flowtop.tracker.runtime.rewind import Clip
from flowtop.tracker.runtime.tuning import TUNED_SECTIONS, FigureCounter, Objective


@dataclass(frozen=True)
class Axis:
    """One parameter searched, and the values to try (checked against the schema)."""

    key: str
    values: tuple[Any, ...]

    @classmethod
    def parse(cls, text: str) -> Axis:
        """'lk.win_size=9,15,21' -> Axis('lk.win_size', (9, 15, 21)); ParamError if a key
        or a value is refused."""
        key, sep, listed = text.partition("=")
        key = key.strip()
        if not sep or not listed.strip():
            raise ParamError(f"--search {text!r}: expected section.key=v1,v2,...")
        if key.split(".")[0] not in TUNED_SECTIONS:
            raise ParamError(f"--search {key}: only tracking parameters can be searched "
                             f"({', '.join(TUNED_SECTIONS)})")
        if kind_of(field_of(key)) is list:
            raise ParamError(f"--search {key}: a list parameter cannot be searched")
        values: list[Any] = []
        for item in listed.split(","):
            value = parse_text(key, item)
            Params().with_value(key, value)  # in range, one of the choices
            if value not in values:
                values.append(value)
        return cls(key, tuple(values))


@dataclass(frozen=True)
class Trial:
    """One parameter set to try: its number (0 = the base set), the set, and the values of
    the searched keys."""

    number: int
    params: Params
    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class TrialResult:
    trial: Trial
    figures: TuningFigures


def make_trials(base: Params, axes: Sequence[Axis], count: int = 0,
                seed: int = 0) -> list[Trial]:
    """The base set, then every combination of the axes' values (a grid), or `count` of
    them drawn at random (seeded: the same draw every time). Sets equal to one already
    listed are left out."""
    sizes = [len(a.values) for a in axes]
    total = math.prod(sizes) if axes else 0
    picks: Sequence[int] = range(total)
    if 0 < count < total:
        picks = sorted(random.Random(seed).sample(range(total), count))
    trials = [Trial(0, base, tuple((a.key, base.get(a.key)) for a in axes))]
    seen = {tracked_key(base)}
    for pick in picks:
        values, rest = [], pick
        for axis, size in zip(reversed(axes), reversed(sizes)):  # pick as a mixed-radix number
            rest, digit = divmod(rest, size)
            values.append((axis.key, axis.values[digit]))
        values.reverse()
        params = base
        for key, value in values:
            params = params.with_value(key, value)
        if tracked_key(params) not in seen:
            seen.add(tracked_key(params))
            trials.append(Trial(len(trials), params, tuple(values)))
    return trials


def track_clip(clip: Clip, params: Params) -> TuningFigures:
    """Track every frame of `clip` with a fresh tracker and `params`; the pass's figures."""
    tracker, counter = Tracker(params), FigureCounter()
    for i, entry in enumerate(clip):
        counter.add(tracker.update(entry.decode(restart=i == 0)))
    return counter.figures()


_WORKER: dict[str, Clip] = {}  # a worker process's copy of the clip, from `_worker_start`


def _worker_start(clip: Clip) -> None:
    _WORKER["clip"] = clip
    cv2.setNumThreads(1)  # one core per process: the processes share them out
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers


def _worker_trial(job: tuple[int, Params]) -> tuple[int, TuningFigures]:
    index, params = job
    return index, track_clip(_WORKER["clip"], params)


def run_trials(clip: Clip, trials: Sequence[Trial], jobs: int = 1
               ) -> Iterator[TrialResult]:
    """Each trial's figures, as trials finish; `jobs` > 1 runs them in that many processes,
    started fresh rather than forked from a process that runs threads. Leaving early (an
    exception, a stop signal, the caller closing the iterator) ends the workers at once."""
    if jobs <= 1 or len(trials) <= 1:
        for trial in trials:
            yield TrialResult(trial, track_clip(clip, trial.params))
        return
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(min(jobs, len(trials)), _worker_start, (clip,))
    try:
        work = [(i, t.params) for i, t in enumerate(trials)]
        for index, figures in pool.imap_unordered(_worker_trial, work):
            yield TrialResult(trials[index], figures)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def ranked(results: Sequence[TrialResult], objective: Objective) -> list[TrialResult]:
    """Best first by the objective (its tie-break next, then the trial's number)."""
    return sorted(results, key=lambda r: (*objective.key(r.figures), r.trial.number))

