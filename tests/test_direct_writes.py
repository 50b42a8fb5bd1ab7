"""The preview writes its changed cells straight to the terminal where nothing covers it: what
lands on screen must be what the compositor paints from the same strips, and anything drawn
over the picture (a toast, a dialog) sends the preview back through the compositor."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver

from flowtop.tracker.config.params import Params
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.preview.internals import place_direct
from flowtop.tui.preview.tile import PreviewTile
from flowtop.tui.preview.widget import Preview


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_for_screen(name: str, pattern: str, timeout: float = 20.0) -> str:
    end, text = time.monotonic() + timeout, ""
    while time.monotonic() < end:
        text = tmux("capture-pane", "-p", "-t", name)
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not on screen after {timeout}s:\n{text}")


@pytest.mark.skipif(shutil.which("tmux") is None,
                    reason="tmux is not installed (CI installs it: apt tmux)")
def test_the_written_picture_is_the_one_the_compositor_paints(tmp_path: Path) -> None:
    """Frames drawn live (direct writes) leave the screen a full repaint from the strips
    gives back cell for cell, colours included: pause, read the pane, open and close help
    (the compositor repaints the whole screen), read it again."""
    name = f"flowtop-direct-{uuid.uuid4().hex[:8]}"
    script = Path(sys.executable).with_name("flowtop")  # the install under test, not PATH's
    flowtop = script if script.exists() else f"{sys.executable} -m flowtop.tui.cli"
    (tmp_path / "c.toml").write_text("")
    cmd = (f"env -u COLUMNS -u LINES -u COLORTERM TERM=xterm-256color {flowtop} "
           f"--source demo --config {tmp_path / 'c.toml'}; sleep 30")
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd)
    try:
        wait_for_screen(name, r"(?m)^ LIVE ")
        wait_for_screen(name, r"(▀[^▀]*){800}")
        time.sleep(1.5)  # frames drawn live, on top of the first full paint
        tmux("send-keys", "-t", name, "space")
        wait_for_screen(name, r"(?m)^ PAUSED ")
        time.sleep(0.5)
        written = tmux("capture-pane", "-e", "-p", "-t", name).splitlines()[:27]
        tmux("send-keys", "-t", name, "?")
        wait_for_screen(name, r"(?i)keys")
        tmux("send-keys", "-t", name, "Escape")
        time.sleep(1.0)
        painted = tmux("capture-pane", "-e", "-p", "-t", name).splitlines()[:27]
        assert sum(line.count("▀") for line in written) > 800
        assert written == painted
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


async def test_a_toast_over_the_picture_sends_it_through_the_compositor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda self: False))
    written: list[str] = []
    source = DemoSource(fps=30, paced=False, frames=400, scene=DemoScene(320, 180))
    app = FlowtopApp(source=source, params=Params(), config_path=tmp_path / "c.toml")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        monkeypatch.setattr(app._driver, "write", written.append)
        preview = app.query_one(Preview)
        tiles = list(preview.query(PreviewTile))
        await pilot.pause(0.3)
        places = place_direct(preview, tiles)
        assert places is not None and len(places) == len(tiles)
        assert [r.x for r in places] == sorted(r.x for r in places)
        end = time.monotonic() + 10
        while preview.direct_draws == 0 and time.monotonic() < end:
            await pilot.pause(0.05)
        assert preview.direct_draws > 0
        assert any("▀" in text for text in written)
        app.notify("a toast over the picture", timeout=30)
        await pilot.pause(0.3)
        assert place_direct(preview, tiles) is None
        drawn, frames = preview.direct_draws, preview.frames_drawn
        await pilot.pause(0.5)
        assert preview.direct_draws == drawn  # the picture still moves, through the compositor
        assert preview.frames_drawn > frames


def test_direct_writes_move_the_cursor_as_rich_does() -> None:
    """write_direct spells the cursor moves itself; they must be what Rich's Control writes."""
    from types import SimpleNamespace

    from rich.control import Control
    from textual.geometry import Offset, Size

    from flowtop.tui.preview.internals import SYNC_END, SYNC_START, write_direct

    out: list[str] = []
    app = SimpleNamespace(_driver=SimpleNamespace(write=out.append), _sync_available=True,
                          screen=SimpleNamespace(outer_size=Size(100, 30)),
                          cursor_position=Offset(3, 4))
    write_direct(app, [(0, 0, "a"), (17, 9, "bc"), (99, 29, "d")])  # type: ignore[arg-type]
    expected = [SYNC_START]
    for x, y, text in [(0, 0, "a"), (17, 9, "bc"), (99, 29, "d")]:
        expected += [Control.move_to(x, y).segment.text, text]
    expected += [Control.move_to(3, 4).segment.text, SYNC_END]
    assert out == ["".join(expected)]
