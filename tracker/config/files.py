"""Reading, overriding and saving the TOML config that holds `Params`."""

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


def read_toml(path: Path) -> Params:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"malformed TOML in {path}: {exc}") from None
    try:
        return Params.from_dict(data)
    except ParamError as exc:
        raise ConfigError(f"{path}: {exc}") from None


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
    """Write atomically: a temporary file in the same folder, fsync, then rename over `path`."""
    path = path or default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dumps(params))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
