"""The frame loop of the headless commands (`track`, `record`): stop signals, a progress bar,
and a log of a live source's losses.

A stop signal (SIGINT, SIGTERM, SIGHUP) may interrupt only a read in progress, which can block
on a camera; while the command handles a frame the signal is only noted and the run ends after
that frame, so every frame's output is written whole and counted. The caller runs the loop and
the closing of its outputs inside `signals.deferred()`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from flowtop.tracker.contracts import Frame, Source
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.redact import redact
from flowtop.tracker.sources.resilient import ResilientSource, SourceEvent
from flowtop.tui.cli.stop import StopSignals


class StderrConsole(Console):
    """The commands' console on stderr: a message is one line, never wrapped, and a reader
    that left (a closed pipe) silences it while the run goes on (rich's own answer would be to
    exit with code 1)."""

    def __init__(self) -> None:
        super().__init__(stderr=True, soft_wrap=True)

    def on_broken_pipe(self) -> None:
        self.quiet = True


def say_stopped(err: Console, signal_name: str, outcome: str) -> None:
    """The one line of a run ended by a stop signal: `flowtop: interrupted by SIGINT: ...`."""
    with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
        err.print(Text.assemble("flowtop: ", ("interrupted", "yellow"),
                                f" by {signal_name}: {outcome}"))


def frames_until_stopped(source: Source, signals: StopSignals, more: Callable[[], bool],
                         on_lost: Callable[[], None] | None = None) -> Iterator[Frame]:
    """Frames of `source` until it ends, `more()` turns false, or a stop signal arrives.

    A live source's loss is skipped (a resilient source reconnects by itself), after calling
    `on_lost` (e.g. to keep flushing outputs during an outage).
    """
    while more() and signals.received is None:
        try:
            signals.armed = True
            try:
                frame = source.read()
            finally:
                signals.armed = False
        except KeyboardInterrupt:  # raised by the first signal, during the read
            return
        except SourceLost:
            if on_lost is not None:
                on_lost()
            continue
        if frame is None:
            return
        yield frame


def frame_total(source: Source, limit: int | None) -> int | None:
    """How many frames a run will take, for the progress bar (None: unknown, as for a camera)."""
    return limit or getattr(source, "frame_count", 0) or len(getattr(source, "paths", ())) or None


def frame_progress(err: Console, *columns: TextColumn) -> Progress:
    """The commands' progress bar on stderr: description, bar, M/N, `columns`, time; shown only
    when stderr is a terminal, and gone when done."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    *columns, TimeElapsedColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


def log_source_events(source: Source, err: Console) -> None:
    """Log each loss, failed reconnect and recovery of a live source as a timestamped line,
    credentials masked."""
    if not isinstance(source, ResilientSource):
        return

    def log(event: SourceEvent) -> None:
        with contextlib.suppress(OSError):  # stderr gone (SIGHUP): the run goes on
            err.print(f"{time.strftime('%H:%M:%S')} {redact(str(event))}", markup=False,
                      highlight=False, soft_wrap=True)

    source.on_event = log
