"""Checks on an output path a user names, made before any work, and the words for an OSError."""

from __future__ import annotations

import stat
from pathlib import Path

from flowtop.tracker.errors import OutputError, OutputExists


def reason(exc: OSError) -> str:
    """The system's words for an OSError ("No space left on device")."""
    return exc.strerror or str(exc)


def check_output(path: Path, force: bool = False, flag: str = "--out") -> None:
    """Refuse an output path that is a folder, in a missing folder, or (without `force`)
    already exists; messages name the output as `flag`."""
    try:
        if path.is_dir():
            raise OutputError(f"{flag} {path} is a directory")
        if (path.exists() or path.is_symlink()) and not force:
            raise OutputExists(path, flag)
        if not path.parent.is_dir():
            raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")
    except OSError as exc:  # e.g. a name too long for the file system
        raise OutputError(f"cannot write {path}: {reason(exc)}") from None


def is_special(path: Path) -> bool:
    """Whether `path` exists as something other than a regular file or folder (a device, a
    FIFO, a socket)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
