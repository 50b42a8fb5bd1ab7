"""Snapshots wake the app only when the preview may draw them or the run state changed; one
that did not wake it is still shown (a source that stops delivering keeps its last frame)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from pathlib import Path

from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, LoopStatus, RunState, Snapshot
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.app.inbox import Inbox
from flowtop.tui.preview.widget import Preview


def snapshot(serial: int, state: RunState = RunState.LIVE) -> Snapshot:
    return Snapshot(None, LoopStatus(state=state), serial=serial)


def test_a_snapshot_wakes_the_app_once_the_preview_may_draw_or_the_state_changes():
    inbox = Inbox()
    assert inbox.put(snapshot(1))  # the first always
    inbox.wake_from(time.monotonic() + 60)
    assert not inbox.put(snapshot(2))  # the preview drew a moment ago
    assert not inbox.put(snapshot(3))
    taken = inbox.take()
    assert taken is not None and taken.serial == 3  # the newest waited, once
    assert inbox.take() is None
    assert inbox.put(snapshot(4, RunState.PAUSED))  # a state change: at once
    assert not inbox.put(snapshot(5, RunState.PAUSED))
    inbox.wake_from(time.monotonic() - 1)
    assert inbox.put(snapshot(6, RunState.PAUSED))  # due: woken
    inbox.wake_from(-math.inf)
    assert inbox.put(snapshot(7, RunState.PAUSED))


class StallingSource(DemoSource):
    """A camera that delivers `burst` frames `gap_s` apart, then nothing for a while (it
    stays open: the app stays LIVE)."""

    def __init__(self, burst: int, gap_s: float, stall_s: float = 8.0) -> None:
        super().__init__(fps=30, paced=False, scene=DemoScene(320, 180))
        self.burst, self.gap_s, self.stall_s = burst, gap_s, stall_s
        self.delivered = 0
        self._closed = threading.Event()

    def read(self) -> Frame | None:
        if self.delivered >= self.burst:
            self._closed.wait(self.stall_s)
            return None
        if self.delivered:
            self._closed.wait(self.gap_s)
        self.delivered += 1
        return super().read()

    def close(self) -> None:
        self._closed.set()
        super().close()


async def test_frames_the_preview_cannot_draw_yet_do_not_wake_the_app_and_still_show(
        tmp_path: Path) -> None:
    """At 1 preview frame a second, frames 0.3 s apart after the first do not wake the app;
    the last one before the source stalls is still drawn (taken by a bar tick, drawn when
    the preview's turn comes)."""
    source = StallingSource(burst=3, gap_s=0.3)
    params = replace(Params(), preview=replace(Params().preview, fps=1.0))
    app = FlowtopApp(source=source, params=params, config_path=tmp_path / "c.toml")
    posted: list[int] = []
    post = app.post_message

    def counting(message):
        if isinstance(message, FlowtopApp.Published):
            posted.append(1)
        return post(message)

    app.post_message = counting  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        preview = app.query_one(Preview)
        await wait_for(pilot, lambda: preview.drawn_index == source.burst - 1, timeout=5.0)
        assert app.snapshot.status.state == RunState.LIVE  # stalled, not ended
        assert len(posted) == 1  # the first frame only
        source.close()
