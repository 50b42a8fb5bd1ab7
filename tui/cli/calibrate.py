"""`flowtop calibrate SOURCE --chessboard COLSxROWS --square METRES`: camera intrinsics.

Finds the chessboard in a video, an image glob or a camera (Ctrl-C ends a live capture), runs
`cv.calibrateCamera`, reports the RMS reprojection error and the views used, and writes an
OpenCV FileStorage file that `speed.intrinsics = FILE` loads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import OutputError, SourceError
from flowtop.tui.cli.options import at_least, parse_pattern, positive_float

if TYPE_CHECKING:  # the command's work loads OpenCV and Rich only when it runs
    from rich.console import Console

    from flowtop.tracker.calibration.chessboard import BoardFinder, CameraFit

SUFFIXES = (".yaml", ".yml", ".xml", ".json")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("calibrate", parents=[common], help="camera intrinsics from a chessboard",
                       description="Find a chessboard in a video, image glob or camera, fit "
                                   "the camera matrix and lens distortion, and write them for "
                                   "speed.intrinsics.")
    p.add_argument("source", help="video file, image glob ('shots/*.png') or camera")
    p.add_argument("--chessboard", required=True, type=pattern_arg, metavar="COLSxROWS",
                   help="inner corners per row and per column, e.g. 9x6")
    p.add_argument("--square", required=True, type=positive_float, metavar="METRES",
                   help="side of one square in metres")
    p.add_argument("--out", type=Path, default=Path("camera.yaml"), metavar="FILE",
                   help="calibration file to write (.yaml, .xml or .json; default camera.yaml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--every", type=at_least(1), default=1, metavar="N",
                   help="search every Nth frame only (long videos)")
    p.add_argument("--max-views", type=at_least(1), default=40, metavar="N",
                   help="calibrate from at most N views, spread over the source")
    p.add_argument("--frames", type=at_least(1), default=None, metavar="N",
                   help="stop after N frames (a camera runs until Ctrl-C otherwise)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def pattern_arg(text: str) -> tuple[int, int]:
    try:
        return parse_pattern(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_out(path: Path, force: bool) -> None:
    from flowtop.tracker.output.rows import check_output

    if path.suffix.lower() not in SUFFIXES:
        raise OutputError(f"--out {path}: the name must end in {', '.join(SUFFIXES)}")
    check_output(path, force)


def write_atomically(path: Path, fit: CameraFit, square: float,
                     pattern: tuple[int, int]) -> None:
    """Write beside `path`, then rename over it: a reader never sees half a file."""
    from flowtop.tracker.calibration.intrinsics import save_intrinsics

    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        save_intrinsics(tmp, fit.intrinsics, {
            "rms_reprojection_error_px": fit.rms, "views": len(fit.view_frames),
            "board_cols": pattern[0], "board_rows": pattern[1], "square_m": square})
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def find_views(args: argparse.Namespace, err: Console) -> BoardFinder:
    from rich.progress import TextColumn

    from flowtop.tracker.calibration.chessboard import BoardFinder
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.runloop import frame_progress, frame_total

    source = open_source(args.source, paced=False)
    finder = BoardFinder(args.chessboard)
    total = frame_total(source, args.frames)
    progress = frame_progress(err, TextColumn("{task.fields[views]} views"))
    read = 0
    try:
        with progress:
            task = progress.add_task(source.name, total=total, views=0)
            while args.frames is None or read < args.frames:
                frame = source.read()
                if frame is None:
                    break
                read += 1
                if (read - 1) % args.every == 0:
                    try:
                        finder.add(frame.index, frame.image)
                    except ValueError as exc:
                        raise SourceError(f"{args.source}: {exc}") from None
                progress.update(task, completed=read, views=len(finder.views))
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: calibrating from the views found so far")
    finally:
        source.close()
    return finder


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from flowtop.tracker.calibration.chessboard import fit_camera

    check_out(args.out, args.force)
    err = Console(stderr=True)
    finder = find_views(args, err)
    try:
        fit = fit_camera(finder, args.square, args.max_views)
    except ValueError as exc:
        raise SourceError(f"{args.source}: {exc}") from None
    write_atomically(args.out, fit, args.square, args.chessboard)
    report(fit, finder, args)
    return 0


def report(fit: CameraFit, finder: BoardFinder, args: argparse.Namespace) -> None:
    from rich.console import Console

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
    with contextlib.suppress(OSError):
        Console(soft_wrap=True).print("\n".join(lines), highlight=False, markup=False)
