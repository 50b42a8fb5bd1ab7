"""The frame loop of the headless commands (`track`, `record`): stop signals, a progress bar,
and a log of a live source's losses.

A stop signal (SIGINT, SIGTERM, SIGHUP) may interrupt only a read in progress, which can block
on a camera; while the command handles a frame the signal is only noted and the run ends after
that frame, so every frame's output is written whole and counted.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flowtop.tracker.contracts import Frame, Source
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.sources.resilient import ResilientSource, SourceEvent

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP stop a run the way Ctrl-C does, with outputs closed whole.

    The first signal raises KeyboardInterrupt in the main thread, but only while `armed` (a
    read is in progress); otherwise, and for any later one, it is only noted in `received`.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.armed = False

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        first = self.received is None
        self.received = self.received or signum
        if first and self.armed:
            self.armed = False
            raise KeyboardInterrupt

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""


def frames_until_stopped(source: Source, signals: StopSignals, more: Callable[[], bool],
                         on_lost: Callable[[], None] | None = None) -> Iterator[Frame]:
    """Frames of `source` until it ends, `more()` turns false, or a stop signal arrives.

    A live source's loss is skipped (a resilient source reconnects by itself), after calling
    `on_lost` (e.g. to keep flushing outputs during an outage).
    """
    while more():
        try:
            signals.armed = True
            try:
                if signals.received is not None:
                    return
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
    """Log each loss, failed reconnect and recovery of a live source as a timestamped line."""
    if not isinstance(source, ResilientSource):
        return

    def log(event: SourceEvent) -> None:
        with contextlib.suppress(OSError):  # stderr gone (SIGHUP): the run goes on
            err.print(f"{time.strftime('%H:%M:%S')} {event}", markup=False, highlight=False,
                      soft_wrap=True)

    source.on_event = log
