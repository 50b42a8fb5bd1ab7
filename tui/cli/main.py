"""The `flowtop` command: the live UI by default, headless subcommands beside it.

Exit codes, the same for every command and every phase:
0 done; 1 a run-time failure (an output could not be written, a source lost for good);
2 bad input, refused in one line before any work; 130 stopped by Ctrl-C, SIGTERM or SIGHUP
(the outputs are still finished whole). A user sees one line on stderr, never a traceback.
A reader that leaves standard output early (`| head`) is not an error.

Only light modules load before the stop signals are taken over, so a Ctrl-C while the
engine loads is an interruption like any other.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from flowtop.tracker.errors import (
    ConfigError,
    OutputError,
    OutputExists,
    ParamError,
    SourceError,
    SourceLost,
    WriteError,
)
from flowtop.tui.cli.stop import EXIT_INTERRUPTED, StopSignals

if TYPE_CHECKING:
    from textual.app import App

EXIT_FAILED = 1
EXIT_USAGE = 2
# the subcommands, in help order, with their line in `flowtop --help`; each is a module of
# flowtop.tui.cli, imported only when its command is chosen
COMMANDS = {
    "track": "track headless, write tracks to a file",
    "tune": "search parameters on a clip, rank them by a figure",
    "snapshot": "print one tracked frame as half-block ANSI, or save it as PNG",
    "record": "write the annotated video headless",
    "calibrate": "camera intrinsics from a chessboard",
    "bench": "measure decode, tracking and preview costs",
    "config": "print the effective config as TOML",
    "probe": "list video devices and what they deliver",
}
USER_ERRORS = (ConfigError, ParamError, SourceError, OutputError)
RUN_ERRORS = (WriteError, SourceLost)


class UsageError(Exception):
    """The command line itself is wrong."""


class StdoutError(WriteError):
    """Standard output cannot be written (a full disk, a terminal gone)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class CommandParser(Parser):
    """A subcommand's parser, built the first time it parses: argparse makes one per command
    (`add_parser`) but only calls `parse_known_args` on the chosen one. Its options come from
    its module's `register(parser)`, after --config and --set. So `flowtop --help` builds
    none (each costs argparse's set-up, mostly gettext look-ups), `flowtop config` only its
    own, and no other command's module is imported."""

    def __init__(self, command: str, **kwargs: Any) -> None:
        # ArgumentParser.__init__ waits for parse_known_args
        self.command = command
        self.options = kwargs  # prog, from add_parser
        self.built = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if not self.built:
            self.built = True
            import importlib

            from flowtop.tui.cli.options import add_common_options

            super().__init__(**self.options)
            add_common_options(self, top=False)
            importlib.import_module(f"flowtop.tui.cli.{self.command}").register(self)
        return super().parse_known_args(args, namespace)


def build_parser() -> Parser:
    from flowtop.tui.cli.options import add_common_options, fps_arg

    parser = Parser(prog="flowtop",
                    description="Live optical-flow point tracker in the terminal.",
                    epilog="Exit codes: 0 done, 1 a run-time failure (an output could not be "
                           "written, a source lost for good), 2 bad input, 130 stopped by "
                           "Ctrl-C, SIGTERM or SIGHUP.")
    add_common_options(parser, top=True)
    parser.add_argument("--source", default=None,
                        help="demo, a camera index or /dev/videoN, a file, a URL, a glob, "
                             "or auto (camera 0, else demo); default: $FLOWTOP_SOURCE, else "
                             "the config's [source] url, else auto")
    parser.add_argument("--loop", action="store_true", help="loop a video file")
    parser.add_argument("--fps", type=fps_arg, default=None,
                        help="rate of the demo and of image sequences; requested camera rate")
    parser.set_defaults(func=run_ui, engine=True)  # `engine`: it loads numpy and OpenCV
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=CommandParser)
    for name, line in COMMANDS.items():
        sub.add_parser(name, help=line, command=name)
    return parser


SWITCH_INTERVAL_S = 0.001  # how long a thread keeps the GIL while another waits


def run_ui(args: argparse.Namespace) -> int:
    from flowtop.tracker.sources.open import open_source
    from flowtop.tui.app.colour_probe import (
        colour_environment,
        drop_late_answers,
        terminal_truecolor,
    )
    from flowtop.tui.cli.options import check_roi, params_from, source_from

    params = params_from(args)
    spec = source_from(args, default="auto")
    color = params.preview.color
    colour_environment(os.environ, terminal_truecolor() if color == "auto" else None, color)
    source = open_source(spec, paced=True, loop=args.loop, fps=args.fps)
    check_roi(params, source)
    if not sys.stdout.isatty():  # after the source: a bad one is the error worth naming
        source.close()
        raise UsageError("the live view needs a terminal, and stdout is not one; for a pipe or "
                         "a file use `flowtop track SOURCE` (rows) or `flowtop snapshot SOURCE` "
                         "(a picture)")
    from flowtop.tui.app.app import FlowtopApp
    from flowtop.tui.preview.internals import hangup_safe_terminal

    app = FlowtopApp(source=source, params=params, config_path=args.config,
                     freeze_startup=True)
    exit_app_on_signals(app, args.stop)
    # The tracking thread runs Python between OpenCV calls; at the default 5 ms the UI thread
    # waits up to that long each time it hands the GIL over, many times per key or frame.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    warming = warm_palette(color)
    with hangup_safe_terminal():
        drop_late_answers()
        app.run()
    if warming is not None:  # OpenCV aborts if a thread of its own still runs at exit
        warming.join()
    if args.stop.received:
        say(f"interrupted by {args.stop.name}")
        return EXIT_INTERRUPTED
    return app.return_code or 0


