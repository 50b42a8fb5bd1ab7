"""Count the bytes a running Textual app writes to its terminal.

`install_byte_meter(app)` wraps the app driver's `write` once (idempotent) and returns the
`ByteMeter`; `byte_meter_of(app)` finds it again (the preview uses it for its budget and
the status bar's KB/s). Headless apps (tests) write nothing, so their meter stays at zero.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

from textual.app import App

WINDOW_S = 1.0
_METERS: weakref.WeakKeyDictionary[App, ByteMeter] = weakref.WeakKeyDictionary()


class ByteMeter:
    """A running total of bytes written, and the rate over the last `window_s` seconds.

    Times come from `clock` (monotonic seconds) unless passed in, so tests can feed them.
    KB here and everywhere in flowtop is 1000 bytes.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 window_s: float = WINDOW_S) -> None:
        self.clock, self.window_s = clock, window_s
        self.total = 0
        self.writes = 0
        self._samples: deque[tuple[float, int]] = deque()  # (time, bytes) per write
        self._in_window = 0
        self._lock = threading.Lock()

    def add(self, nbytes: int, now: float | None = None) -> None:
        """Record `nbytes` written at `now`."""
        now = self.clock() if now is None else now
        with self._lock:
            self.total += nbytes
            self.writes += 1
            self._samples.append((now, nbytes))
            self._in_window += nbytes
            self._trim(now)

    def _trim(self, now: float) -> None:
        samples = self._samples
        while samples and samples[0][0] <= now - self.window_s:
            self._in_window -= samples.popleft()[1]

    def kbps(self, now: float | None = None) -> float:
        """KB/s written over the last window."""
        now = self.clock() if now is None else now
        with self._lock:
            self._trim(now)
            return self._in_window / self.window_s / 1000.0


def install_byte_meter(app: App) -> ByteMeter:
    """Wrap `app`'s driver so every write is counted; the same meter on a second call."""
    meter = _METERS.get(app)
    if meter is not None:
        return meter
    driver = app._driver
    if driver is None:
        raise RuntimeError("install_byte_meter: the app has no driver yet (call it on mount)")
    meter = ByteMeter()
    write = driver.write

    def counted_write(data: str) -> None:
        meter.add(len(data.encode("utf-8", "surrogateescape")))
        write(data)

    driver.write = counted_write  # type: ignore[method-assign]
    _METERS[app] = meter
    return meter


def byte_meter_of(app: App) -> ByteMeter | None:
    """The meter installed on `app`, if any."""
    return _METERS.get(app)
