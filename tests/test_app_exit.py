"""Quitting ends the tracking thread whatever the moment: the process waits for that thread
at exit, so one left running hangs `q` (seen once in 36 starts quit at the first frame)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.worker import Worker
from waiting import HANG_GUARD_S, wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp

ENDS_WITHIN_S = 10.0  # a paced demo frame is 33 ms: the loop sees the exit at its next one


def watched_app(tmp_path: Path) -> tuple[FlowtopApp, threading.Event]:
    """The app on the live demo, and an event set when its tracking loop returns."""
    app = FlowtopApp(source=DemoSource(fps=30, scene=DemoScene(320, 180)), params=Params(),
                     config_path=tmp_path / "flowtop.toml")
    ended, run = threading.Event(), app.loop.run

    def run_then_say(cancelled: Callable[[], bool]) -> None:
        try:
            run(cancelled)
        finally:
            ended.set()

    app.loop.run = run_then_say  # type: ignore[method-assign]
    return app, ended


def tracking_workers(app: FlowtopApp) -> list[Worker]:
    return [w for w in app.workers if w.group == "tracking" and w.is_running]


@contextlib.contextmanager
def uncancelled(monkeypatch, worker: Worker) -> Iterator[None]:
    """Inside, Textual cancels no worker (as for one started during its shutdown); after,
    `worker` is cancelled, so that a failing test does not hang at its end."""
    monkeypatch.setattr(Worker, "cancel", lambda self: None)
    try:
        yield
    finally:
        monkeypatch.undo()
        worker.cancel()

@pytest.mark.slow
async def test_exit_ends_tracking_that_textual_never_cancels(tmp_path: Path,
                                                              monkeypatch) -> None:
    """A worker started while Textual shuts down is never cancelled: exit alone ends it."""
    app, ended = watched_app(tmp_path)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.snapshot.state is not None, "a tracked frame")
        (worker,) = tracking_workers(app)
        with uncancelled(monkeypatch, worker):
            app.exit()
            done = await asyncio.to_thread(ended.wait, ENDS_WITHIN_S)
        assert done, "the tracking loop still ran after exit"


@pytest.mark.slow
async def test_a_start_after_exit_starts_no_tracking(tmp_path: Path) -> None:
    """Tracking starts after the first refresh; a quit before that leaves nothing running."""
    app, ended = watched_app(tmp_path)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: tracking_workers(app), "tracking started")
        before = tracking_workers(app)
        app.exit()
        app._start()  # what Textual runs after a refresh, here after the exit
        assert tracking_workers(app) == before
    assert await asyncio.to_thread(ended.wait, HANG_GUARD_S)


@pytest.mark.slow
async def test_a_crash_inside_the_app_ends_tracking_too(tmp_path: Path, monkeypatch) -> None:
    """Textual ends the app on an unhandled error without `exit`: unmounting ends it."""
    app, ended = watched_app(tmp_path)
    with contextlib.ExitStack() as after_the_app:  # the wait comes once the app has ended
        with pytest.raises(ZeroDivisionError):
            async with app.run_test() as pilot:
                await wait_for(pilot, lambda: app.snapshot.state is not None, "a tracked frame")
                (worker,) = tracking_workers(app)
                after_the_app.enter_context(uncancelled(monkeypatch, worker))
                app.call_later(lambda: 1 / 0)
        done = await asyncio.to_thread(ended.wait, ENDS_WITHIN_S)
    assert done, "the tracking loop still ran after the app ended"


@pytest.mark.slow
async def test_ctrl_c_quits_as_q_does(tmp_path: Path) -> None:
    """Over SSH Ctrl-C reaches the app as a key, not a signal: it quits, as in top."""
    app, ended = watched_app(tmp_path)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: tracking_workers(app), "tracking started")
        assert app.return_code is None
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.return_code is not None, "the app quitting")
        assert app.return_code == 0
    assert await asyncio.to_thread(ended.wait, HANG_GUARD_S)
