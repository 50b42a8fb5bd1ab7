"""What can go wrong that a user can cause or see, as exception types.

Plain Python, no numpy or OpenCV: the command line imports these to report an error in one
line without paying for the engine's imports.
"""

from __future__ import annotations


class ParamError(ValueError):
    """A parameter value or key a user gave is not acceptable; the message names the key."""


class ConfigError(ValueError):
    """The config file or an override is unusable; the message says which and why."""


class SourceError(Exception):
    """A source a user named cannot be opened; the message says what and why."""


class SourceLost(Exception):
    """A live source stopped delivering frames (read failure, stall, unplugged)."""


class OutputError(Exception):
    """An output a user named is refused before any work (a folder, a missing folder, ...)."""


class OutputExists(OutputError):
    """An output file exists and may not be replaced; the command line says how to force it.

    The message names the output (`label` and path) and stops there."""

    def __init__(self, path: object, label: str = "") -> None:
        self.path = path
        super().__init__(f"{label} {path} exists".lstrip())


class WriteError(OutputError):
    """Writing an output failed part way (disk full, I/O error, its reader gone); the message
    names the file and the reason, and says what it kept."""
