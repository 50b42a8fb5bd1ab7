"""Reading, overriding and saving the TOML config that holds `Params`."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import tomli_w
from platformdirs import user_config_dir

from flowtop.tracker.config.params import Params, show
from flowtop.tracker.errors import ConfigError, OutputError, ParamError
from flowtop.tracker.files.atomic import write_file
from flowtop.tracker.files.paths import reason

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_CONFIG_BYTES = 1 << 20


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


def read_toml(path: Path) -> Params:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {reason(exc)}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; "
                          f"not a flowtop config")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read config {path}: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"malformed TOML in {path}: {exc}") from None
    except (ValueError, RecursionError):  # a number beyond Python's digit limit; deep nesting
        raise ConfigError(f"malformed TOML in {path}: a value too long or too deeply nested "
                          f"to read") from None
    try:
        return Params.from_dict(data)
    except ParamError as exc:
        raise ConfigError(f"{path}: {exc}") from None


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


def dumps(params: Params) -> str:
    """The params as TOML, every section and key present."""
    return tomli_w.dumps(params.to_dict())


def save_params(params: Params, path: Path | None = None) -> Path:
    """Write atomically (`tracker.files.atomic`): the old file stays whole until the new one
    is on the disk, and a symbolic link stays a link. OutputError (or its WriteError) says
    why it could not be saved."""
    path = path or default_config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {reason(exc)}") from None
    return write_file(path, dumps(params).encode("utf-8"), force=True, flag="config")
