"""A dropped session must not kill Textual's writer thread (which would hang the app)."""

from __future__ import annotations

import io
import sys
import threading

from textual.drivers._writer_thread import WriterThread

from flowtop.tui.preview.internals import HangupSafeStream, hangup_safe_terminal


class HungUpTerminal(io.StringIO):
    """A terminal that fails like a pty whose master is gone."""

    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.left = fail_after

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise OSError(5, "Input/output error")
        self.left -= 1
        return super().write(text)


def test_writes_after_a_hangup_are_dropped_not_raised() -> None:
    stream = HangupSafeStream(HungUpTerminal(fail_after=2))
    assert stream.write("ab") == 2 and stream.write("cd") == 2
    assert stream.write("ef") == 2  # EIO: swallowed
    assert stream.hung_up
    stream.flush()
    assert stream.getvalue() == "abcd"  # attributes pass through to the real stream


def test_textual_writer_thread_survives_and_stops() -> None:
    """With the safe stream, 100 writes after the hangup neither kill the writer thread nor
    block `stop()` (with the raw stream the thread dies and `stop()` waits forever)."""
    writer = WriterThread(HangupSafeStream(HungUpTerminal(fail_after=1)))  # type: ignore[arg-type]
    writer.start()

    def app_side() -> None:
        for i in range(100):
            writer.write(f"frame {i}\n")
        writer.stop()

    app = threading.Thread(target=app_side, daemon=True)
    app.start()
    app.join(timeout=10)
    assert not app.is_alive(), "the app side blocked: the writer thread died"
    assert not writer.is_alive()


def test_the_driver_stream_is_swapped_only_inside() -> None:
    before = sys.__stderr__
    with hangup_safe_terminal() as safe:
        assert sys.__stderr__ is safe
    assert sys.__stderr__ is before