def warm_palette(color: str) -> threading.Thread | None:
    """Make the 256- or 16-colour palette (its lookup table read or, for 16 colours,
    computed: tens of ms) in the background while Textual starts, not when the first frame
    is drawn; the thread, to join before exiting."""
    from flowtop.tracker.render.palette import resolve_mode, xterm_palette

    mode = resolve_mode(color)
    if mode not in ("256", "16"):
        return None
    thread = threading.Thread(target=xterm_palette, args=(mode,), daemon=True, name="palette")
    thread.start()
    return thread


def exit_app_on_signals(app: App, stop: StopSignals) -> None:
    """A stop signal (SIGHUP: the SSH session dropped) ends the app the way `q` does, so the
    terminal is restored. The handler runs in the main thread, inside the app's event loop:
    it schedules `app.exit` on that loop (call_from_thread would refuse to run there)."""

    import asyncio  # only the UI needs it: not loaded for every command

    def handler(signum: int, _frame: object) -> None:
        stop.received = stop.received or signum
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app has not started its loop, or has left it
            if not app.is_running and app.return_code is None:
                raise KeyboardInterrupt from None
            return
        loop.call_soon_threadsafe(app.exit)

    stop.hand_over(handler)


class GuardedStdout:
    """sys.stdout while a command runs: a write error on it becomes a StdoutError, which
    names it (a closed pipe stays a BrokenPipeError: not an error)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"cannot write to standard output: {exc.strerror or exc}"
                              ) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"cannot write to standard output: {exc.strerror or exc}"
                              ) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def open_std_streams() -> None:
    """Standard input, output and error that were closed (`>&-`) become /dev/null: else the
    first file the command opens would take their number, and its output would go there."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


def say(message: str) -> None:
    """One line on stderr, if stderr can still take it; a camera's password never shows."""
    from flowtop.tracker.redact import redact

    with contextlib.suppress(OSError, ValueError):  # stderr gone (a hung-up terminal)
        print(f"flowtop: {redact(message)}", file=sys.stderr, flush=True)


def fail(message: str, code: int = EXIT_USAGE) -> int:
    say(message)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    stop = StopSignals()
    stop.install()
    saved = sys.stdout
    try:
        open_std_streams()
        sys.stdout = GuardedStdout(sys.stdout)
        return run_command(argv, stop)
    finally:
        if isinstance(sys.stdout, GuardedStdout):
            sys.stdout = saved
        stop.restore()
        stop.forget_interrupted_evals()


def run_command(argv: Sequence[str] | None, stop: StopSignals) -> int:
    """Parse `argv`, run the command, and turn what can go wrong into one line and a code."""
    try:
        try:
            args = build_parser().parse_args(argv)
            args.stop = stop
            if args.engine:
                stop.load("numpy", "cv2")
            code = int(args.func(args) or 0)
        except SystemExit as exc:  # --help, --version
            code = exc.code if isinstance(exc.code, int) else 0
        sys.stdout.flush()
        return code
    except UsageError as exc:
        return fail(str(exc))
    except OutputExists as exc:
        return fail(f"{exc}; pass --force to overwrite it")
    except StdoutError as exc:  # after a hang-up the terminal is gone: the stop is the news
        silence_stdout()
        return EXIT_INTERRUPTED if stop.received else fail(str(exc), EXIT_FAILED)
    except RUN_ERRORS as exc:
        return fail(str(exc), EXIT_FAILED)
    except USER_ERRORS as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # a stop signal before or between the outputs' lives
        return fail(f"interrupted by {stop.name}" if stop.name else "interrupted",
                    EXIT_INTERRUPTED)
    except BrokenPipeError:  # `flowtop config | head -1`: the reader left; not an error
        silence_stdout()
        return EXIT_INTERRUPTED if stop.received else 0
    except Exception:
        # Python turns a KeyboardInterrupt raised while a module loads into another error
        # (a failed import, "Error calling __set_name__"): with a stop signal in, it is that
        if stop.received is None:
            raise
        return fail(f"interrupted by {stop.name}", EXIT_INTERRUPTED)


def silence_stdout() -> None:
    """Point standard output at /dev/null once it failed, so that the flush of what it still
    holds (at exit) cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
