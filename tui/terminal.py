"""The terminal stream the app draws on, made safe for a session that drops mid-write."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


class HangupSafeStream:
    """Wraps the terminal stream; once a write or flush fails (EIO: the SSH session or pty is
    gone), later output is dropped instead of raised.

    Textual writes from a thread whose loop has no error handling: one OSError ends it, its
    queue of 30 writes fills, and the app blocks forever when it next writes or shuts down.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.hung_up = False

    def write(self, text: str) -> int:
        if not self.hung_up:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream was closed under us
                self.hung_up = True
        return len(text)

    def flush(self) -> None:
        if not self.hung_up:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.hung_up = True

    def __getattr__(self, name: str) -> object:  # fileno, isatty, encoding, ...
        return getattr(self._stream, name)


@contextmanager
def hangup_safe_terminal() -> Iterator[HangupSafeStream]:
    """While inside, Textual's driver (which draws on `sys.__stderr__`) gets the safe stream."""
    original = sys.__stderr__
    safe = HangupSafeStream(original)  # type: ignore[arg-type]
    sys.__stderr__ = safe  # type: ignore[assignment]
    try:
        yield safe
    finally:
        sys.__stderr__ = original
