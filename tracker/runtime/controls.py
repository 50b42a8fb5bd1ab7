"""What callers ask of the tracking loop, from any thread, held until the loop's thread takes
it: pause and resume, single steps forward and back, playing an ended source again,
replaying the rewind buffer, and commands for the tracker (a burst of parameter changes
applied once). Every request wakes the loop out of `idle`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker

Command = Callable[[Tracker], None]
PAUSE_POLL_S = 0.05  # the longest an idle loop waits before looking again


class RunControls:
    """Requests from any thread (`command`, `set_params`, `set_paused`, `step`, ...), taken
    in the loop's thread (`commands`, `next_move`, `take_*`, `begin_replay`).

    `apply_params(params)` runs in the loop's thread, in turn with the commands, with the
    newest parameters of a burst of `set_params`.
    """

    def __init__(self, apply_params: Callable[[Params], None]) -> None:
        self._apply_params = apply_params
        self._lock = threading.Lock()
        self._wake = threading.Event()
        # (command, whether it is a manual change a replay pass does not count)
        self._commands: queue.SimpleQueue[tuple[Command, bool]] = queue.SimpleQueue()
        self._new_params: Params | None = None
        self._paused = False
        self._resumed = False
        self._steps = 0
        self._rewind = False
        self._replay_wanted = False
        self._replay_at_end = False  # start the replay paused on its last frame but one
        self._back = 0  # steps back asked for

    # -- from any thread -------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def replay_wanted(self) -> bool:
        """Whether a replay of the buffer was asked for (and not left since)."""
        return self._replay_wanted

    def command(self, fn: Command) -> None:
        """Run `fn(tracker)` in the loop's thread before the next frame."""
        self._commands.put((fn, True))
        self._wake.set()

    def set_params(self, params: Params) -> None:
        """Apply `params` before the next frame. Only the newest of a burst (a key held down)
        waits, never a queue of them."""
        with self._lock:
            first = self._new_params is None
            self._new_params = params
        if first:
            self._commands.put((self._apply_newest, False))
            self._wake.set()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._resumed = self._paused and not paused
            self._paused = paused
        self._wake.set()

    def step(self) -> None:
        """Advance exactly one frame while paused."""
        with self._lock:
            self._steps += 1
        self._wake.set()

    def rewind(self) -> None:
        """After the source ended: play it again from its start."""
        with self._lock:
            self._rewind = True
        self._wake.set()

    def replay(self, on: bool, at_end: bool = False) -> None:
        """Replay the buffer (`on`) or go back to the source; `at_end`: start paused on the
        buffer's last frame but one."""
        with self._lock:
            self._replay_wanted, self._replay_at_end = on, at_end
        self._wake.set()

    def step_back(self) -> None:
        """One frame back while a replay is paused."""
        with self._lock:
            self._back += 1
        self._wake.set()

    # -- in the loop's thread --------------------------------------------------------------

    def commands(self) -> Iterator[tuple[Command, bool]]:
        """The queued commands, each as (fn, manual), until none is left."""
        while True:
            try:
                yield self._commands.get_nowait()
            except queue.Empty:
                return

    def _apply_newest(self, _tracker: Tracker) -> None:
        with self._lock:
            params, self._new_params = self._new_params, None
        if params is not None:
            self._apply_params(params)

    def next_move(self) -> tuple[bool, bool]:
        """(hold, resync): whether to stay on this frame, and whether to restart pacing
        (after a pause or a step: a pause is not a backlog to drop). Takes one step."""
        with self._lock:
            if self._paused and self._steps == 0:
                return True, False
            resync = self._paused or self._resumed
            self._resumed = False
            if self._steps:
                self._steps -= 1
            return False, resync

    def take_rewind(self) -> bool:
        """Whether playing the source again was asked for since the last call."""
        with self._lock:
            again, self._rewind = self._rewind, False
            return again

    def take_back(self) -> int:
        """Steps back asked for since the last call."""
        with self._lock:
            back, self._back = self._back, 0
            return back

    def begin_replay(self) -> bool:
        """A replay starts: whether at the buffer's end (the ask is used up); steps back
        asked for before it are dropped."""
        with self._lock:
            at_end, self._replay_at_end = self._replay_at_end, False
            self._back = 0
            return at_end

    def idle(self) -> None:
        """Wait PAUSE_POLL_S, or until a request arrives."""
        self._wake.wait(PAUSE_POLL_S)
        self._wake.clear()
