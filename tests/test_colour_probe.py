"""Asking the terminal for 24-bit colour: fake terminals on a pty that answer, or do not."""

from __future__ import annotations

import os
import select
import termios
import threading

import pytest

from flowtop.tracker.render.palette import resolve_mode
from flowtop.tui.app.colour_probe import (
    QUERIES,
    answer_says_truecolor,
    colour_environment,
    environment_decides,
    probe_truecolor,
)

DA1 = b"\x1b[?62;22c"


class FakeTerminal:
    """The terminal side of a pty: reads the queries and writes `answer` once they are all
    in (or nothing, if `answer` is empty). The program side is `fd`, a tty."""

    def __init__(self, answer: bytes) -> None:
        self.master, self.fd = os.openpty()
        self.answer, self.heard = answer, b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.heard.endswith(b"\x1b[c"):
            if not select.select([self.master], [], [], 10.0)[0]:
                return
            self.heard += os.read(self.master, 1024)
        if self.answer:
            os.write(self.master, self.answer)

    def close(self) -> None:
        self.thread.join(timeout=10)
        os.close(self.master)
        os.close(self.fd)


@pytest.fixture
def terminal(request):
    fake = FakeTerminal(request.param)
    yield fake
    fake.close()


@pytest.mark.parametrize(("terminal", "expected"), [
    (b"\x1bP1+r524742=382F382F38\x1b\\\x1bP0+r5463\x1b\\" + DA1, True),  # XTGETTCAP RGB
    (b"\x1bP0+r524742\x1b\\\x1bP1+r5463\x1b\\" + DA1, True),  # tmux-style Tc
    (b"\x1bP1$r0;48:2::1:2:3m\x1b\\" + DA1, True),  # DECRQSS gives the colour back
    (b"\x1bP1$r48;5;16m\x1b\\" + DA1, False),  # the colour was mapped to the palette
    (DA1, False),  # answers only what every terminal answers
], indirect=["terminal"])
def test_a_terminal_that_answers(terminal, expected):
    assert probe_truecolor(terminal.fd, terminal.fd, timeout=10.0) is expected
    assert terminal.heard == QUERIES.encode()


@pytest.mark.parametrize("terminal", [b""], indirect=True)
def test_a_terminal_that_does_not_answer_times_out_and_is_restored(terminal):
    before = termios.tcgetattr(terminal.fd)
    assert probe_truecolor(terminal.fd, terminal.fd, timeout=0.2) is None
    assert termios.tcgetattr(terminal.fd) == before  # canonical mode and echo are back
    assert resolve_mode("auto", {"TERM": "xterm-256color"}, truecolor=None) == "256"


def test_answers_read_in_pieces_and_forms():
    assert answer_says_truecolor(b"\x1bP1$r48;2;1;2;3m\x1b\\") is True
    assert answer_says_truecolor(b"\x1bP1$r48:2:1:2:3m\x1b\\") is True  # no colour space id
    assert answer_says_truecolor(b"\x1bP1$r48;2;9;9;9m\x1b\\" + DA1) is False  # not ours
    assert answer_says_truecolor(b"\x1bP0$r\x1b\\") is None  # incomplete: no DA1 yet
    assert answer_says_truecolor(b"") is None


@pytest.mark.parametrize(("env", "decides"), [
    ({"TERM": "xterm-256color"}, False),  # what ssh gives: ask
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, True),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True),
    ({"TERM": "dumb"}, True),
    ({}, True),
    ({"TERM": "xterm-direct"}, True),
])
def test_asks_only_when_the_environment_says_nothing(env, decides):
    assert environment_decides(env) is decides


def test_auto_takes_the_terminals_answer():
    ssh = {"TERM": "xterm-256color"}
    assert resolve_mode("auto", ssh, truecolor=True) == "truecolor"
    assert resolve_mode("auto", ssh, truecolor=False) == "256"
    assert resolve_mode("auto", {**ssh, "NO_COLOR": "1"}, truecolor=True) == "ascii"
    assert resolve_mode("256", ssh, truecolor=True) == "256"


@pytest.mark.parametrize(("env", "truecolor", "mode", "after"), [
    ({"TERM": "xterm-256color"}, True, "auto", {"COLORTERM": "truecolor"}),
    ({"TERM": "xterm-256color"}, None, "truecolor", {"COLORTERM": "truecolor"}),
    ({"TERM": "xterm-256color"}, False, "auto", {}),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True, "auto", {}),
    ({"TERM": "dumb"}, None, "auto", {"NO_COLOR": "1"}),
    ({}, None, "256", {"NO_COLOR": "1"}),
])
def test_textual_is_told_what_the_terminal_takes(env, truecolor, mode, after):
    environ = dict(env)
    colour_environment(environ, truecolor, mode)
    assert environ == {**env, **after}
