"""`flowtop snapshot SOURCE`: one frame with its tracks, as half-block ANSI and/or a PNG."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from flowtop.tracker.config.modes import COLOR_MODES
from flowtop.tui.cli.options import at_least, parse_size, positive_float

DEFAULT_FRAME = 30  # a second of a 30 fps source: long enough for trails and speeds
PIPE_SIZE = (80, 24)  # cells when stdout is not a terminal


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("snapshot", parents=[common],
                       help="print one tracked frame as half-block ANSI, or save it as PNG",
                       description="Track SOURCE up to frame N (files and the demo as fast as "
                                   "possible), then print that frame with its tracks on stdout "
                                   "(half blocks; works in a pipe or a log) and/or write an "
                                   "annotated PNG.")
    p.add_argument("source", help="demo, camera index or /dev/videoN, file, URL or glob")
    p.add_argument("--frame", type=at_least(0), default=DEFAULT_FRAME, metavar="N",
                   help=f"show frame N, counted from 0 (default {DEFAULT_FRAME})")
    p.add_argument("--size", type=parse_size, default=None, metavar="COLSxROWS",
                   help="picture size in cells (default: the terminal's, or 80x24 when "
                        "stdout is not a terminal)")
    p.add_argument("--png", type=Path, metavar="FILE",
                   help="also write the frame, annotated at full resolution, as PNG")
    p.add_argument("--force", action="store_true", help="overwrite an existing --png")
    p.add_argument("--color", choices=("auto", *COLOR_MODES), default=None,
                   help="colour mode of the ANSI picture (default: preview.color; auto "
                        "follows TERM, COLORTERM and NO_COLOR)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print no ANSI picture (with --png)")
    p.add_argument("--fps", type=positive_float, default=None,
                   help="rate of the demo / image sequences")
    p.set_defaults(func=run)


def picture_size(requested: tuple[int, int] | None, tty: bool) -> tuple[int, int]:
    """Cells for the picture: as asked, else the terminal less a line for the prompt, else
    PIPE_SIZE."""
    if requested:
        return requested
    if not tty:
        return PIPE_SIZE
    cols, rows = shutil.get_terminal_size(PIPE_SIZE)
    return max(2, cols), max(1, rows - 1)


def run(args: argparse.Namespace) -> int:
    from flowtop.tracker.core.engine import Tracker
    from flowtop.tracker.errors import SourceError
    from flowtop.tracker.output.rows import check_output
    from flowtop.tracker.render.palette import resolve_mode
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.cli.options import params_from

    params = params_from(args)
    mode = resolve_mode(args.color or params.preview.color)
    if args.png:
        check_output(args.png, args.force, "--png")  # before the work, not after it
    cols, rows = picture_size(args.size, sys.stdout.isatty())
    source = open_source(args.source, paced=False, fps=args.fps)
    try:
        tracker = Tracker(params)
        state, frames = None, 0
        while frames <= args.frame:
            frame = source.read()
            if frame is None:
                break
            state, frames = tracker.update(frame), frames + 1
    finally:
        source.close()
    if state is None:
        raise SourceError(f"{args.source} gave no frame")
    if frames <= args.frame:
        print(f"flowtop: {args.source} ended before frame {args.frame}; showing frame "
              f"{state.index}", file=sys.stderr)
    if not args.quiet:
        from flowtop.tracker.render.ansi import cells_to_ansi
        from flowtop.tracker.render.cells import render_cells

        cells = render_cells(state.image, state, cols, rows)
        sys.stdout.write(cells_to_ansi(cells, mode))
        sys.stdout.flush()
    if args.png:
        from flowtop.tracker.output.video import write_png
        from flowtop.tracker.render.annotate import annotate

        write_png(args.png, annotate(state.image, state), args.force)
        h, w = state.image.shape[:2]
        print(f"wrote {args.png} ({w}x{h}, frame {state.index}, {state.live} live points)",
              file=sys.stderr)
    return 0
