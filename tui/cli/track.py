"""`flowtop track SOURCE`: headless tracking to CSV/JSONL with a progress bar and a summary.

Rows reach their files at least every second, whole; a write that fails (a full disk, the
reader of a FIFO gone) ends the run with one line naming the file and the rows it kept.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import OutputError, WriteError
from flowtop.tui.cli.options import (
    SOURCE_HELP,
    at_least,
    check_roi,
    fps_arg,
    params_from,
    refuse_input_as_output,
    source_from,
)
from flowtop.tui.cli.stop import EXIT_INTERRUPTED

if TYPE_CHECKING:  # the command's work loads the engine and Rich only when it runs
    from rich.console import Console

    from flowtop.tracker.config.params import Params
    from flowtop.tracker.contracts import Source, TrackState
    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.output.rows import ObjectWriter, TrackWriter
    from flowtop.tui.cli.stop import StopSignals



def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Track a source without a UI. Files run as fast as possible; cameras and "
                     "streams run until Ctrl-C.")
    p.add_argument("source", nargs="?", default=None, help=SOURCE_HELP)
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write one row per live track per frame (.csv or .jsonl; a FIFO or "
                        "device takes CSV)")
    p.add_argument("--objects-out", type=Path, metavar="FILE",
                   help="write one row per moving object per frame (.csv or .jsonl)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing --out or --objects-out")
    p.add_argument("--frames", type=at_least(0), default=0, metavar="N",
                   help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="loop a video file")
    p.add_argument("--fps", type=fps_arg, default=None,
                   help="rate of the demo / image sequences")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse the outputs before a camera opens: a refused one must not cost a camera open,
    nor leave the other behind."""
    from flowtop.tracker.files.paths import check_output
    from flowtop.tracker.output.rows import check_row_path

    if args.out and args.objects_out and args.out.resolve() == args.objects_out.resolve():
        raise OutputError(f"--out and --objects-out are the same file: {args.out}")
    for path, flag in ((args.out, "--out"), (args.objects_out, "--objects-out")):
        if path:
            check_output(path, args.force, flag)
            check_row_path(path, flag)
            refuse_input_as_output(args.source, path, flag)


def run(args: argparse.Namespace) -> int:
    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.output.rows import ObjectWriter, TrackWriter
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.runloop import StderrConsole, log_source_events, say_stopped

    stop: StopSignals = args.stop
    params = params_from(args)
    args.source = source_from(args)  # the command line, $FLOWTOP_SOURCE or [source]
    check_outputs(args)
    err = StderrConsole()
    source = open_source(args.source, paced=False, loop=args.loop, fps=args.fps)
    outputs: list[TrackWriter | ObjectWriter] = []
    writer: TrackWriter | None = None
    objects_out: ObjectWriter | None = None
    try:
        check_roi(params, source)
        # objects cost a fifth to nearly a third of the LK step: group them only when reported
        run = Run(Tracker(params, group_objects=bool(args.objects_out) or params.trap.active))
        if source.auto_choice:
            err.print(f"source: {source.auto_choice}")
        log_source_events(source, err)
        # a FIFO waits for its reader here; a stop signal ends the wait
        writer = TrackWriter(args.out, args.force, cancelled=stop.stopped) if args.out else None
        outputs += [writer] if writer else []
        objects_out = (ObjectWriter(args.objects_out, args.force, cancelled=stop.stopped)
                       if args.objects_out else None)
        outputs += [objects_out] if objects_out else []
        with stop.deferred():  # the last frame's rows and the closing are never cut short
            failures = [run.frames(source, stop, args, err, writer, objects_out)]
            for out in outputs:
                try:
                    out.close()
                except WriteError as exc:
                    failures.append(exc)
    except BaseException:
        for out in outputs:  # refused or stopped before the run: what was opened, closed
            with contextlib.suppress(WriteError):
                out.close()
        raise
    finally:
        source.close()
    failure = joined([f for f in failures if f])
    if stop.received:
        say_stopped(err, stop.name, f"{failure}" if failure else "outputs closed")
    elif failure:
        raise failure
    report(run.summary(params), args, writer, objects_out)
    return EXIT_INTERRUPTED if stop.received else 0


def joined(failures: list[WriteError]) -> WriteError | None:
    """The write errors of both outputs (a full disk stops both) as one."""
    return WriteError("; ".join(str(f) for f in failures)) if failures else None


class Run:
    """The frames of one `track` run: the tracker, the counts, the last state."""

    def __init__(self, tracker: Tracker) -> None:
        from flowtop.tracker.runtime.stats import RunStats

        self.tracker = tracker
        self.stats = RunStats()
        self.object_ids: set[int] = set()
        self.last: TrackState | None = None

    def frames(self, source: Source, stop: StopSignals, args: argparse.Namespace,
               err: Console, writer: TrackWriter | None,
               objects_out: ObjectWriter | None) -> WriteError | None:
        """Track until the source ends, --frames, or a stop signal; the write error that
        ended the run early, if one did."""
        from rich.progress import TextColumn

        from flowtop.tracker.contracts import FrameRows
        from flowtop.tui.cli.runloop import frame_progress, frame_total, frames_until_stopped

        stats = self.stats

        def flush_during_outage() -> None:
            for out in (writer, objects_out):
                if out:
                    out.flush_due()

        def more() -> bool:
            return not args.frames or stats.frames < args.frames

        with frame_progress(err, TextColumn("{task.fields[fps]:>6.1f} fps"),
                            TextColumn("{task.fields[live]:>4} live")) as progress:
            task = progress.add_task(source.name, total=frame_total(source, args.frames),
                                     fps=0.0, live=0)
            try:
                for frame in frames_until_stopped(source, stop, more, flush_during_outage):
                    state = self.last = self.tracker.update(frame)
                    stats.add(state)
                    if writer:
                        writer.write(FrameRows.of(state))
                    if objects_out:
                        objects_out.write(state)
                    self.object_ids.update(o.id for o in state.objects)
                    if stats.frames % 10 == 0:
                        rate = stats.frames / max(1e-9, time.perf_counter() - stats.started)
                        progress.update(task, completed=stats.frames, fps=rate, live=state.live)
            except WriteError as exc:
                return exc
        return None

    def summary(self, params: Params) -> dict:
        summary = self.stats.summary()
        if self.tracker.group_objects:
            summary["objects"] = len(self.object_ids)
        if params.trap.active:
            summary["trap_passages"] = len(self.last.trap) if self.last is not None else 0
        return summary


def report(summary: dict, args: argparse.Namespace, writer: TrackWriter | None,
           objects_out: ObjectWriter | None = None) -> None:
    if writer:
        summary["out"] = str(writer.path)
        summary["rows"] = writer.rows.rows_out
    if objects_out:
        summary["objects_out"] = str(objects_out.path)
        summary["object_rows"] = objects_out.rows.rows_out
    if args.json:
        import json

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
    print("\n".join(lines))
