"""What the tracking loop shows, and the handing out of it: the newest state, the loop's
status, the health figures, the recent rows and the tuning report, published together as
one immutable `Snapshot` at each change.

The loop's thread publishes, and so does a caller's (a pause shows at once): `lock` guards
every change and its publication. Hold it to read the status and replace it in one step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, TrackState, TuningReport
from flowtop.tracker.runtime.health import HealthMonitor
from flowtop.tracker.runtime.history import TrackHistory


class Publisher:
    """The loop's shown state; each change goes to `on_publish(snapshot)` with a new serial.

    `params()` gives the parameters in use when a snapshot is made (the replay's while
    replaying, else the live tracker's).
    """

    def __init__(self, status: LoopStatus, params: Callable[[], Params],
                 on_publish: Callable[[Snapshot], None] | None = None) -> None:
        self.lock = threading.RLock()
        self.status = status
        self.state: TrackState | None = None
        self.tuning: TuningReport | None = None
        self.health = HealthMonitor()
        self.history = TrackHistory()
        self._params = params
        self._on_publish = on_publish
        self._serial = 0

    def publish(self) -> None:
        """Hand out a snapshot of now."""
        with self.lock:
            self._serial += 1
            if self._on_publish is not None:
                self._on_publish(Snapshot(self.state, self.status, self._serial,
                                          self.health.figures(), self.history.frames(),
                                          self._params(), self.tuning))

    def set_state(self, state: RunState, message: str = "") -> None:
        """Publish a new run state and message; nothing when both are as they were."""
        with self.lock:
            if self.status.state != state or self.status.message != message:
                self.status = replace(self.status, state=state, message=message)
                self.publish()

    def show(self, state: TrackState | None, status: LoopStatus | None = None,
             counted: bool = False) -> None:
        """Publish `state` (and `status`, if given). `counted`: a state tracked just now,
        which also counts in the health figures and the recent rows."""
        with self.lock:
            self.state = state
            if counted and state is not None:
                self.health.add(state)
                self.history.add(state)
            if status is not None:
                self.status = status
            self.publish()
