"""Terminals without colour get none: TERM=dumb, NO_COLOR, `--color ascii` (UI and snapshot)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

from flowtop.tui.app.colour_probe import QUERIES
from flowtop.tui.cli.main import main

FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def colour_params(output: bytes) -> list[str]:
    """The SGR parameters in `output` that set a colour (39/49, the defaults, do not)."""
    found = []
    for params in SGR.findall(output):
        numbers = [int(p) for p in re.split(rb"[;:]", params) if p]
        for n in numbers:
            if n in (38, 48) or 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 \
                    or 100 <= n <= 107:
                found.append(params.decode())
                break
    return found


def environment(**changes: str | None) -> dict[str, str]:
    # pytest exports COLUMNS/LINES, which would override the pty's size
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_ui_in_pty(env: dict[str, str], wait_for: bytes, timeout: float = 60.0,
                  answer: bytes = b"") -> bytes:
    """All `flowtop --source demo` writes to a 160x50 pty until `wait_for` shows, then `q`.
    The terminal gives `answer` to the colour queries (none if empty)."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    proc = subprocess.Popen([*FLOWTOP, "--source", "demo", "--config", os.devnull],
                            stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    out, quit_sent, answered = b"", False, not answer
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end and proc.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:  # the program closed the terminal
                    break
            if not answered and QUERIES.encode() in out:
                os.write(master, answer)
                answered = True
            if not quit_sent and wait_for in out:
                os.write(master, b"q")
                quit_sent = True
        assert quit_sent, f"{wait_for!r} never shown: {out[-2000:]!r}"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("env", [
    environment(TERM="dumb", COLORTERM=None, NO_COLOR=None),
    environment(TERM="xterm-256color", COLORTERM=None, NO_COLOR="1"),
], ids=["TERM=dumb", "NO_COLOR"])
def test_the_ui_sends_no_colour(env):
    out = run_ui_in_pty(env, b"LIVE")
    assert b"pts" in out  # the status bar was drawn
    assert colour_params(out) == []


@pytest.mark.slow
def test_the_ui_sends_colour_on_a_colour_terminal():
    """The check above can fail: on xterm-256color the UI writes 256 colours (the query
    for 24-bit colour goes unanswered by this pty)."""
    out = run_ui_in_pty(environment(TERM="xterm-256color", COLORTERM=None, NO_COLOR=None),
                        b"LIVE")
    params = colour_params(out)
    assert any("38;5;" in p or "48;5;" in p for p in params)
    assert sum("48;2;" in p for p in params) <= 1  # the query's own colour, reset at once


@pytest.mark.slow
def test_a_terminal_that_says_truecolor_gets_truecolor():
    """Over ssh (no COLORTERM), a terminal that answers XTGETTCAP RGB gets 24-bit colour:
    the preview and Textual's own drawing."""
    out = run_ui_in_pty(environment(TERM="xterm-256color", COLORTERM=None, NO_COLOR=None),
                        b"LIVE", answer=b"\x1bP1+r524742\x1b\\\x1b[?62;22c")
    params = colour_params(out)
    assert sum("48;2;" in p for p in params) > 100
    assert not any("38;5;" in p or "48;5;" in p for p in params)


@pytest.mark.parametrize(("args", "env"), [
    (["--color", "ascii"], {}),
    ([], {"TERM": "dumb"}),
    ([], {"NO_COLOR": "1"}),
])
def test_snapshot_without_colour_has_no_escape_code(args, env, monkeypatch, capsys):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["snapshot", "demo", "--frame", "3", "--size", "40x12", *args]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    rows = out.split("\n")[:-1]
    assert len(rows) == 12 and all(len(row) == 40 for row in rows)
