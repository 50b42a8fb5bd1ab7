"""`flowtop tune SOURCE`: search parameters on a stretch of a source, headless, and rank them.

The first `--frames` frames are read once and kept (as the live view's rewind buffer keeps
them); every trial tracks exactly those frames with its own parameters, in parallel
processes, and the trials are ranked by the `--objective` figure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import ParamError, SourceError
from flowtop.tui.cli.options import (
    SOURCE_HELP,
    at_least,
    check_roi,
    fps_arg,
    params_from,
    refuse_input_as_output,
    source_from,
)

if TYPE_CHECKING:  # the command's work loads the engine and Rich only when it runs
    from rich.console import Console
    from rich.table import Table

    from flowtop.tracker.contracts import Frame, Source
    from flowtop.tracker.runtime.rewind import Clip
    from flowtop.tracker.runtime.search import TrialResult
    from flowtop.tracker.runtime.tuning import Objective
    from flowtop.tui.cli.stop import StopSignals

OBJECTIVE_NAMES = ("lifetime", "noise", "objects", "coverage")  # tracker.runtime.tuning's
DEFAULT_FRAMES = 300


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Track the same frames once per parameter set and rank the sets. "
                     "Objectives: lifetime (longest median track lifetime), noise (lowest speed "
                     "noise on still points), objects (longest median time an object keeps its "
                     "id), coverage (largest share of the frame holding tracks).")
    p.add_argument("source", nargs="?", default=None,
                   help=SOURCE_HELP + "; a camera or stream gives its next frames")
    p.add_argument("--objective", required=True, choices=OBJECTIVE_NAMES,
                   help="the figure that ranks the trials")
    p.add_argument("--search", action="append", default=[], metavar="SECTION.KEY=V1,V2,...",
                   help="values to try for one parameter (repeatable; every combination)")
    p.add_argument("--trials", type=at_least(1), default=0, metavar="K",
                   help="try K combinations drawn at random instead of all of them")
    p.add_argument("--seed", type=int, default=0, help="seed of the random draw")
    p.add_argument("--frames", type=at_least(2), default=DEFAULT_FRAMES, metavar="N",
                   help=f"frames tracked per trial, from the start (default {DEFAULT_FRAMES})")
    p.add_argument("--jobs", type=at_least(1), default=0, metavar="J",
                   help="trials run at once, each in its own process (default: one per core)")
    p.add_argument("--fps", type=fps_arg, default=None,
                   help="rate of the demo / image sequences")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write the best parameters as a config file (for --config)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--json", action="store_true", help="print the ranked trials as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import TextColumn

    from flowtop.tracker.config.files import save_params
    from flowtop.tracker.files.paths import check_output
    from flowtop.tracker.redact import redact
    from flowtop.tracker.runtime.search import Axis, make_trials, ranked, run_trials
    from flowtop.tracker.runtime.tuning import OBJECTIVES
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.runloop import StderrConsole, frame_progress

    params = params_from(args)
    args.source = source_from(args)  # the command line, $FLOWTOP_SOURCE or [source]
    objective = OBJECTIVES[args.objective]
    axes = [Axis.parse(text) for text in args.search]
    keys = [a.key for a in axes]
    if len(set(keys)) < len(keys):
        raise ParamError(f"--search names a key twice: {', '.join(keys)}")
    if args.out:
        check_output(args.out, args.force, "--out")
        refuse_input_as_output(args.source, args.out)
    trials = make_trials(params, axes, args.trials, args.seed)
    err = StderrConsole()
    source = open_source(args.source, paced=False, fps=args.fps)
    try:
        check_roi(params, source)
        if source.auto_choice:
            err.print(f"source: {source.auto_choice}")
        clip = read_clip(source, args.frames, params.replay.quality, args.stop, err)
    finally:
        source.close()
    if len(clip) < 2:
        raise SourceError(f"{redact(args.source)} gave {len(clip)} frame(s): too few to tune "
                          f"on")
    jobs = args.jobs or min(os.cpu_count() or 1, len(trials))
    results = []
    with frame_progress(err, TextColumn("{task.fields[best]}")) as progress:
        task = progress.add_task(f"{len(trials)} trials × {len(clip)} frames",
                                 total=len(trials), best="")
        for result in run_trials(clip, trials, jobs):
            results.append(result)
            best = ranked(results, objective)[0]
            progress.update(task, advance=1, best=f"best so far: {name_of(best)}")
    order = ranked(results, objective)
    if args.out:
        with args.stop.deferred():  # the config is written whole, or not at all
            save_params(order[0].trial.params, args.out)
    if args.json:
        import json

        sys.stdout.write(json.dumps(as_json(order, objective, clip.seconds)) + "\n")
        return 0
    out = Console()
    out.print(f"objective: [bold]{objective.name}[/] — {objective.help}", highlight=False)
    plural = "s" if len(trials) > 1 else ""
    out.print(f"{len(clip)} frames ({clip.seconds:.1f} s) of {redact(source.name)}, "
              f"{len(trials)} trial{plural}, {jobs} at once", highlight=False)
    ranking, left_out = table(order, objective, keys, out.width)
    out.print(ranking)
    if left_out:
        out.print(f"[dim]left out for want of width: {', '.join(left_out)} (--json has every "
                  f"figure)[/]", highlight=False)
    if args.out:
        out.print(f"wrote the best parameters ({name_of(order[0])}) to {args.out}; "
                  f"use them with --config {args.out}", highlight=False)
    return 0


def read_clip(source: Source, frames: int, quality: int, stop: StopSignals, err: Console
              ) -> Clip:
    """The first `frames` frames of `source`, kept as the rewind buffer keeps them (JPEG at
    `quality`), with a progress bar. A stop signal ends the command (exit code 130), and so
    does one during the trials after."""
    from flowtop.tracker.redact import redact
    from flowtop.tracker.runtime.rewind import record_clip
    from flowtop.tui.cli.runloop import frame_progress, frames_until_stopped

    read: list[Frame] = []
    with frame_progress(err) as progress:
        task = progress.add_task(f"reading {redact(source.name)}", total=frames)
        for frame in frames_until_stopped(source, stop, lambda: len(read) < frames):
            read.append(frame)
            progress.advance(task)
    stop.armed = True  # the trials keep nothing half-done: a stop ends them at once
    if stop.received:
        raise KeyboardInterrupt
    return record_clip(read, quality)


def table(order: list[TrialResult], objective: Objective, keys: list[str], width: int
          ) -> tuple[Table, list[str]]:
    """The trials, best first: trial number (`base`: the parameters given), the searched
    values, then the figures, the objective's first and bold; and the figures left out so
    that the table fits `width` (whole columns go, from the last, never digits)."""
    from rich.table import Table

    from flowtop.tracker.runtime.tuning import FIGURES, shown

    figures = sorted(FIGURES, key=lambda f: f.name != objective.figure)
    heads = ["#", *(key.split(".")[1].replace("_", "\n") for key in keys),  # a word a line
             *(f.short for f in figures)]
    rows = [[name_of(r).lstrip("#"),
             *(str(v) for _, v in r.trial.values),
             *(shown(r.figures, f.name) for f in figures)] for r in order]
    sizes = [max(len(line) for cell in (head, *(row[i] for row in rows))
                 for line in cell.split("\n")) for i, head in enumerate(heads)]
    shown_figures = len(figures)
    while shown_figures > 1 and sum(sizes[:len(sizes) - len(figures) + shown_figures]) + len(
            sizes) - len(figures) + shown_figures > width:
        shown_figures -= 1
    columns = len(heads) - len(figures) + shown_figures
    t = Table(box=None, padding=(0, 0, 0, 1), header_style="bold", pad_edge=False)
    for i, head in enumerate(heads[:columns]):
        bold = i == len(keys) + 1
        t.add_column(head, justify="right", no_wrap=True, style="bold" if bold else "")
    for row in rows:
        t.add_row(*row[:columns])
    return t, [f.short for f in figures[shown_figures:]]


def name_of(result: TrialResult) -> str:
    """'#3', or 'base' for the parameters given."""
    return f"#{result.trial.number}" if result.trial.number else "base"

def as_json(order: list[TrialResult], objective: Objective, seconds: float) -> dict:
    from dataclasses import asdict

    return {"objective": objective.name, "seconds": seconds, "trials": [
        {"rank": rank, "trial": r.trial.number, "values": dict(r.trial.values),
         "figures": {k: _finite(v) for k, v in asdict(r.figures).items()}}
        for rank, r in enumerate(order, 1)]}


def _finite(value: float) -> float | None:
    import math

    return value if math.isfinite(value) else None
