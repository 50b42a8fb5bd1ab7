"""Parameters: schema, validation with the key named, TOML round trip, overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flowtop.tracker.config.files import apply_overrides, dumps, load_params, save_params
from flowtop.tracker.config.params import SECTIONS, Params, iter_specs
from flowtop.tracker.config.steps import stepped
from flowtop.tracker.errors import ConfigError, ParamError


def test_every_field_has_help_and_a_valid_default() -> None:
    for key, _field, spec in iter_specs():
        assert spec.help, key
    assert Params() == Params.from_dict(Params().to_dict())


def test_lk_track_defaults() -> None:
    p = Params()
    assert (p.lk.win_size, p.lk.max_level, p.tracking.fb_threshold) == (15, 2, 1.0)
    assert (p.tracking.detect_interval, p.features.block_size, p.features.min_distance) == (
        5, 7, 7)


def test_toml_round_trip(tmp_path: Path) -> None:
    params = Params().with_value("lk.win_size", 21).with_value("speed.unit", "km/h")
    params = params.with_value("tracking.smoothing", 0.55)
    path = save_params(params, tmp_path / "sub" / "c.toml").path
    assert load_params(path) == params
    assert "[lk]" in dumps(params) and "win_size = 21" in dumps(params)


@pytest.mark.parametrize(("text", "words"), [
    ("[lk]\nwin_size = 2\n", ["lk.win_size", "2", "[5, 61]"]),
    ("[lk]\nwin_size = 'big'\n", ["lk.win_size", "whole number"]),
    ("[lk]\nnope = 1\n", ["lk.nope"]),
    ("[nope]\nx = 1\n", ["[nope]"]),
    ("[tracking]\nsmoothing = 0\n", ["tracking.smoothing", "0.01"]),
    ("[speed]\nunit = 'furlong'\n", ["speed.unit", "furlong"]),
    ("[lk\n", ["malformed TOML"]),
])
def test_bad_config_names_the_key(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_params(path)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(("item", "word"), [
    ("lk.win_size", "section.key=value"),
    ("lk.win_size=abc", "cannot read"),
    ("lk.win_size=999", "out of range"),
    ("bogus.x=1", "unknown section"),
])
def test_bad_overrides(item: str, word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        apply_overrides(Params(), [item])


def test_overrides_apply_in_order() -> None:
    p = apply_overrides(Params(), ["lk.win_size=21", "lk.win_size=31", "features.roi=[1,2,3,4]"])
    assert p.lk.win_size == 31
    assert p.features.roi == [1, 2, 3, 4]


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "absent.toml")


def test_step_stays_in_bounds() -> None:
    p = Params().with_value("lk.win_size", 61)
    assert stepped(p, "lk.win_size", 1).lk.win_size == 61
    assert stepped(p, "lk.win_size", -1).lk.win_size == 59
    assert stepped(Params(), "speed.unit", 1).speed.unit == "km/h"
    with pytest.raises(ParamError):
        Params().with_value("features.roi", [1, 2])


@pytest.mark.parametrize("item", ["tracking.smoothing=nan", "lk.epsilon=inf",
                                  "features.roi=[NaN, 0, 10, 10]"])
def test_non_finite_values_are_refused(item: str) -> None:
    with pytest.raises(ConfigError, match="finite"):
        apply_overrides(Params(), [item])


def test_saving_keeps_comments_links_and_mode(tmp_path: Path) -> None:
    """`s` on a hand-edited config: values change, comments and order stay, a symlink stays a
    link to the same file, the file keeps its mode."""
    import os
    import stat

    real = tmp_path / "dotfiles" / "flowtop.toml"
    real.parent.mkdir()
    real.write_text("# my camera on the bridge\n[lk]\nwin_size = 21  # wider for blur\n\n"
                    "[tracking]\n# trails long enough to see lanes\ntrail_length = 40\n")
    os.chmod(real, 0o640)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    params = load_params(link).with_value("lk.win_size", 25)
    saved = save_params(params, link)
    assert not saved.rewritten and link.is_symlink() and link.resolve() == real
    text = real.read_text()
    for kept in ("# my camera on the bridge", "# wider for blur",
                 "# trails long enough to see lanes", "trail_length = 40"):
        assert kept in text, kept
    assert "win_size = 25" in text and text.index("[lk]") < text.index("[tracking]")
    assert load_params(link) == params
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_config_that_is_not_toml_is_written_anew(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("this is = = not toml\n")
    saved = save_params(Params(), path)
    assert saved.rewritten and load_params(path) == Params()


@pytest.mark.parametrize("name", list(SECTIONS))
def test_sections_compare_hash_and_show_as_dataclass_writes_it(name: str) -> None:
    """A section shares Section's eq, hash and repr (cheaper to import): they must be what
    @dataclass(frozen=True) would have written."""
    cls = SECTIONS[name]
    fields = dataclasses.fields(cls)
    reference = dataclasses.make_dataclass(cls.__qualname__, [f.name for f in fields],
                                           frozen=True)
    section = cls()
    values = {f.name: getattr(section, f.name) for f in fields}
    assert repr(section) == repr(reference(**values))
    try:
        expected: object = hash(reference(**values))
    except TypeError as exc:  # a list parameter: unhashable, as the dataclass would be
        expected = type(exc)
    try:
        got: object = hash(section)
    except TypeError as exc:
        got = type(exc)
    assert got == expected
    assert section == cls() and section != reference(**values) and section != values
    for f in fields:  # one parameter a step away: equal exactly when the dataclass says so
        for step in (1, -1):
            other = getattr(stepped(Params(), f"{name}.{f.name}", step), name)
            as_dataclass = reference(**{g.name: getattr(other, g.name) for g in fields})
            assert (other == section) == (as_dataclass == reference(**values))
            assert (other != section) == (as_dataclass != reference(**values))
    assert any(getattr(stepped(Params(), f"{name}.{f.name}", 1), name) != section
               for f in fields)
