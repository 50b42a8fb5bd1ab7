"""A fresh TOML document of parameter sections, written without tomlkit.

`flowtop config` prints the parameters on every call and keeps no comments, so it need not
load tomlkit (about 20 ms of start-up); a save that keeps a file's comments uses tomlkit
(`files.dumps`). The text is the one tomlkit writes for a new document (tests compare the
two): `[section]` tables a blank line apart, `key = value` lines, and the values of a
parameter (bool, int, float, str, and lists of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# TOML's short escapes; the other control characters become \\uXXXX
_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
                  '"': '\\"', "\\": "\\\\"}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string ("..."), escaped as TOML requires."""
    out = []
    for ch in text:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return f'"{"".join(out)}"'


def toml_value(value: Any) -> str:
    """One parameter value as TOML text; TypeError for a kind no parameter holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)  # a parameter is finite (fields checks it): no inf or nan
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(toml_value(v) for v in value)}]"
    raise TypeError(f"no TOML text for a parameter holding {type(value).__name__}")


def toml_document(sections: Mapping[str, Mapping[str, Any]]) -> str:
    """`{section: {key: value}}` as a TOML document, sections and keys in the given order."""
    return "\n".join(
        f"[{name}]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in keys.items())
        for name, keys in sections.items())
