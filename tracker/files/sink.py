"""A file descriptor written whole: each `Sink.write` goes out completely, or fails with a
`WriteError` naming the file and the reason after cutting a regular file back to its last
complete line, so what stays on disk still parses line by line.

Pipes, FIFOs and devices are written without blocking: while a reader is slow the sink waits
in short steps and gives up once `cancelled()` turns true, so a stop request is never held up
by a reader that stopped reading. `open_stream` opens an output itself (a growing file, a
FIFO, a device); `tracker.files.atomic` writes whole files under a temporary name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import time
from collections.abc import Callable
from pathlib import Path

from flowtop.tracker.errors import OutputError, OutputExists, WriteError
from flowtop.tracker.files.paths import check_output, reason

WAIT_STEP_S = 0.1  # how often a wait for a reader looks at `cancelled()`


def never() -> bool:
    return False


class Sink:
    """Bytes to an open descriptor, written whole or cut back to the last complete line.

    `whole` is the offset just past the last newline written; `written` counts every byte.
    """

    def __init__(self, fd: int, path: Path, cancelled: Callable[[], bool] = never) -> None:
        self.fd, self.path, self.cancelled = fd, path, cancelled
        self.regular = stat.S_ISREG(os.fstat(fd).st_mode)
        self.written = self.whole = 0
        self.closed = False
        if not self.regular:
            os.set_blocking(fd, False)

    def write(self, data: bytes, grace_s: float = 0.0) -> None:
        """Write all of `data`; a stalled reader is waited for until `cancelled()` has been
        true for `grace_s` seconds."""
        view, done = memoryview(data), 0
        try:
            while done < len(view):
                try:
                    done += os.write(self.fd, view[done:])
                except BlockingIOError:
                    if not self._wait_writable(grace_s):
                        raise WriteError(f"cannot write {self.path}: stopped while its reader "
                                         f"was not reading") from None
        except OSError as exc:
            self._account(data, done)
            self._cut_back()
            raise WriteError(f"cannot write {self.path}: {reason(exc)}") from None
        except WriteError:
            self._account(data, done)
            raise
        self._account(data, done)

    def _account(self, data: bytes, done: int) -> None:
        newline = data.rfind(b"\n", 0, done)
        if newline >= 0:
            self.whole = self.written + newline + 1
        self.written += done

    def _cut_back(self) -> None:
        """Drop a partly written last line (only a regular file can be cut)."""
        if self.regular and self.written > self.whole:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.whole)

    def _wait_writable(self, grace_s: float) -> bool:
        poll = select.poll()
        poll.register(self.fd, select.POLLOUT)
        give_up_at: float | None = None
        while not poll.poll(WAIT_STEP_S * 1000):
            if self.cancelled():
                now = time.monotonic()
                give_up_at = give_up_at or now + grace_s
                if now >= give_up_at:
                    return False
        return True

    def sync(self) -> None:
        """Make what was written durable (a regular file's data on the disk)."""
        if not self.regular:
            return
        try:
            os.fsync(self.fd)
        except OSError as exc:
            raise WriteError(f"cannot write {self.path}: {reason(exc)}") from None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            os.close(self.fd)
        except OSError as exc:  # a network file system may report a write error only here
            raise WriteError(f"cannot write {self.path}: {reason(exc)}") from None


def open_stream(path: Path, force: bool = False, flag: str = "--out",
                cancelled: Callable[[], bool] = never) -> Sink:
    """Open the output `path` itself, for rows read while they are written; a FIFO is waited
    for until a process opens it for reading (or `cancelled()`). Checks as `check_output`."""
    check_output(path, force, flag)
    flags = (os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
             | (os.O_TRUNC if force else os.O_EXCL))
    while True:
        try:
            fd = os.open(path, flags, 0o666)
            break
        except FileExistsError:  # it appeared since the check
            raise OutputExists(path, flag) from None
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: a FIFO that no process reads yet
                raise OutputError(f"cannot write {path}: {reason(exc)}") from None
            if cancelled():
                raise OutputError(f"cannot write {path}: no process opened it for "
                                  f"reading") from None
            time.sleep(WAIT_STEP_S)
    try:
        return Sink(fd, path, cancelled)
    except OSError as exc:
        os.close(fd)
        raise OutputError(f"cannot write {path}: {reason(exc)}") from None
