"""`flowtop calibrate SOURCE --chessboard COLSxROWS --square METRES`: camera intrinsics.

Finds the chessboard in a video, an image glob or a camera (Ctrl-C ends a live capture), runs
`cv.calibrateCamera`, reports the RMS reprojection error and the views used, and writes an
OpenCV FileStorage file that `speed.intrinsics = FILE` loads, whole or not at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import OutputError, SourceError
from flowtop.tui.cli.options import (
    at_least,
    number_in,
    params_from,
    parse_pattern,
    refuse_input_as_output,
    source_from,
)
from flowtop.tui.cli.stop import EXIT_INTERRUPTED

if TYPE_CHECKING:  # the command's work loads OpenCV and Rich only when it runs
    from rich.console import Console

    from flowtop.tracker.calibration.chessboard import BoardFinder, CameraFit
    from flowtop.tui.cli.stop import StopSignals

SUFFIXES = (".yaml", ".yml", ".xml", ".json")
MIN_VIEWS = 3  # tracker.calibration.chessboard.MIN_VIEWS, without loading OpenCV for --help
MAX_SQUARE_M = 10.0


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Find a chessboard in a video, image glob or camera, fit the camera matrix "
                     "and lens distortion, and write them for speed.intrinsics.")
    p.add_argument("source", nargs="?", default=None,
                   help="video file, image glob ('shots/*.png') or camera (default: "
                        "$FLOWTOP_SOURCE, else the config's [source] url)")
    p.add_argument("--chessboard", required=True, type=pattern_arg, metavar="COLSxROWS",
                   help="inner corners per row and per column, e.g. 9x6")
    p.add_argument("--square", required=True, type=number_in(0, MAX_SQUARE_M, lo_open=True),
                   metavar="METRES", help="side of one square in metres")
    p.add_argument("--out", type=Path, default=Path("camera.yaml"), metavar="FILE",
                   help="calibration file to write (.yaml, .xml or .json; default camera.yaml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--every", type=at_least(1), default=1, metavar="N",
                   help="search every Nth frame only (long videos)")
    p.add_argument("--max-views", type=at_least(MIN_VIEWS), default=40, metavar="N",
                   help=f"calibrate from at most N views (at least {MIN_VIEWS}), spread over "
                        f"the source")
    p.add_argument("--frames", type=at_least(1), default=None, metavar="N",
                   help="stop after N frames (a camera runs until Ctrl-C otherwise)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def pattern_arg(text: str) -> tuple[int, int]:
    try:
        return parse_pattern(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def find_views(args: argparse.Namespace, err: Console) -> BoardFinder:
    """Search the source for the board until it ends, --frames, or a stop signal (which ends
    a live capture: the views found so far are used)."""
    from rich.progress import TextColumn

    from flowtop.tracker.calibration.chessboard import BoardFinder
    from flowtop.tracker.redact import redact
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.runloop import (
        frame_progress,
        frame_total,
        frames_until_stopped,
        say_stopped,
    )

    stop: StopSignals = args.stop
    source = open_source(args.source, paced=False)
    finder = BoardFinder(args.chessboard)
    progress = frame_progress(err, TextColumn("{task.fields[views]} views"))
    read = 0

    def more() -> bool:
        return args.frames is None or read < args.frames

    try:
        with stop.deferred(), progress:
            task = progress.add_task(source.name, total=frame_total(source, args.frames),
                                     views=0)
            for frame in frames_until_stopped(source, stop, more):
                read += 1
                if (read - 1) % args.every == 0:
                    try:
                        finder.add(frame.index, frame.image)
                    except ValueError as exc:
                        raise SourceError(f"{redact(args.source)}: {exc}") from None
                progress.update(task, completed=read, views=len(finder.views))
    finally:
        source.close()
    if stop.received:
        say_stopped(err, stop.name, f"calibrating from the {len(finder.views)} views found "
                                    f"so far")
    return finder


def run(args: argparse.Namespace) -> int:
    from flowtop.tracker.calibration.chessboard import fit_camera
    from flowtop.tracker.calibration.intrinsics import encode_intrinsics
    from flowtop.tracker.files.atomic import AtomicFile
    from flowtop.tracker.redact import redact
    from flowtop.tui.cli.runloop import StderrConsole

    stop: StopSignals = args.stop
    params_from(args)  # a broken config is reported here as by every command
    args.source = source_from(args)  # the command line, $FLOWTOP_SOURCE or [source]
    suffix = args.out.suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(f"--out {args.out}: the name must end in {', '.join(SUFFIXES)}")
    refuse_input_as_output(args.source, args.out)
    with AtomicFile(args.out, args.force) as out:  # an unwritable folder: refused here
        err = StderrConsole()
        finder = find_views(args, err)
        with stop.deferred():
            try:
                fit = fit_camera(finder, args.square, args.max_views)
            except ValueError as exc:
                raise SourceError(f"{redact(args.source)}: {exc}") from None
            out.write(encode_intrinsics(fit.intrinsics, suffix, {
                "rms_reprojection_error_px": fit.rms, "views": len(fit.view_frames),
                "board_cols": args.chessboard[0], "board_rows": args.chessboard[1],
                "square_m": args.square}))
            out.commit()
    report(fit, finder, args)
    return EXIT_INTERRUPTED if stop.received else 0


def report(fit: CameraFit, finder: BoardFinder, args: argparse.Namespace) -> None:
    k, d = fit.intrinsics.camera_matrix, fit.intrinsics.dist_coeffs
    worst = max(range(len(fit.view_errors)), key=fit.view_errors.__getitem__)
    summary = {
        "frames": finder.frames, "board_found": finder.found, "views": len(fit.view_frames),
        "view_frames": list(fit.view_frames), "rms_px": round(fit.rms, 4),
        "worst_view": {"frame": fit.view_frames[worst],
                       "rms_px": round(fit.view_errors[worst], 4)},
        "fx": k[0, 0], "fy": k[1, 1], "cx": k[0, 2], "cy": k[1, 2],
        "distortion": [float(v) for v in d], "size": list(finder.size or ()),
        "out": str(args.out),
    }
    if args.json:
        import json

        sys.stdout.write(json.dumps(summary) + "\n")
        return
    frames = ", ".join(str(i) for i in fit.view_frames[:12])
    if len(fit.view_frames) > 12:
        frames += ", ..."
    lines = [
        f"frames searched     {finder.frames} (board found in {finder.found})",
        f"views used          {len(fit.view_frames)} (frames {frames})",
        f"RMS reprojection    {fit.rms:.3f} px (worst view: frame "
        f"{fit.view_frames[worst]}, {fit.view_errors[worst]:.3f} px)",
        f"focal length        fx {k[0, 0]:.2f}  fy {k[1, 1]:.2f} px",
        f"principal point     cx {k[0, 2]:.2f}  cy {k[1, 2]:.2f} px",
        f"distortion          {' '.join(f'{v:.5g}' for v in d)}",
        f"wrote               {args.out}",
        f"use it              --set speed.intrinsics={args.out} --set speed.distance=METRES",
    ]
    print("\n".join(lines))
