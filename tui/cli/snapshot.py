"""`flowtop snapshot SOURCE`: one frame with its tracks, as half-block ANSI and/or a PNG."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from flowtop.tracker.config.modes import COLOR_MODES
from flowtop.tui.cli.options import SOURCE_HELP, at_least, fps_arg, parse_size

DEFAULT_FRAME = 30  # a second of a 30 fps source: long enough for trails and speeds
PIPE_SIZE = (80, 24)  # cells when stdout is not a terminal


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Track SOURCE up to frame N (files and the demo as fast as possible), then "
                     "print that frame with its tracks on stdout (half blocks; works in a pipe "
                     "or a log) and/or write an annotated PNG.")
    p.add_argument("source", nargs="?", default=None, help=SOURCE_HELP)
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
                        "follows NO_COLOR, TERM and COLORTERM, and asks the terminal "
                        "when COLORTERM is absent)")
    p.add_argument("--all-tracks", action="store_true",
                   help="draw every track, static ones too, in a colour of its id (default: "
                        "moving tracks in their speed's colour)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print no ANSI picture (with --png)")
    p.add_argument("--fps", type=fps_arg, default=None,
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
    from flowtop.tracker.errors import OutputError, SourceError
    from flowtop.tracker.files.paths import check_output, is_special
    from flowtop.tracker.redact import redact
    from flowtop.tracker.render.palette import resolve_mode
    from flowtop.tracker.render.scheme import SchemeStream
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.app.colour_probe import drop_late_answers, terminal_truecolor
    from flowtop.tui.cli.options import (
        check_roi,
        params_from,
        refuse_input_as_output,
        source_from,
    )

    params = params_from(args)
    color = args.color or params.preview.color
    mode = resolve_mode(color, truecolor=terminal_truecolor() if color == "auto" else None)
    spec = source_from(args)
    if args.png:  # before the work, not after it
        if args.png.suffix.lower() != ".png" and not is_special(args.png):
            raise OutputError(f"--png {args.png}: the name must end in .png")
        check_output(args.png, args.force, "--png")
        refuse_input_as_output(spec, args.png, "--png")
    cols, rows = picture_size(args.size, sys.stdout.isatty())
    source = open_source(spec, paced=False, fps=args.fps)
    try:
        check_roi(params, source)
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
        raise SourceError(f"{redact(spec)} gave no frame")
    if frames <= args.frame:
        print(f"flowtop: {redact(spec)} ended before frame {args.frame}; showing frame "
              f"{state.index}", file=sys.stderr)
    scheme = SchemeStream(params.preview, args.all_tracks)(state)
    if not args.quiet:
        from flowtop.tracker.render.ansi import cells_to_ansi
        from flowtop.tracker.render.cells import render_cells

        cells = render_cells(state.image, state, cols, rows, scheme=scheme)
        sys.stdout.write(cells_to_ansi(cells, mode))
        sys.stdout.flush()
    if color == "auto":
        drop_late_answers()  # a terminal answer after the timeout is not for the shell
    if args.png:
        from flowtop.tracker.output.video import write_png
        from flowtop.tracker.render.annotate import annotate

        write_png(args.png, annotate(state.image, state, scheme=scheme), args.force)
        h, w = state.image.shape[:2]
        print(f"wrote {args.png} ({w}x{h}, frame {state.index}, {state.live} live points)",
              file=sys.stderr)
    return 0
