"""Command-line options shared by `flowtop` and its subcommands, each parsed with its bounds
before any conversion that could overflow or allocate (a 400-digit --fps, a 100000x100000
--size). The engine loads only when a command runs."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.errors import OutputError, ParamError

if TYPE_CHECKING:
    from flowtop.tracker.config.params import Params
    from flowtop.tracker.contracts import Source

FPS_RANGE = (0.001, 1000.0)  # frames per second a user may ask of a source
MAX_CELLS = (1000, 1000)  # columns, rows of a picture in terminal cells
PATTERN_RANGE = (3, 100)  # a chessboard's inner corners per side (OpenCV needs 3 or more)
NUMBER_CHARS = 40  # a number given on the command line is at most this long


def add_common_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """--config and --set, accepted before or after the command name.

    Subcommands leave them unset unless given (SUPPRESS), so they do not erase the values
    given before the command name.
    """
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", type=Path, metavar="FILE", default=default,
                        help="TOML config (default: the user's config dir)")
    parser.add_argument("--set", dest="overrides", action="append",
                        default=[] if top else argparse.SUPPRESS,
                        metavar="SECTION.KEY=VALUE", help="override one parameter (repeatable)")


def params_from(args: argparse.Namespace) -> Params:
    """The parameters of the config file (or the default one) with the --set overrides."""
    from flowtop.tracker.config.files import load_params

    return load_params(args.config, args.overrides)


def quoted(text: str) -> str:
    """`repr(text)` shortened for a message: a 5000-digit argument is not echoed whole."""
    shown = repr(text)
    return shown if len(shown) <= NUMBER_CHARS else f"{shown[:NUMBER_CHARS - 16]}... " \
                                                    f"({len(text)} characters)"


def _number_text(text: str, what: str) -> str:
    if len(text.strip()) > NUMBER_CHARS:
        raise argparse.ArgumentTypeError(f"expected {what}, got {quoted(text)}")
    return text


SOURCE_ENV = "FLOWTOP_SOURCE"
SOURCE_HELP = ("demo, camera index or /dev/videoN, file, URL or glob (default: $FLOWTOP_SOURCE, "
               "else the config's [source] url)")


def warn_if_secret(given: str) -> None:
    """One line on stderr when a source on the command line holds credentials: every user of
    the machine can read a command line with `ps`."""
    from flowtop.tracker.redact import has_secret

    if has_secret(given):
        print(f"flowtop: warning: other users can see this password (ps); use {SOURCE_ENV} or "
              f"the config's [source] url instead", file=sys.stderr)


def configured_source(args: argparse.Namespace) -> str | None:
    """$FLOWTOP_SOURCE, else the config's `[source] url`, else None."""
    from flowtop.tracker.config.files import load_source

    return os.environ.get(SOURCE_ENV, "").strip() or load_source(getattr(args, "config", None))


def source_from(args: argparse.Namespace, default: str | None = None) -> str:
    """The source to open: the command line's, else `configured_source`, else `default`."""
    from flowtop.tracker.errors import SourceError

    given = (args.source or "").strip()
    if given:
        warn_if_secret(given)
        return given
    source = configured_source(args) or default
    if not source:
        raise SourceError(f"no source: name one, or set {SOURCE_ENV} or [source] url in the "
                          f"config")
    return source


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(_number_text(text, "a whole number"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {quoted(text)}"
                                             ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    return parse


def number_in(lo: float, hi: float, lo_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [lo, hi] (or (lo, hi] when `lo_open`)."""

    def parse(text: str) -> float:
        try:
            value = float(_number_text(text, "a number"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {quoted(text)}") from None
        low_ok = value > lo if lo_open else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            raise argparse.ArgumentTypeError(
                f"must be a finite number in {'(' if lo_open else '['}{lo:g}, {hi:g}], "
                f"got {text}")
        return value

    return parse


fps_arg = number_in(*FPS_RANGE)


def parse_pattern(text: str) -> tuple[int, int]:
    """'9x6' -> (9, 6): a chessboard's inner corners per row and per column, each in
    PATTERN_RANGE."""
    lo, hi = PATTERN_RANGE
    match = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text)
    if not match:
        raise ValueError(f"expected COLSxROWS of inner corners, e.g. 9x6, got {quoted(text)}")
    cols, rows = int(match[1]), int(match[2])
    if not (lo <= cols <= hi and lo <= rows <= hi):
        raise ValueError(f"a board needs {lo} to {hi} inner corners per side, got {cols}x{rows}")
    return cols, rows


def parse_size(text: str) -> tuple[int, int]:
    """An argparse type: COLSxROWS, e.g. 160x48, at least 2x2 and at most MAX_CELLS."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*[xX]\s*(\d{1,6})\s*", text)
    if not match or int(match[1]) < 2 or int(match[2]) < 2:
        raise argparse.ArgumentTypeError(f"expected COLSxROWS like 160x48, got {quoted(text)}")
    cols, rows = int(match[1]), int(match[2])
    if cols > MAX_CELLS[0] or rows > MAX_CELLS[1]:
        raise argparse.ArgumentTypeError(f"{cols}x{rows} is larger than "
                                         f"{MAX_CELLS[0]}x{MAX_CELLS[1]} cells")
    return cols, rows


def check_roi(params: Params, source: Source) -> None:
    """Refuse a features.roi that lies wholly outside the source's frames (it would seed no
    point at all), when the source knows its frame size."""
    roi, (w, h) = params.features.roi, source.size
    if not roi or w <= 0 or h <= 0:
        return
    x, y, rw, rh = roi
    if x >= w or y >= h or x + rw <= 0 or y + rh <= 0:
        raise ParamError(f"features.roi {roi} lies wholly outside the {w}x{h} frame: no point "
                         f"would be tracked")


def refuse_input_as_output(source: str, out: Path | None, flag: str = "--out") -> None:
    """Refuse an output that is the input itself, or would be one of the images of an input
    glob: writing it would destroy what is being read."""
    if out is None:
        return
    src = Path(source)
    try:
        same = src.exists() and out.exists() and src.samefile(out)
    except OSError:
        same = False
    if not same and any(c in source for c in "*?["):
        same = out.resolve().match(str(src.resolve()))
    if same:
        raise OutputError(f"{flag} {out} is the input {source}; name another file")
