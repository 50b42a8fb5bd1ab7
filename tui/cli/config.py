"""`flowtop config`: print the effective parameters as TOML."""

from __future__ import annotations

import argparse

from flowtop.tui.cli.options import params_from


def register(p: argparse.ArgumentParser) -> None:
    p.description = "Print the effective config (file, then --set) as TOML."
    p.add_argument("--path", action="store_true", help="print the default config file path")
    p.set_defaults(func=run, engine=False)


def run(args: argparse.Namespace) -> int:
    from flowtop.tracker.config.files import default_config_path, dumps

    if args.path:
        print(default_config_path())
        return 0
    print(dumps(params_from(args)), end="")
    return 0
