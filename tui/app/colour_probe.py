"""Ask the terminal whether it shows 24-bit colour, once, before the UI takes it.

ssh does not forward COLORTERM, so a truecolor terminal reached over SSH looks like a
256-colour one. Three queries go out at once, and the terminal answers in order:

- XTGETTCAP `RGB` and `Tc` (DCS + q hex ST): terminals with direct colour say so;
- a truecolor background set, then read back with DECRQSS (DCS $ q m ST): a terminal that
  keeps 24-bit colours gives back the same three numbers (one that maps them to its
  palette gives back 48;5;n, or nothing);
- Primary Device Attributes (CSI c), which every terminal answers: once its answer is in,
  every answer that was coming is in, so a terminal that ignores the first two costs one
  round trip, not the whole timeout.

The terminal is in non-canonical mode without echo while the answers are read (select,
with a timeout), then restored. A terminal that answers nothing leaves the answer unknown,
and `auto` follows TERM.
"""

from __future__ import annotations

import os
import re
import select
import sys
import termios
import time
from collections.abc import Mapping, MutableMapping

# Terminals answer the device-attributes query that ends QUERIES at once, which ends the wait;
# over a slow link the answer takes a round trip, and one that came after the wait would
# reach the UI as keys (it can swallow the next real key): wait long enough for a slow link.
PROBE_TIMEOUT_S = 1.0
PROBE_RGB = (1, 2, 3)  # the background set and read back: unlikely to be in any palette
QUERIES = ("\x1bP+q524742\x1b\\"  # XTGETTCAP RGB
           "\x1bP+q5463\x1b\\"  # XTGETTCAP Tc
           "\x1b[48;2;1;2;3m\x1bP$qm\x1b\\\x1b[0m"  # set, read back (DECRQSS), reset
           "\x1b[c")  # Primary Device Attributes: the last answer
_CAP_YES = re.compile(rb"\x1bP1\+r(524742|5463)")
_SGR_REPORT = re.compile(rb"\x1bP1\$r([0-9;:]*)m")
# 48;2;r;g;b, or with colons 48:2::r:g:b (the colour space id may be there, empty or not)
_DIRECT_BACKGROUND = re.compile(rb"48(?:;2;|:2:(?:\d*:)?)(\d+)[;:](\d+)[;:](\d+)")
_DEVICE_ATTRIBUTES = re.compile(rb"\x1b\[\?[0-9;]*c")


def answer_says_truecolor(answer: bytes) -> bool | None:
    """What the terminal's answer to QUERIES says: True (24-bit colour), False (it answered,
    not that), None (no complete answer)."""
    if _CAP_YES.search(answer):
        return True
    for params in _SGR_REPORT.findall(answer):
        for rgb in _DIRECT_BACKGROUND.findall(params):
            if tuple(int(n) for n in rgb) == PROBE_RGB:
                return True
    return False if _DEVICE_ATTRIBUTES.search(answer) else None


def probe_truecolor(fd_in: int, fd_out: int, timeout: float = PROBE_TIMEOUT_S
                    ) -> bool | None:
    """Send QUERIES to the terminal on `fd_out`, read its answer from `fd_in` (a tty) for at
    most `timeout` seconds: `answer_says_truecolor` of what came."""
    saved = termios.tcgetattr(fd_in)
    quiet = list(saved)
    quiet[3] &= ~(termios.ICANON | termios.ECHO)
    quiet[6] = list(saved[6])
    quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
    answer = b""
    try:
        termios.tcsetattr(fd_in, termios.TCSANOW, quiet)
        os.write(fd_out, QUERIES.encode())
        deadline = time.monotonic() + timeout
        while not _DEVICE_ATTRIBUTES.search(answer):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd_in], [], [], left)[0]:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            answer += chunk
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)
    return answer_says_truecolor(answer)


def environment_decides(environ: Mapping[str, str]) -> bool:
    """Whether the environment settles the colour mode without asking the terminal:
    NO_COLOR, TERM dumb or unset, COLORTERM set, or a -direct TERM."""
    term = environ.get("TERM", "")
    return (bool(environ.get("NO_COLOR")) or term in ("", "dumb") or "COLORTERM" in environ
            or term.endswith("-direct"))


def terminal_truecolor(environ: Mapping[str, str] | None = None,
                       timeout: float = PROBE_TIMEOUT_S) -> bool | None:
    """Ask the terminal (`probe_truecolor`) when stdin and stdout are a tty and the
    environment does not settle it; None when not asked or no answer."""
    env = os.environ if environ is None else environ
    if environment_decides(env):
        return None
    try:
        fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
        if not (os.isatty(fd_in) and os.isatty(fd_out)):
            return None
        sys.stdout.flush()
        return probe_truecolor(fd_in, fd_out, timeout)
    except (OSError, ValueError, termios.error):  # no usable terminal: nothing to ask
        return None


def drop_late_answers() -> None:
    """Discard terminal input not read yet (an answer that came after the timeout), so the
    UI does not take it for keys. Call just before the UI starts reading."""
    try:
        if os.isatty(sys.stdin.fileno()):
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (OSError, ValueError, termios.error):
        pass


def colour_environment(environ: MutableMapping[str, str], truecolor: bool | None,
                       mode: str) -> None:
    """Tell Textual (which reads the environment when the app is made) what the terminal
    takes, so its own drawing and the preview agree:

    - 24-bit colour found by the probe, or `mode` truecolor asked for: COLORTERM=truecolor
      (else Textual writes every colour in 256, the preview's too);
    - TERM dumb or unset: NO_COLOR=1 (Textual then writes default colours only; it takes
      a missing colour system for truecolor otherwise).
    """
    if environ.get("TERM", "") in ("", "dumb"):
        environ.setdefault("NO_COLOR", "1")
    elif not environ.get("NO_COLOR") and (truecolor or mode == "truecolor"):
        environ["COLORTERM"] = "truecolor"
