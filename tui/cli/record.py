"""`flowtop record SOURCE --out FILE`: the annotated video, headless, with a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from flowtop.tui.cli.options import SOURCE_HELP, at_least, fps_arg, source_from


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Track SOURCE and write every frame with its tracks, trails, speeds and "
                     "objects drawn on it to a video (mp4v; .avi: MJPG) at the rate of the "
                     "frames' timestamps, so it plays as long as the source lasted. Files run as "
                     "fast as possible with a progress bar; cameras and streams run until "
                     "--frames or Ctrl-C, which finishes the file.")
    p.add_argument("source", nargs="?", default=None, help=SOURCE_HELP)
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the video to write (.mp4, .m4v, .mov, .mkv: mp4v; .avi: MJPG, frames "
                        "padded to at least 16x16)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--frames", type=at_least(0), default=0, metavar="N",
                   help="stop after N frames")
    p.add_argument("--fps", type=fps_arg, default=None,
                   help="rate of the demo / image sequences (and so of their video)")
    p.add_argument("--no-trails", dest="trails", action="store_false",
                   help="draw points and labels without their trails")
    p.add_argument("--all-tracks", action="store_true",
                   help="draw every track, static ones too, in a colour of its id (default: "
                        "moving tracks in their speed's colour)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import TextColumn

    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.errors import SourceError
    from flowtop.tracker.output.video import VideoRecorder, check_video_path
    from flowtop.tracker.redact import redact
    from flowtop.tracker.render.annotate import annotate
    from flowtop.tracker.render.scheme import SchemeStream
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.options import check_roi, params_from, refuse_input_as_output
    from flowtop.tui.cli.runloop import (
        StderrConsole,
        frame_progress,
        frame_total,
        frames_until_stopped,
        log_source_events,
        say_stopped,
    )
    from flowtop.tui.cli.stop import EXIT_INTERRUPTED, StopSignals

    stop: StopSignals = args.stop
    params = params_from(args)
    args.source = source_from(args)  # the command line, $FLOWTOP_SOURCE or [source]
    check_video_path(args.out, args.force)  # before opening a camera, not after
    refuse_input_as_output(args.source, args.out)
    err = StderrConsole()
    source = open_source(args.source, paced=False, fps=args.fps)
    started = time.perf_counter()
    try:
        check_roi(params, source)
        log_source_events(source, err)
        tracker = Tracker(params)
        schemes = SchemeStream(params.preview, args.all_tracks)
        recorder = VideoRecorder(args.out, source.nominal_fps, args.force)
        with stop.deferred():
            try:
                with frame_progress(err, TextColumn("{task.fields[fps]:>6.1f} fps")) as bar:
                    task = bar.add_task(f"{source.name} → {args.out.name}",
                                        total=frame_total(source, args.frames), fps=0.0)

                    done = 0

                    def more() -> bool:
                        return not args.frames or done < args.frames

                    for frame in frames_until_stopped(source, stop, more):
                        state = tracker.update(frame)
                        # at the frame's own time: the video lasts as long as the source did
                        recorder.write(annotate(frame.image, state, trails=args.trails,
                                                scheme=schemes(state)), frame.t)
                        done += 1
                        if done % 10 == 0:
                            rate = done / max(1e-9, time.perf_counter() - started)
                            bar.update(task, completed=done, fps=rate)
                source.close()
                path = recorder.close()
            except BaseException:
                recorder.discard()
                raise
    finally:
        source.close()
    seconds = time.perf_counter() - started
    if path is None:
        if stop.received:
            raise KeyboardInterrupt
        raise SourceError(f"{redact(args.source)} gave no frame; {args.out} was not written")
    w, h = recorder.size or (0, 0)
    summary = {"out": str(path), "frames": recorder.frames, "width": w, "height": h,
               "fps": round(recorder.fps, 3), "seconds": round(seconds, 2),
               "interrupted_by": stop.name or None}
    if stop.received:
        say_stopped(err, stop.name, "video finished")
    with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
        if recorder.size != recorder.source_size:
            sw, sh = recorder.source_size or (0, 0)
            err.print(f"flowtop: frames of {sw}x{sh} were padded to {w}x{h}: smaller ones "
                      f"crash the {recorder.fourcc} encoder", highlight=False)
    if args.json:
        import json

        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        print(f"wrote {recorder.frames} frames ({w}x{h} at {recorder.fps:.4g} fps) to "
              f"{path} in {seconds:.1f} s")
    return EXIT_INTERRUPTED if stop.received else 0
