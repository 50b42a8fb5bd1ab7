"""`flowtop record SOURCE --out FILE`: the annotated video, headless, with a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

from flowtop.tui.cli.options import at_least, positive_float


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("record", parents=[common], help="write the annotated video headless",
                       description="Track SOURCE and write every frame with its tracks, "
                                   "trails, speeds and objects drawn on it to a video (mp4v; "
                                   ".avi: MJPG) at the rate of the frames' timestamps, so "
                                   "it plays as long as the source lasted. Files run as fast "
                                   "as possible with a progress bar; cameras and streams run "
                                   "until --frames or Ctrl-C, which finishes the file.")
    p.add_argument("source", help="demo, camera index or /dev/videoN, file, URL or glob")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the video to write (.mp4, .m4v, .mov, .mkv: mp4v; .avi: MJPG)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--frames", type=at_least(0), default=0, metavar="N",
                   help="stop after N frames")
    p.add_argument("--fps", type=positive_float, default=None,
                   help="rate of the demo / image sequences (and so of their video)")
    p.add_argument("--no-trails", dest="trails", action="store_false",
                   help="draw points and labels without their trails")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import TextColumn

    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.errors import SourceError
    from flowtop.tracker.output.video import VideoRecorder, check_video_path
    from flowtop.tracker.render.annotate import annotate
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.options import params_from
    from flowtop.tui.cli.runloop import (
        StopSignals,
        frame_progress,
        frame_total,
        frames_until_stopped,
        log_source_events,
    )

    params = params_from(args)
    check_video_path(args.out, args.force)  # before opening a camera, not after
    err = Console(stderr=True)
    source = open_source(args.source, paced=False, fps=args.fps)
    log_source_events(source, err)
    tracker = Tracker(params)
    recorder = VideoRecorder(args.out, source.nominal_fps, args.force)
    signals = StopSignals()
    signals.install()
    started = time.perf_counter()
    try:
        with frame_progress(err, TextColumn("{task.fields[fps]:>6.1f} fps")) as progress:
            task = progress.add_task(f"{source.name} → {args.out.name}",
                                     total=frame_total(source, args.frames), fps=0.0)

            done = 0

            def more() -> bool:
                return not args.frames or done < args.frames

            for frame in frames_until_stopped(source, signals, more):
                state = tracker.update(frame)
                # at the frame's own time: the video lasts as long as the source did
                recorder.write(annotate(frame.image, state, trails=args.trails), frame.t)
                done += 1
                if done % 10 == 0:
                    rate = done / max(1e-9, time.perf_counter() - started)
                    progress.update(task, completed=done, fps=rate)
    except BaseException:
        recorder.discard()
        raise
    finally:
        source.close()
    path = recorder.close()
    seconds = time.perf_counter() - started
    if path is None:
        raise SourceError(f"{args.source} gave no frame; {args.out} was not written")
    w, h = recorder.size or (0, 0)
    summary = {"out": str(path), "frames": recorder.frames, "width": w, "height": h,
               "fps": round(recorder.fps, 3), "seconds": round(seconds, 2),
               "interrupted_by": signals.name or None}
    with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
        if signals.received:
            err.print(f"[yellow]interrupted[/] by {signals.name}: video finished")
        if args.json:
            sys.stdout.write(json.dumps(summary) + "\n")
        else:
            print(f"wrote {recorder.frames} frames ({w}x{h} at {recorder.fps:.4g} fps) to "
                  f"{path} in {seconds:.1f} s")
    return 0
