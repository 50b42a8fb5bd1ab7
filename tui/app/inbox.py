"""Where the tracking loop's snapshots wait for the app, and when they wake it.

The loop publishes every frame (30 a second from a camera); the preview draws at its own
rate (15 by default) and the bars and panels at theirs. Waking the app for a snapshot it will
not draw costs both threads a message each time, so a snapshot wakes the app only once the
preview may draw again (`wake_from`), or when the run state changes (a pause, the end of a
file, a reconnection: shown at once). Any other snapshot waits in the slot, replaced by the
next; the bars' and panels' timers take it (`take`), so a source that stops delivering still
has its last frame shown within a bar tick.
"""

from __future__ import annotations

import math
import time

from flowtop.tracker.contracts import RunState, Snapshot
from flowtop.tracker.runtime.loop import Latest


class Inbox:
    """The newest snapshot, and whether the app needs waking for it.

    `put` runs in the thread that publishes (the loop's; the app's for a key's own command),
    `wake_from` and `take` in the app's. The wake time is one float, replaced whole (a read
    sees the old or the new value); the slot has its lock. Two threads putting at once can at
    worst wake the app once too often, or leave a snapshot for the next tick.
    """

    def __init__(self) -> None:
        self._latest: Latest[Snapshot] = Latest()
        self._wake_at = -math.inf  # monotonic time from which a new snapshot wakes the app
        self._state: RunState | None = None  # the run state of the last snapshot woken for

    def put(self, snapshot: Snapshot) -> bool:
        """Keep `snapshot` as the newest; True if the app should be woken for it."""
        self._latest.put(snapshot)
        state = snapshot.status.state
        if state != self._state or time.monotonic() >= self._wake_at:
            self._state = state
            return True
        return False

    def take(self) -> Snapshot | None:
        """The newest snapshot if the app has not taken it yet."""
        return self._latest.take()

    def wake_from(self, at: float) -> None:
        """Wake the app for snapshots from monotonic time `at` on (-inf: every one)."""
        self._wake_at = at
