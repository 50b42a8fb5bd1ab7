"""A short hold the front end asks of the tracking thread while it answers a key.

Python runs one thread at a time. When tracking keeps a core busy, the UI thread gets the
interpreter about half the time, so a picture being drawn when a key arrives takes twice its
CPU time to finish before the key is even read. `ask()` (from any thread, e.g. the terminal's
input thread as the key arrives) makes the tracking thread wait at its next stage boundary
until `release()` or at most `max_s`; the frames it reads meanwhile are not lost (a camera
queues them; a file waits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

HOLD_MAX_S = 0.05  # the longest a key holds tracking back, if nothing releases it


class InputHold:
    """`ask()` from any thread; `wait()` in the tracking thread (free when nobody asked)."""

    def __init__(self, max_s: float = HOLD_MAX_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_s = max_s
        self._clock = clock
        self._until = 0.0  # a float read without the lock on the hot path: atomic in Python
        self._cond = threading.Condition()
        self.held_s = 0.0  # total time the tracking thread waited: what keys cost tracking

    @property
    def asked(self) -> bool:
        """Whether a hold is asked and not released or expired yet (as `wait` finds it)."""
        return bool(self._until) and self._until > self._clock()

    def ask(self) -> None:
        """Hold tracking at its next stage boundary, from now for at most `max_s`."""
        with self._cond:
            self._until = self._clock() + self.max_s

    def release(self) -> None:
        """Let tracking go on now."""
        with self._cond:
            self._until = 0.0
            self._cond.notify_all()

    def wait(self) -> None:
        """Wait while a hold is asked and not expired (returns at once when none is)."""
        if not self._until:
            return
        start = self._clock()
        with self._cond:
            while True:
                left = self._until - self._clock()
                if left <= 0:
                    self._until = 0.0
                    break
                self._cond.wait(left)
        self.held_s += self._clock() - start
