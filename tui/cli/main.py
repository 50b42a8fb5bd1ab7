"""The `flowtop` command: the live UI by default, headless subcommands beside it.

Errors a user can cause end with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from flowtop.tracker.errors import ConfigError, OutputError, ParamError, SourceError
from flowtop.tui.cli.options import common_options, params_from, positive_float

if TYPE_CHECKING:
    from textual.app import App

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# modules in flowtop.tui.cli, in help order
COMMANDS = ("track", "snapshot", "record", "calibrate", "bench", "config", "probe")
USER_ERRORS = (ConfigError, ParamError, SourceError, OutputError)


class UsageError(Exception):
    """The command line itself is wrong."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> Parser:
    common = common_options(top=False)
    parser = Parser(prog="flowtop", parents=[common_options(top=True)],
                    description="Live optical-flow point tracker in the terminal.")
    parser.add_argument("--source", default="auto",
                        help="demo, a camera index or /dev/videoN, a file, a URL, a glob, "
                             "or auto (camera 0, else demo)")
    parser.add_argument("--loop", action="store_true", help="loop a video file")
    parser.add_argument("--fps", type=positive_float, default=None,
                        help="rate of the demo and of image sequences; requested camera rate")
    parser.set_defaults(func=run_ui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"flowtop.tui.cli.{name}").register(sub, common)
    return parser


def run_ui(args: argparse.Namespace) -> int:
    from flowtop.tracker.sources.open import open_source

    params = params_from(args)
    source = open_source(args.source, paced=True, loop=args.loop, fps=args.fps)
    if not sys.stdout.isatty():  # after the source: a bad one is the error worth naming
        source.close()
        raise UsageError("the live view needs a terminal, and stdout is not one; for a pipe or "
                         "a file use `flowtop track SOURCE` (rows) or `flowtop snapshot SOURCE` "
                         "(a picture)")
    from flowtop.tui.app.app import FlowtopApp
    from flowtop.tui.preview.internals import hangup_safe_terminal

    app = FlowtopApp(source=source, params=params, config_path=args.config)
    exit_app_on_signals(app)
    with hangup_safe_terminal():
        app.run()
    return app.return_code or 0


def exit_app_on_signals(app: App) -> None:
    """SIGHUP (the SSH session dropped) and SIGTERM end the app the way `q` does, so the
    terminal is restored. The handler runs in the main thread, inside the app's event loop:
    it schedules `app.exit` on that loop (call_from_thread would refuse to run there)."""

    import asyncio  # only the UI needs it: not loaded for every command

    def handler(signum: int, _frame: object) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app has not started its loop, or has left it
            raise SystemExit(0) from None
        loop.call_soon_threadsafe(app.exit)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, handler)


def fail(message: str) -> int:
    print(f"flowtop: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as exc:
        return fail(str(exc))
    except USER_ERRORS as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C while a source opens, before any output exists
        print("flowtop: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `flowtop config | head -1`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 0


if __name__ == "__main__":
    sys.exit(main())
