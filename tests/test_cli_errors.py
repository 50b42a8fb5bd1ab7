"""Bad input ends with one line on stderr and exit code 2, never a traceback, before any UI:
the real command as a process, unreadable files, and streams that never answer. The matrix of
every command x every bad input runs in process in test_adversarial.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import SilentServer

from flowtop.tui.cli.main import main

HANG_GUARD_S = 60  # a run that takes this long has hung; the open timeout is 5 s


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(cwd / "config-home"), "HOME": str(cwd),
           "TERM": "xterm-256color"}
    env.pop("OPENCV_LOG_LEVEL", None)
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    return subprocess.run([sys.executable, "-m", "flowtop.tui.cli", *args], check=False, cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD_S,
                          stdin=subprocess.DEVNULL)


def assert_one_line_error(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("flowtop: ") and says in lines[0], lines[0]
    assert result.returncode == 2
    assert result.stdout == "", "output before the error"
    assert "\x1b" not in result.stderr + result.stdout, "the UI started"


@pytest.mark.parametrize("argv", [["track", "missing.mp4"], ["--source", "missing.mp4"]],
                         ids=["track", "ui"])
def test_the_real_command_refuses_in_one_line(argv: list[str], tmp_path: Path) -> None:
    """The installed entry point, as a process: one line, code 2, and the UI never drew.
    (Every bad input, per command, runs in process: test_adversarial.py.)"""
    assert_one_line_error(run_cli(argv, tmp_path), "no such file: missing.mp4")


@pytest.mark.parametrize("entry", ["track", "ui"])
def test_unreadable_file(entry: str, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root, which reads any file: chmod 000 cannot make one "
                    "unreadable (test_unreadable_file_in_process covers the check)")
    path = tmp_path / "locked.mp4"
    path.write_bytes(b"\0" * 1024)
    path.chmod(0)
    argv = ["track", "locked.mp4"] if entry == "track" else ["--source", "locked.mp4"]
    assert_one_line_error(run_cli(argv, tmp_path), "cannot read locked.mp4: permission denied")


def test_unreadable_file_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "locked.mp4"
    path.write_bytes(b"\0" * 1024)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == path
                        else real_access(p, mode))
    assert main(["track", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"flowtop: cannot read {path}: permission denied\n"


@pytest.fixture
def silent_server() -> Iterator[int]:
    server = SilentServer()
    yield server.port
    server.close()


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_url_that_never_answers_fails_after_the_open_timeout(
        scheme: str, silent_server: int, tmp_path: Path) -> None:
    url = f"{scheme}://127.0.0.1:{silent_server}/stream"
    result = run_cli(["track", url], tmp_path)  # the hang guard fails the test if it hangs
    assert_one_line_error(result, f"cannot open stream {url}")
