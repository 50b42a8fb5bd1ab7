"""`flowtop config`'s TOML, written without tomlkit, is the text tomlkit writes for a new
document, and reads back as the same parameters."""

from __future__ import annotations

import sys

import pytest
import tomlkit

from flowtop.tracker.config.files import dumps
from flowtop.tracker.config.params import Params
from flowtop.tracker.config.toml_text import toml_document, toml_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ODD_TEXT = 'a "quoted" C:\\path\x01\x1b\x7f\ttab\nline\r\x08\x0cé ✓ ▀'


def tomlkit_text(params: Params) -> str:
    """What `dumps` wrote with tomlkit before it wrote new documents itself."""
    doc = tomlkit.document()
    for section, values in params.to_dict().items():
        table = tomlkit.table()
        for key, value in values.items():
            table[key] = value
        doc[section] = table
    return tomlkit.dumps(doc)


def varied() -> Params:
    """Every kind of value a parameter holds, with the awkward cases of each."""
    params = Params()
    for key, value in [
        ("speed.intrinsics", ODD_TEXT), ("lk.min_eig_threshold", 1e-6),
        ("speed.length_m", 1e6), ("speed.meters_per_pixel", 0.000123),
        ("objects.enabled", False), ("features.roi", [0, 10, 300.5, 200]),
        ("speed.image_points", [[130.22, 96.0], [509, 96], [32.0, 332.0], [608.0, 332.0]]),
        ("speed.world_points", [[-8.0, 16.5], [8, 16.5], [-8.0, 0.0], [8.0, -0.0]]),
        ("trap.line_a", [[1, 2], [3, 4]]), ("speed.unit", "km/h"),
    ]:
        params = params.with_value(key, value)
    return params


@pytest.mark.parametrize("params", [Params(), varied()], ids=["defaults", "varied"])
def test_the_text_is_tomlkits(params: Params) -> None:
    assert dumps(params) == tomlkit_text(params)
    assert Params.from_dict(tomllib.loads(dumps(params))) == params


@pytest.mark.parametrize("char", [chr(c) for c in (*range(0x20), 0x7F, 0x22, 0x5C)])
def test_every_escaped_character_as_tomlkit_writes_it(char: str) -> None:
    text = f"x{char}y"
    assert toml_value(text) == tomlkit.item(text).as_string()
    assert tomllib.loads(f"v = {toml_value(text)}")["v"] == text


def test_a_kind_no_parameter_holds_is_refused() -> None:
    with pytest.raises(TypeError, match="dict"):
        toml_document({"s": {"k": {"a": 1}}})
