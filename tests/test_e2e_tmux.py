"""End to end: the real `flowtop --source demo` in tmux, read with capture-pane: at 160x50
with the panels beside the picture, and at 80x24 (the default SSH window, 256 colours, no
COLORTERM) with views. Each test has a tmux server of its own (its socket in the test's
folder), so tests in parallel never share one."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from waiting import HANG_GUARD_S

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (CI installs it: apt tmux)")


class Tmux:
    """A tmux server of one test's own (listening on `socket`) with one session, `name`."""

    def __init__(self, socket: Path, name: str) -> None:
        self.socket, self.name = socket, name

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, check=True).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.name)

    def wait_screen(self, pattern: str, timeout: float = HANG_GUARD_S) -> str:
        """The screen once `pattern` is on it (a hang guard, not a timing assertion)."""
        end = time.monotonic() + timeout
        text = ""
        while time.monotonic() < end:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not on screen after {timeout}s:\n{text}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], check=False,
                       capture_output=True)


def start(tmp_path: Path, cols: int, rows: int, colorterm: str = "") -> tuple[Tmux, Path]:
    tmux = Tmux(tmp_path / "tmux.sock", f"flowtop-e2e-{uuid.uuid4().hex[:8]}")
    exit_file = tmp_path / "exit"
    script = Path(sys.executable).with_name("flowtop")  # the install under test, not PATH's
    flowtop = script if script.exists() else f"{sys.executable} -m flowtop.tui.cli"
    # pytest exports COLUMNS/LINES, which Textual would take over the pane's real size
    env = f"env -u COLUMNS -u LINES -u COLORTERM TERM=xterm-256color {colorterm}"
    cmd = (f"{env} {flowtop} --source demo --config {tmp_path / 'c.toml'}; "
           f"echo $? > {exit_file}; sleep 30")
    (tmp_path / "c.toml").write_text("")
    tmux("-f", "/dev/null", "new-session", "-d", "-s", tmux.name, "-x", str(cols), "-y",
         str(rows), cmd)
    return tmux, exit_file


@pytest.fixture
def session(tmp_path: Path):
    tmux, exit_file = start(tmp_path, 160, 50, "COLORTERM=truecolor")
    try:
        yield tmux, exit_file
    finally:
        tmux.kill()


@pytest.fixture
def small(tmp_path: Path):
    tmux, exit_file = start(tmp_path, 80, 24)
    try:
        yield tmux, exit_file
    finally:
        tmux.kill()


def quit_with_q(tmux: Tmux, exit_file: Path) -> None:
    tmux("send-keys", "-t", tmux.name, "q")
    end = time.monotonic() + HANG_GUARD_S
    while not exit_file.exists() and time.monotonic() < end:
        time.sleep(0.1)
    assert exit_file.exists(), "flowtop did not exit on q"
    assert exit_file.read_text().strip() == "0"


@pytest.mark.slow
def test_flowtop_at_80x24_over_ssh(small) -> None:
    """The default SSH window: the picture fills it, the run state and the keys show."""
    tmux, exit_file = small
    tmux.wait_screen(r"(?m)^ LIVE ")
    text = tmux.wait_screen(r"(▀[^▀]*){500}")  # the first frames drawn
    lines = text.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert text.count("▀") > 500, text  # the picture has the screen
    assert "? help" in lines[-1] and "q quit" in lines[-1], lines[-1]
    tmux("send-keys", "-t", tmux.name, "space")
    tmux.wait_screen(r"(?m)^ PAUSED ")
    assert "space resume" in tmux.screen()
    tmux("send-keys", "-t", tmux.name, "2")
    tmux.wait_screen(r"moving · median")  # the speeds view
    tmux("send-keys", "-t", tmux.name, "1")
    tmux.wait_screen(r"▀")
    quit_with_q(tmux, exit_file)


@pytest.mark.slow
def test_flowtop_demo_in_tmux(session) -> None:
    tmux, exit_file = session
    tmux.wait_screen(r"LIVE")
    # tracks and speeds settle: the picture drawn, moving points and the tracking rate shown
    text = tmux.wait_screen(r"(?s)(?=.*\d+ moving · median \d+\.\d)(?=.*trk\s+\d+\.\d fps)"
                            r"(?=(.*?▀){2001})")
    assert text.count("▀") > 2000, text
    assert re.search(r"\d+ moving · median \d+\.\d", text), text
    assert re.search(r"trk\s+\d+\.\d fps", text), text
    assert "demo 640x360" in text
    tmux("send-keys", "-t", tmux.name, "space")
    tmux.wait_screen(r"PAUSED")
    quit_with_q(tmux, exit_file)
