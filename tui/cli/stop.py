"""Stop signals (SIGINT, SIGTERM, SIGHUP): one rule for every command and every phase.

The first stop signal raises KeyboardInterrupt at once, so starting, opening a source or
waiting for a FIFO's reader ends within a moment; `main` reports it in one line with exit code
130. A frame loop `defer`s it while it handles a frame: the signal is then only noted, and
the loop ends after that frame, whose outputs are written whole. Any later signal is only
noted, so the closing of the outputs is never cut short.

Plain Python (no engine imports): `main` installs it before anything slow is imported.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C (128 + SIGINT), for every stop signal


class StopSignals:
    """Handlers for the stop signals; `received` holds the first one that arrived."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.armed = True  # the first signal raises (else it is only noted)
        self._saved: dict[int, Any] = {}

    def install(self) -> None:
        """Take over the stop signals (only the main thread can); `restore` gives them back."""
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in STOP_SIGNALS:
            self._saved[sig] = signal.signal(sig, self._handle)
        with contextlib.suppress(AttributeError):  # a file too large: EFBIG, not a core dump
            self._saved[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def restore(self) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._saved.clear()

    def hand_over(self, handler: Callable[[int, object], None]) -> None:
        """Let `handler` take the stop signals (the UI ends its app itself); `restore` still
        gives back what was there before `install`."""
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                signal.signal(sig, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        first = self.received is None
        if first:
            self.received = signum
        if first and self.armed:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Inside, a stop signal is only noted (check `received` after)."""
        armed, self.armed = self.armed, False
        try:
            yield
        finally:
            self.armed = armed

    def stopped(self) -> bool:
        """Whether a stop signal has arrived (an output waiting for its reader gives up)."""
        return self.received is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""
