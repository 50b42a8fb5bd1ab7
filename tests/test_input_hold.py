"""A key holds tracking back until the UI has answered it (or a short while at most)."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from textual import events

from flowtop.tracker.config.params import Params
from flowtop.tracker.runtime.input_hold import InputHold
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp


def test_wait_is_free_when_nobody_asked() -> None:
    hold = InputHold()
    hold.wait()
    assert hold.held_s == 0.0


def test_a_hold_lasts_until_released() -> None:
    hold = InputHold(max_s=5.0)
    hold.ask()
    waited = threading.Event()

    def tracking() -> None:
        hold.wait()
        waited.set()

    thread = threading.Thread(target=tracking)
    thread.start()
    assert not waited.wait(0.2)  # held
    hold.release()
    assert waited.wait(2.0)
    thread.join()
    assert hold.held_s >= 0.2


def test_a_hold_nobody_releases_expires() -> None:
    now = [0.0]
    hold = InputHold(max_s=0.05, clock=lambda: now[0])
    hold.ask()
    now[0] = 0.06  # past the hold: wait returns without sleeping
    hold.wait()
    hold.wait()  # and the hold is gone


async def test_a_key_holds_tracking_until_the_app_answered_it(tmp_path: Path) -> None:
    source = DemoSource(fps=30, paced=False, frames=10_000, scene=DemoScene(320, 180))
    app = FlowtopApp(source=source, params=Params(), config_path=tmp_path / "c.toml")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        hold = app.loop.input_hold
        hold.max_s = 30.0  # only the app's answer ends it within the test
        asked: list[bool] = []
        app._on_input(events.Key("space", " "))  # what the input thread calls first
        asked.append(hold.asked)
        await pilot.press("space")  # the app answers the key: paused, and the hold let go
        await pilot.pause(0.1)
        assert asked == [True]
        assert not hold.asked
        assert app.loop.paused
        app._on_input(events.MouseMove(None, 1, 1, 0, 0, 0, False, False, False))
        assert not hold.asked  # the mouse holds nothing back


def test_a_replay_pass_waits_where_the_live_tracker_does() -> None:
    """Each pass of a replay makes a new tracker: it calls the loop's hold between stages too."""
    from flowtop.tracker.runtime.replay import ReplaySession
    from flowtop.tracker.runtime.rewind import record_clip

    source = DemoSource(fps=30, paced=False, frames=12, scene=DemoScene(160, 90))
    clip = record_clip(iter(source.read, None), quality=80)
    calls: list[int] = []
    session = ReplaySession(clip, Params(), paced=False,
                            between_stages=lambda: calls.append(1))
    session.tracker.update(clip[0].decode())
    assert calls  # the pass's tracker waits where asked
    first = session.tracker
    params = Params()
    session.set_params(dataclasses.replace(params, lk=dataclasses.replace(params.lk,
                                                                          win_size=21)),
                       hold=False)  # tracking changed: a new pass, a new tracker
    assert session.tracker is not first
    before = len(calls)
    session.tracker.update(clip[1].decode())
    assert len(calls) > before
