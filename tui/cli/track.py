"""`flowtop track SOURCE`: headless tracking to CSV/JSONL with a progress bar and a summary."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import OutputError
from flowtop.tui.cli.options import at_least, params_from, positive_float

if TYPE_CHECKING:  # the command's work loads the engine and Rich only when it runs
    from rich.console import Console

    from flowtop.tracker.contracts import TrackState
    from flowtop.tracker.output.rows import ObjectWriter, TrackWriter


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("track", parents=[common], help="track headless, write tracks to a file",
                       description="Track a source without a UI. Files run as fast as "
                                   "possible; cameras and streams run until Ctrl-C.")
    p.add_argument("source", help="demo, camera index or /dev/videoN, file, URL or glob")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write one row per live track per frame (.csv or .jsonl)")
    p.add_argument("--objects-out", type=Path, metavar="FILE",
                   help="write one row per moving object per frame (.csv or .jsonl)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing --out or --objects-out")
    p.add_argument("--frames", type=at_least(0), default=0, metavar="N",
                   help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="loop a video file")
    p.add_argument("--fps", type=positive_float, default=None,
                   help="rate of the demo / image sequences")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import TextColumn

    from flowtop.tracker.contracts import FrameRows
    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.output.rows import ObjectWriter, TrackWriter, check_output
    from flowtop.tracker.runtime.stats import RunStats
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.runloop import (
        StopSignals,
        frame_progress,
        frame_total,
        frames_until_stopped,
        log_source_events,
    )

    params = params_from(args)
    # outputs first: a refused one must not cost a camera open, nor leave the other behind
    if args.out and args.objects_out and args.out.resolve() == args.objects_out.resolve():
        raise OutputError(f"--out and --objects-out are the same file: {args.out}")
    for path, flag in ((args.out, "--out"), (args.objects_out, "--objects-out")):
        if path:
            check_output(path, args.force, flag)
    err = Console(stderr=True)
    source = open_source(args.source, paced=False, loop=args.loop, fps=args.fps)
    if source.auto_choice:
        err.print(f"source: {source.auto_choice}")
    # objects cost a quarter of the tracking time: group them only when they are reported
    tracker = Tracker(params, group_objects=bool(args.objects_out) or params.trap.active)
    stats = RunStats()
    log_source_events(source, err)
    signals = StopSignals()
    signals.install()
    with ExitStack() as stack:
        stack.callback(source.close)
        writer = TrackWriter(args.out, args.force) if args.out else None
        if writer:
            stack.callback(writer.close)
        objects_out = ObjectWriter(args.objects_out, args.force) if args.objects_out else None
        if objects_out:
            stack.callback(objects_out.close)
        object_ids: set[int] = set()
        last: TrackState | None = None
        progress = stack.enter_context(frame_progress(
            err, TextColumn("{task.fields[fps]:>6.1f} fps"),
            TextColumn("{task.fields[live]:>4} live")))
        task = progress.add_task(source.name, total=frame_total(source, args.frames),
                                 fps=0.0, live=0)

        def flush_during_outage() -> None:
            for out in (writer, objects_out):
                if out:
                    out.flush_due()

        def more() -> bool:
            return not args.frames or stats.frames < args.frames

        for frame in frames_until_stopped(source, signals, more, flush_during_outage):
            state = last = tracker.update(frame)
            stats.add(state)
            if writer:
                writer.write(FrameRows.of(state))
            if objects_out:
                objects_out.write(state)
            object_ids.update(o.id for o in state.objects)
            if stats.frames % 10 == 0:
                rate = stats.frames / max(1e-9, time.perf_counter() - stats.started)
                progress.update(task, completed=stats.frames, fps=rate, live=state.live)
    with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
        if signals.received:
            err.print(f"[yellow]interrupted[/] by {signals.name}: outputs closed")
        summary = stats.summary()
        if tracker.group_objects:
            summary["objects"] = len(object_ids)
        if params.trap.active:
            summary["trap_passages"] = len(last.trap) if last is not None else 0
        report(summary, args, err, writer, objects_out)
    return 0


def report(summary: dict, args: argparse.Namespace, err: Console,
           writer: TrackWriter | None, objects_out: ObjectWriter | None = None) -> None:
    if writer:
        summary["out"] = str(writer.path)
        summary["rows"] = writer.rows.rows
    if objects_out:
        summary["objects_out"] = str(objects_out.path)
        summary["object_rows"] = objects_out.rows.rows
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    speed = summary["median_moving_speed_px_s"]
    lines = [
        f"frames              {summary['frames']}",
        f"seconds             {summary['seconds']}",
        f"fps processed       {summary['fps']}",
        f"tracks created      {summary['tracks_created']}",
        f"median live tracks  {summary['median_live_tracks']}",
        f"median moving speed {'-' if speed is None else f'{speed} px/s'}",
    ]
    if "objects" in summary:
        lines.append(f"moving objects      {summary['objects']}")
    if "trap_passages" in summary:
        lines.append(f"trap passages       {summary['trap_passages']}")
    if writer:
        lines.append(f"wrote               {summary['rows']} rows to {summary['out']}")
    if objects_out:
        lines.append(f"wrote               {summary['object_rows']} object rows to "
                     f"{summary['objects_out']}")
    from rich.console import Console

    Console().print("\n".join(lines), highlight=False)
