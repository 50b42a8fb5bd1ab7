"""Reading, overriding and saving the TOML config that holds `Params`, and its `[source]`.

`[source] url = "..."` names what to open when the command line names nothing; it is how a
camera's password stays out of `ps`. It is not a parameter (never shown, never set with
`--set`): this module reads it apart, refuses a file that holds credentials there while
other users may read it, and keeps it when `s` rewrites the file, owner-only whenever it
holds credentials.

Start-up: importing this module loads only what printing the parameters needs (`flowtop
config` on every call); tomllib loads when a file is read, tomlkit and the atomic writer when
one is saved.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

from flowtop.tracker.config.fields import show
from flowtop.tracker.config.params import Params
from flowtop.tracker.config.toml_text import toml_document
from flowtop.tracker.errors import ConfigError, OutputError, ParamError
from flowtop.tracker.files.paths import reason

MAX_CONFIG_BYTES = 1 << 20
SOURCE_SECTION = "source"
PRIVATE_MODE = 0o600


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


def _read_data(path: Path) -> dict:
    """The TOML of `path`, read with bounds; ConfigError saying why it cannot be."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {reason(exc)}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; "
                          f"not a flowtop config")
    if sys.version_info >= (3, 11):  # loaded here: printing the defaults reads no file
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read config {path}: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"malformed TOML in {path}: {exc}") from None
    except (ValueError, RecursionError):  # a number beyond Python's digit limit; deep nesting
        raise ConfigError(f"malformed TOML in {path}: a value too long or too deeply nested "
                          f"to read") from None
    return data


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
    from flowtop.tracker.redact import has_secret

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
            raise ConfigError(f"--set {show(item)}: expected section.key=value")
        try:
            params = params.with_text(key.strip(), text)
        except ParamError as exc:
            raise ConfigError(f"--set {show(item)}: {exc}") from None
    return params


def dumps(params: Params, previous: str = "") -> str:
    """The params as TOML, every section and key present. Given the text of the file they
    replace, its comments, order and layout are kept and only the values change (tomlkit,
    loaded only then: a new document is written without it)."""
    if not previous:
        return toml_document(params.to_dict())
    import tomlkit
    from tomlkit.items import Table

    doc = tomlkit.parse(previous)
    for section, values in params.to_dict().items():
        table = doc.get(section)
        if not isinstance(table, Table):
            table = tomlkit.table()
            doc[section] = table
        for key, value in values.items():
            if key not in table or table[key] != value:
                table[key] = value
    return tomlkit.dumps(doc)


@dataclass(frozen=True)
class Saved:
    """Where the config was saved; `rewritten` when the file held text that was not TOML
    (its comments and layout could not be kept: it was written anew)."""

    path: Path
    rewritten: bool = False


def save_params(params: Params, path: Path | None = None) -> Saved:
    """Write atomically (`tracker.files.atomic`): the old file stays whole until the new one
    is on the disk, a symbolic link stays a link, the file keeps its mode, and its comments
    stay (`dumps`), its `[source]` with them; a file whose `[source]` holds credentials is
    made owner-only. OutputError (or its WriteError) says why it could not be saved."""
    import tomlkit.exceptions

    from flowtop.tracker.files.atomic import write_file
    from flowtop.tracker.redact import has_secret

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    path = path or default_config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {reason(exc)}") from None
    try:
        previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        previous = ""
    try:
        text, rewritten = dumps(params, previous), False
    except tomlkit.exceptions.TOMLKitError:
        text, rewritten = dumps(params), True
    saved = write_file(path, text.encode("utf-8"), force=True, flag="config")
    try:
        source = _source_table(tomllib.loads(text), path)
    except (tomllib.TOMLDecodeError, ConfigError):
        source = None
    if source and has_secret(source["url"]) and saved.is_file():
        try:  # the file (through a link) keeps its mode unless it holds a password
            saved.chmod(PRIVATE_MODE)
        except OSError as exc:
            raise OutputError(f"cannot make {saved} private: {reason(exc)}") from None
    return Saved(saved, rewritten)
