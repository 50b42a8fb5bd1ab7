"""Command-line options shared by `flowtop` and its subcommands."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowtop.tracker.config.params import Params


def common_options(top: bool) -> argparse.ArgumentParser:
    """--config and --set, accepted before or after the command name.

    Subcommands leave them unset unless given (SUPPRESS), so they do not erase the values
    given before the command name.
    """
    parent = argparse.ArgumentParser(add_help=False)
    default = None if top else argparse.SUPPRESS
    parent.add_argument("--config", type=Path, metavar="FILE", default=default,
                        help="TOML config (default: the user's config dir)")
    parent.add_argument("--set", dest="overrides", action="append",
                        default=[] if top else argparse.SUPPRESS,
                        metavar="SECTION.KEY=VALUE", help="override one parameter (repeatable)")
    return parent


def params_from(args: argparse.Namespace) -> Params:
    """The parameters of the config file (or the default one) with the --set overrides."""
    from flowtop.tracker.config.files import load_params

    return load_params(args.config, args.overrides)


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def parse_pattern(text: str) -> tuple[int, int]:
    """'9x6' -> (9, 6): a chessboard's inner corners per row and per column, each at least 2."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match or min(int(match[1]), int(match[2])) < 2:
        raise ValueError(f"expected COLSxROWS of inner corners, e.g. 9x6, got {text!r}")
    return int(match[1]), int(match[2])


def parse_size(text: str) -> tuple[int, int]:
    """An argparse type: COLSxROWS, e.g. 160x48."""
    cols, sep, rows = text.lower().partition("x")
    if not sep or not cols.isdigit() or not rows.isdigit() or int(cols) < 2 or int(rows) < 2:
        raise argparse.ArgumentTypeError(f"expected COLSxROWS like 160x48, got {text!r}")
    return int(cols), int(rows)
