"""End to end: the real `flowtop --source demo` in tmux at 160x50, read with capture-pane."""

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


@pytest.fixture
def session(tmp_path: Path):
    name = f"flowtop-e2e-{uuid.uuid4().hex[:8]}"
    exit_file = tmp_path / "exit"
    flowtop = shutil.which("flowtop") or f"{sys.executable} -m flowtop.tui.cli"
    # pytest exports COLUMNS/LINES, which Textual would take over the pane's real size
    cmd = (f"env -u COLUMNS -u LINES TERM=xterm-256color COLORTERM=truecolor {flowtop} "
           f"--source demo --config {tmp_path / 'c.toml'}; echo $? > {exit_file}; sleep 30")
    (tmp_path / "c.toml").write_text("")
    tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "50", cmd)
    try:
        yield name, exit_file
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


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
    tmux("send-keys", "-t", name, "q")
    end = time.monotonic() + 15
    while not exit_file.exists() and time.monotonic() < end:
        time.sleep(0.1)
    assert exit_file.exists(), "flowtop did not exit on q"
    assert exit_file.read_text().strip() == "0"
