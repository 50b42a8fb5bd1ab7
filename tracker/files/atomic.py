"""Output files that are whole or absent: written under a hidden temporary name beside the
target, flushed to the disk, and renamed over it only once complete.

`AtomicFile` is the temporary file, created at once, so that an unwritable folder is refused
before the work; `write_file` writes bytes in one go. A target that is a symbolic link keeps
its link (the file it points to is replaced); one that is a device or a FIFO is written
straight through by `write_file` (it cannot be replaced) and refused by `AtomicFile`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from types import TracebackType

from flowtop.tracker.errors import OutputError, OutputExists, WriteError
from flowtop.tracker.files.paths import check_output, is_special, reason
from flowtop.tracker.files.sink import Sink, open_stream

TEMP_TRIES = 50


class AtomicFile:
    """The file `path`, written under a temporary name and renamed over `path` by `commit()`.

    Without `force` an existing `path` is refused, also one that appears meanwhile (the
    rename then fails instead of replacing it). A replaced file keeps its permissions.
    `discard()`, or leaving a `with` block by an exception, deletes the temporary file.
    """

    def __init__(self, path: Path, force: bool = False, flag: str = "--out") -> None:
        check_output(path, force, flag)
        if is_special(path):
            raise OutputError(f"{flag} {path} is not a regular file")
        self.path, self.force, self.flag = path, force, flag
        self.target = Path(os.path.realpath(path)) if path.is_symlink() else path
        self.temp, fd = self._create_temp()
        self.sink = Sink(fd, path)

    def _create_temp(self) -> tuple[Path, int]:
        folder, stem, suffix = self.target.parent, self.target.stem[:80], self.target.suffix
        for _ in range(TEMP_TRIES):
            temp = folder / f".{stem}.{secrets.token_hex(3)}.part{suffix}"
            try:
                return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                                     0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                raise OutputError(f"cannot write {self.path}: cannot create a file in "
                                  f"{folder} ({reason(exc)})") from None
        raise OutputError(f"cannot write {self.path}: no free temporary name in {folder}")

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is not None:
            self.discard()

    def write(self, data: bytes) -> None:
        self.sink.write(data)

    def commit(self) -> Path:
        """Flush the file to the disk and give it its name; the temporary file is gone after,
        whatever happens."""
        try:
            self.sink.sync()
            self.sink.close()
            with contextlib.suppress(OSError):  # keep a replaced file's permissions
                os.chmod(self.temp, stat.S_IMODE(self.target.stat().st_mode))
            self._rename()
        except BaseException:
            self.discard()
            raise
        with contextlib.suppress(OSError):  # the rename itself on the disk
            folder = os.open(self.target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        return self.path

    def _rename(self) -> None:
        try:
            if self.force:
                os.replace(self.temp, self.target)
                return
            try:  # a link fails, instead of replacing, when the name was taken meanwhile
                os.link(self.temp, self.target)
            except FileExistsError:
                raise OutputExists(self.path, self.flag) from None
            except OSError:  # a file system without hard links
                if self.target.exists():
                    raise OutputExists(self.path, self.flag) from None
                os.replace(self.temp, self.target)
                return
            self.temp.unlink()
        except OSError as exc:
            raise WriteError(f"cannot write {self.path}: {reason(exc)}") from None

    def discard(self) -> None:
        """Delete the temporary file (nothing was written under `path`)."""
        with contextlib.suppress(WriteError):
            self.sink.close()
        with contextlib.suppress(OSError):
            self.temp.unlink()


def write_file(path: Path, data: bytes, force: bool = False, flag: str = "--out") -> Path:
    """Write `data` as the whole file `path` (atomically), or straight into an existing
    device or FIFO when `force`d."""
    if force and is_special(path):
        sink = open_stream(path, force, flag)
        try:
            sink.write(data)
        finally:
            sink.close()
        return path
    with AtomicFile(path, force, flag) as out:
        out.write(data)
        return out.commit()
