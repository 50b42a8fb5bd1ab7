"""Command-line options shared by `flowtop` and its subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.config import load_params
from tracker.params import Params


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
    return load_params(args.config, args.overrides)
