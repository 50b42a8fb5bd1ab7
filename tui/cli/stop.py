"""Stop signals (SIGINT, SIGTERM, SIGHUP): one rule for every command and every phase.

The first stop signal raises KeyboardInterrupt at once, so starting, opening a source or
waiting for a FIFO's reader ends within a moment; `main` reports it in one line with exit code
130. A frame loop `defer`s it while it handles a frame: the signal is then only noted, and
the loop ends after that frame, whose outputs are written whole. Any later signal is only
noted, so the closing of the outputs is never cut short.

Where Python cannot raise (a weakref callback, a `__del__`: the import system runs some) it
reports the exception as "ignored" and goes on; the signal is then sent again a moment later
from another thread, and nothing is printed. numpy and OpenCV, which cannot be cut off
half-loaded, load with a signal only noted (`load`): it raises once they are in.

Plain Python (no engine imports): `main` installs it before anything slow is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
RESEND_AFTER_S = 0.05  # the main thread has left the callback and this hook by then
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C (128 + SIGINT), for every stop signal


class StopSignals:
    """Handlers for the stop signals; `received` holds the first one that arrived."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.armed = True  # the first signal raises (else it is only noted)
        self._saved: dict[int, Any] = {}
        self._saved_hook: Callable[[sys.UnraisableHookArgs], object] | None = None
        self._again: threading.Timer | None = None  # sends `_resending` again
        self._resending: int | None = None

    def install(self) -> None:
        """Take over the stop signals (only the main thread can); `restore` gives them back."""
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in STOP_SIGNALS:
            self._saved[sig] = signal.signal(sig, self._handle)
        with contextlib.suppress(AttributeError):  # a file too large: EFBIG, not a core dump
            self._saved[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        self._saved_hook, sys.unraisablehook = sys.unraisablehook, self._unraisable

    def restore(self) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._saved.clear()
        if self._saved_hook is not None:
            sys.unraisablehook, self._saved_hook = self._saved_hook, None
        if self._again is not None:
            self._again.cancel()
            self.received = self.received or self._resending  # not sent: still the news

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

    def _unraisable(self, info: sys.UnraisableHookArgs) -> None:
        """The KeyboardInterrupt of the first signal, raised where Python only reports it:
        forget that signal and send it again (the handler then raises it anew)."""
        signum = self.received
        if info.exc_type is not KeyboardInterrupt or signum is None or not self.armed:
            if self._saved_hook is not None:
                self._saved_hook(info)
            return
        self.received, self._resending = None, signum
        self._again = threading.Timer(RESEND_AFTER_S, self._send_again)
        self._again.daemon = True
        self._again.start()

    def _send_again(self) -> None:
        signum, self._resending = self._resending, None
        if signum is not None:
            os.kill(os.getpid(), signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Inside, a stop signal is only noted (check `received` after)."""
        armed, self.armed = self.armed, False
        try:
            yield
        finally:
            self.armed = armed

    def load(self, *modules: str) -> None:
        """Import `modules` with a stop signal only noted, then raise for it. A native
        library cut off while it loads is no clean stop (numpy reports it as a failed
        import, with a page of advice on installing numpy)."""
        with self.deferred():
            for module in modules:
                importlib.import_module(module)
        if self.received is not None and self.armed:
            raise KeyboardInterrupt

    def forget_interrupted_evals(self) -> None:
        """Call before exiting after a stop. A KeyboardInterrupt raised inside code that
        Python ran from a string (dataclasses and namedtuples build their methods so, while
        modules import) marks it unhandled even once caught; under `python -m` the process
        then ends by killing itself with SIGINT (-2, not 130). Every string evaluation starts
        by clearing that mark: one harmless evaluation does."""
        if self.received is not None:
            eval("None", {})

    def stopped(self) -> bool:
        """Whether a stop signal has arrived (an output waiting for its reader gives up)."""
        return self.received is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""
