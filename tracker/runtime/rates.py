"""Rates over a sliding window of time: frames per second, bytes per second, and the pace
of a played file (media seconds per wall second).

Time is an argument (seconds on any monotonic clock), never read here, so tests feed exact
times. Not thread-safe: a caller shared between threads holds its own lock.
"""

from __future__ import annotations

from collections import deque


class RateWindow:
    """Events, each with an amount, over the last `seconds`: times in (now - seconds, now].

    `per_second()` is the event rate between the first and the last event in the window
    (frames per second); `amount_per_second(now)` is the amount added over the window divided
    by its length (bytes per second). `total` and `count` run since the start.
    """

    def __init__(self, seconds: float = 1.0) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds: must be > 0, got {seconds}")
        self.seconds = seconds
        self.total = 0.0
        self.count = 0
        self._events: deque[tuple[float, float]] = deque()
        self._in_window = 0.0

    def add(self, t: float, amount: float = 1.0) -> None:
        """Record one event at time `t` (times never decrease)."""
        self._events.append((t, amount))
        self._in_window += amount
        self.total += amount
        self.count += 1
        self._trim(t)

    def reset(self) -> None:
        """Forget the window (after a discontinuity: a loop wrap, a reconnect); totals stay."""
        self._events.clear()
        self._in_window = 0.0

    def _trim(self, now: float) -> None:
        events = self._events
        while events and now - events[0][0] >= self.seconds:
            self._in_window -= events.popleft()[1]

    def per_second(self, now: float | None = None) -> float:
        """Events per second between the oldest and newest event in the window."""
        if now is not None:
            self._trim(now)
        events = self._events
        if len(events) < 2 or events[-1][0] <= events[0][0]:
            return 0.0
        return (len(events) - 1) / (events[-1][0] - events[0][0])

    def amount_per_second(self, now: float) -> float:
        """The amount added over the last `seconds`, per second."""
        self._trim(now)
        return self._in_window / self.seconds


class PaceWindow:
    """Media seconds per wall second over the last `seconds` of frames: 1 while a file plays
    at its own rate, below 1 when tracking cannot keep up. 1.0 until the window is half full.
    """

    def __init__(self, seconds: float = 2.0) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds: must be > 0, got {seconds}")
        self.seconds = seconds
        self._frames: deque[tuple[float, float]] = deque()  # (wall, media) of recent frames

    def add(self, now: float, t: float) -> float:
        """Record a frame of media time `t` handled at wall time `now`; the pace now."""
        window = self._frames
        window.append((now, t))
        while len(window) > 2 and now - window[0][0] > self.seconds:
            window.popleft()
        wall, media = now - window[0][0], t - window[0][1]
        return media / wall if wall >= self.seconds / 2 and media > 0 else 1.0

    def reset(self) -> None:
        """Forget the window (after a pause, a loop wrap, a reconnect: no lag to measure)."""
        self._frames.clear()
