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
    """An output file cannot be written (exists, unwritable folder, ...)."""


class OutputExists(OutputError):
    """An output file exists and may not be replaced; the command line says how to force it."""
