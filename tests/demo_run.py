"""The default demo (640x360, 30 fps) tracked with the default parameters, frame by frame: one
run shared by the tests that only read its states (made once per test run, see
`session_store`). The states keep every field but the image."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from session_store import stored

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import DemoSource

FRAMES = 300  # 10 s: every vehicle crosses the picture wholly
NO_IMAGE = np.zeros((0, 0, 3), np.uint8)


def track_demo(frames: int = FRAMES) -> list[TrackState]:
    source = DemoSource(paced=False, frames=frames)
    tracker = Tracker(Params())
    return [replace(tracker.update(frame), image=NO_IMAGE) for frame in iter(source.read, None)]


def demo_states(folder: Path) -> list[TrackState]:
    """The run's states, made once for every process sharing `folder`."""
    return stored(folder / f"demo-run-{FRAMES}.pickle", track_demo)
