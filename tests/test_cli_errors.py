"""Bad input ends with one line on stderr and exit code 2, never a traceback, before any UI.

Every case runs `python -m flowtop.tui.cli` in a subprocess, as `flowtop track ...` and, where it
applies, as the UI entry `flowtop --source ...` (which must fail before Textual starts).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowtop.tui.cli.main import main

HANG_GUARD_S = 60  # a run that takes this long has hung; the open timeout is 5 s


@dataclass(frozen=True)
class Case:
    """argv for `track` (the source first) and the words the error line must contain.

    `ui` False: the case has no UI form (output files are a `track` option).
    """

    name: str
    source: str = "demo"
    extra: tuple[str, ...] = ()
    says: str = ""
    ui: bool = True
    setup: Callable[[Path], None] | None = None


def write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def make(tmp: Path) -> None:
        path = tmp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())

    return make


CASES = [
    Case("missing file", "missing.mp4", says="no such file: missing.mp4"),
    Case("non-video file", "garbage.mp4", says="not a video OpenCV can decode",
         setup=write("garbage.mp4", bytes(range(256)) * 64)),
    Case("text file", "notes.txt", says="not a video", setup=write("notes.txt", "hello\n")),
    Case("empty file", "empty.avi", says="not a video", setup=write("empty.avi", b"")),
    Case("directory", "adir", says="adir is a directory",
         setup=lambda tmp: (tmp / "adir").mkdir()),
    Case("empty glob", "frames/*.png", says="no files match 'frames/*.png'"),
    Case("camera path that does not exist", "/dev/video9", says="/dev/video9 does not exist"),
    Case("camera index that does not open", "7", says="camera 7 does not open"),
    Case("bad URL, refused", "rtsp://127.0.0.1:9/x", says="cannot open stream"),
    Case("malformed TOML", extra=("--config", "bad.toml"), says="malformed TOML in bad.toml",
         setup=write("bad.toml", "[lk\nwin_size = 3\n")),
    Case("config not found", extra=("--config", "nope.toml"), says="config file not found"),
    Case("unknown section", extra=("--config", "sec.toml"), says="unknown section [camera]",
         setup=write("sec.toml", "[camera]\nindex = 1\n")),
    Case("unknown key", extra=("--config", "key.toml"), says="unknown key lk.window",
         setup=write("key.toml", "[lk]\nwindow = 15\n")),
    Case("out of range in config", extra=("--config", "big.toml"),
         says="lk.win_size: 999 is out of range [5, 61]",
         setup=write("big.toml", "[lk]\nwin_size = 999\n")),
    Case("wrong type in config", extra=("--config", "type.toml"),
         says="lk.win_size: expected a whole number, got 'big'",
         setup=write("type.toml", '[lk]\nwin_size = "big"\n')),
    Case("section not a table", extra=("--config", "flat.toml"), says="[lk] must be a table",
         setup=write("flat.toml", "lk = 3\n")),
    Case("--set out of range", extra=("--set", "lk.win_size=999"), says="out of range"),
    Case("--set wrong type", extra=("--set", "lk.win_size=big"),
         says="cannot read 'big' as int"),
    Case("--set unknown key", extra=("--set", "lk.window=3"), says="unknown key 'lk.window'"),
    Case("--set without =", extra=("--set", "lk.win_size"),
         says="expected section.key=value"),
    Case("--set bad choice", extra=("--set", "speed.unit=furlongs"), says="is not one of"),
    Case("unwritable --out", extra=("--out", "no/such/dir/x.csv"),
         says="folder no/such/dir does not exist", ui=False),
    Case("existing --out without --force", extra=("--out", "old.csv"),
         says="--out old.csv exists; pass --force", ui=False,
         setup=write("old.csv", "precious\n")),
    Case("--out is a directory", extra=("--out", "adir"), says="--out adir is a directory",
         ui=False, setup=lambda tmp: (tmp / "adir").mkdir()),
    Case("negative --frames", extra=("--frames", "-3"), says="must be at least 0",
         ui=False),
    Case("--fps not a finite positive number", extra=("--fps", "nan"),
         says="--fps: must be a finite number above 0"),
]


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


def argv(case: Case, entry: str) -> list[str]:
    if entry == "track":
        return ["track", case.source, *case.extra]
    return ["--source", case.source, *case.extra]


@pytest.mark.parametrize("entry", ["track", "ui"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, entry: str, tmp_path: Path) -> None:
    if entry == "ui" and not case.ui:
        pytest.skip("a `track` option; the UI has no such flag")
    if case.setup:
        case.setup(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = run_cli(argv(case, entry), tmp_path)
    assert_one_line_error(result, case.says)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before, "a failed run created or changed files"


@pytest.mark.parametrize("entry", ["track", "ui"])
def test_unreadable_file(entry: str, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root, which reads any file: chmod 000 cannot make one "
                    "unreadable (test_unreadable_file_in_process covers the check)")
    path = tmp_path / "locked.mp4"
    path.write_bytes(b"\0" * 1024)
    path.chmod(0)
    case = Case("unreadable", "locked.mp4")
    assert_one_line_error(run_cli(argv(case, entry), tmp_path),
                          "cannot read locked.mp4: permission denied")


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
    """A TCP port that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_url_that_never_answers_fails_after_the_open_timeout(
        scheme: str, silent_server: int, tmp_path: Path) -> None:
    url = f"{scheme}://127.0.0.1:{silent_server}/stream"
    result = run_cli(["track", url], tmp_path)  # the hang guard fails the test if it hangs
    assert_one_line_error(result, f"cannot open stream {url}")
