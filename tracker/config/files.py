"""Reading, overriding and saving the TOML config that holds `Params`, and its `[source]`.

`[source] url = "..."` names what to open when the command line names nothing; it is how a
camera's password stays out of `ps`. It is not a parameter (never shown, never set with
`--set`): this module reads it apart, refuses a file that holds credentials there while
other users may read it, and keeps it when `s` rewrites the file, owner-only whenever it
holds credentials.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import tomli_w
from platformdirs import user_config_dir

from flowtop.tracker.config.params import Params
from flowtop.tracker.errors import ConfigError, ParamError
from flowtop.tracker.redact import has_secret

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def default_config_path() -> Path:
    """Where flowtop keeps its config unless `--config` says otherwise."""
    return Path(user_config_dir("flowtop")) / "config.toml"


def load_params(path: Path | None = None, overrides: Iterable[str] = ()) -> Params:
    """Params from `path` (or the default file, if it exists), then `section.key=value` overrides.

    An explicit `path` must exist; the default one may be absent.
    """
    params = Params()
    target = path if path is not None else default_config_path()
    if path is not None and not target.exists():
        raise ConfigError(f"config file not found: {target}")
    if target.exists():
        params = read_toml(target)
    return apply_overrides(params, overrides)


SOURCE_SECTION = "source"
PRIVATE_MODE = 0o600


def _read_data(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"malformed TOML in {path}: {exc}") from None


def read_toml(path: Path) -> Params:
    data = _read_data(path)
    _check_private(path, _source_table(data, path))
    data.pop(SOURCE_SECTION, None)  # not a parameter: `load_source` reads it
    try:
        return Params.from_dict(data)
    except ParamError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _source_table(data: dict, path: Path) -> dict[str, str] | None:
    table = data.get(SOURCE_SECTION)
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) != {"url"} or not isinstance(table["url"], str):
        raise ConfigError(f'{path}: [source] takes one key: url = "..."')
    return table


def load_source(path: Path | None = None) -> str | None:
    """The config's `[source] url` (None without one)."""
    target = path if path is not None else default_config_path()
    if not target.exists():
        return None
    table = _source_table(_read_data(target), target)
    _check_private(target, table)
    url = table["url"].strip() if table else ""
    return url or None


def _check_private(path: Path, source: dict[str, str] | None) -> None:
    """Refuse a config whose `[source]` holds credentials while others may read the file."""
    if source and has_secret(source["url"]):
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(f"{path} holds a camera password but other users may read it "
                              f"(mode {mode:o}): chmod 600 {path}")


def apply_overrides(params: Params, overrides: Iterable[str]) -> Params:
    """Apply `section.key=value` strings in order."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        try:
            params = params.with_text(key.strip(), text)
        except ParamError as exc:
            raise ConfigError(f"--set {item!r}: {exc}") from None
    return params


def dumps(params: Params) -> str:
    """The params as TOML, every section and key present."""
    return tomli_w.dumps(params.to_dict())


def save_params(params: Params, path: Path | None = None) -> Path:
    """Write atomically: a temporary file in the same folder, fsync, then rename over `path`.

    The file's `[source]` is kept; when it holds credentials the file is owner-only.
    """
    path = path or default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = _source_table(_read_data(path), path) if path.exists() else None
    except ConfigError:  # unreadable or malformed: replaced whole, as before
        source = None
    text = dumps(params)
    if source:
        text += "\n" + tomli_w.dumps({SOURCE_SECTION: source})
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if source and has_secret(source["url"]):
                os.fchmod(fh.fileno(), PRIVATE_MODE)  # whatever mode the file had before
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
