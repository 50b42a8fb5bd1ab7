"""End to end: the real `flowtop --source demo` in tmux, read with capture-pane: at 160x50
with the panels beside the picture, and at 80x24 (the default SSH window, 256 colours, no
COLORTERM) with views."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (CI installs it: apt tmux)")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_screen(session: str, pattern: str, timeout: float = 20.0) -> str:
    end = time.monotonic() + timeout
    text = ""
    while time.monotonic() < end:
        text = screen(session)
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not on screen after {timeout}s:\n{text}")


def start(tmp_path: Path, cols: int, rows: int, colorterm: str = ""):
    name = f"flowtop-e2e-{uuid.uuid4().hex[:8]}"
    exit_file = tmp_path / "exit"
    flowtop = shutil.which("flowtop") or f"{sys.executable} -m flowtop.tui.cli"
    # pytest exports COLUMNS/LINES, which Textual would take over the pane's real size
    env = f"env -u COLUMNS -u LINES -u COLORTERM TERM=xterm-256color {colorterm}"
    cmd = (f"{env} {flowtop} --source demo --config {tmp_path / 'c.toml'}; "
           f"echo $? > {exit_file}; sleep 30")
    (tmp_path / "c.toml").write_text("")
    tmux("new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), cmd)
    return name, exit_file


@pytest.fixture
def session(tmp_path: Path):
    name, exit_file = start(tmp_path, 160, 50, "COLORTERM=truecolor")
    try:
        yield name, exit_file
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


@pytest.fixture
def small(tmp_path: Path):
    name, exit_file = start(tmp_path, 80, 24)
    try:
        yield name, exit_file
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


def quit_with_q(name: str, exit_file: Path) -> None:
    tmux("send-keys", "-t", name, "q")
    end = time.monotonic() + 15
    while not exit_file.exists() and time.monotonic() < end:
        time.sleep(0.1)
    assert exit_file.exists(), "flowtop did not exit on q"
    assert exit_file.read_text().strip() == "0"


def test_flowtop_at_80x24_over_ssh(small) -> None:
    """The default SSH window: the picture fills it, the run state and the keys show."""
    name, exit_file = small
    wait_screen(name, r"(?m)^ LIVE ")
    text = wait_screen(name, r"(▀[^▀]*){500}")  # the first frames drawn
    lines = text.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert text.count("▀") > 500, text  # the picture has the screen
    assert "? help" in lines[-1] and "q quit" in lines[-1], lines[-1]
    tmux("send-keys", "-t", name, "space")
    wait_screen(name, r"(?m)^ PAUSED ")
    assert "space resume" in screen(name)
    tmux("send-keys", "-t", name, "2")
    wait_screen(name, r"moving · median")  # the speeds view
    tmux("send-keys", "-t", name, "1")
    wait_screen(name, r"▀")
    quit_with_q(name, exit_file)


def test_flowtop_demo_in_tmux(session) -> None:
    name, exit_file = session
    text = wait_screen(name, r"LIVE")
    time.sleep(2.0)  # let tracks and speeds settle
    text = screen(name)
    assert text.count("▀") > 2000, text
    assert re.search(r"\d+ moving · median \d+\.\d", text), text
    assert re.search(r"trk\s+\d+\.\d fps", text), text
    assert "demo 640x360" in text
    tmux("send-keys", "-t", name, "space")
    wait_screen(name, r"PAUSED")
    quit_with_q(name, exit_file)
