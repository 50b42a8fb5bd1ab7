"""`flowtop tune`: trials over the same frames, ranked by the objective, the best written as
a config that `--config` loads; the same figures in one process or two; user errors."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from flowtop.tracker.config.files import load_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TuningFigures
from flowtop.tracker.runtime.search import Axis, make_trials
from flowtop.tracker.runtime.tuning import OBJECTIVES
from flowtop.tui.cli.main import main

SEARCH = ["--search", "lk.win_size=7,15", "--search", "tracking.fb_threshold=0.1,1"]


def tune_json(*args: str) -> dict:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["tune", "demo", "--frames", "30", "--json", *args]) == 0
    return json.loads(stdout.getvalue())


@pytest.fixture(scope="module")
def in_one_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The search in one process, its best written as a config (the tests only read them)."""
    out = tmp_path_factory.mktemp("tune") / "best.toml"
    return tune_json("--objective", "lifetime", *SEARCH, "--jobs", "1", "--out", str(out)), out


@pytest.mark.slow
def test_tune_ranks_the_trials_and_writes_the_best_as_a_config(in_one_process, capsys) -> None:
    result, out = in_one_process
    trials = result["trials"]
    assert result["objective"] == "lifetime" and len(trials) == 4  # base = (15, 1.0) once
    assert trials[0]["rank"] == 1 and {t["trial"] for t in trials} == {0, 1, 2, 3}
    figures = [TuningFigures(**{k: float("nan") if v is None else v
                                for k, v in t["figures"].items()}) for t in trials]
    keys = [OBJECTIVES["lifetime"].key(f) for f in figures]
    assert keys == sorted(keys)  # best first
    assert len({f.lost_per_s for f in figures}) > 1  # the parameters made a difference
    best = load_params(out)
    values = trials[0]["values"]
    assert best.lk.win_size == values["lk.win_size"]
    assert best.tracking.fb_threshold == values["tracking.fb_threshold"]
    capsys.readouterr()
    assert main(["--config", str(out), "config"]) == 0  # loadable with --config
    assert f"win_size = {values['lk.win_size']}" in capsys.readouterr().out


@pytest.mark.slow
def test_two_processes_give_the_figures_of_one(in_one_process) -> None:
    one = in_one_process[0]
    two = tune_json("--objective", "lifetime", *SEARCH, "--jobs", "2")
    assert one == two


def test_a_random_draw_is_seeded_and_keeps_the_base() -> None:
    axes = [Axis.parse("lk.win_size=7,9,11,13,15,17"), Axis.parse("lk.max_level=0,1,2,3")]
    grid = make_trials(Params(), axes)
    assert len(grid) == 1 + 24 - 1  # the base set (15, 2) is in the grid: listed once
    drawn = make_trials(Params(), axes, count=5, seed=3)
    assert drawn == make_trials(Params(), axes, count=5, seed=3)
    assert drawn[0].params == Params() and 5 <= len(drawn) <= 6
    assert make_trials(Params(), axes, count=5, seed=4) != drawn


def test_the_table_names_the_objective_the_keys_and_the_base(capsys) -> None:
    assert main(["tune", "demo", "--frames", "20", "--objective", "coverage", "--jobs", "1",
                 "--search", "features.max_corners=50,300"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("objective: coverage")
    assert "corners" in out and "cover%" in out and "base" in out
    assert all(len(line) <= 80 for line in out.splitlines())


@pytest.mark.parametrize(("args", "message"), [
    (["--search", "lk.win_size=7,99"], "lk.win_size: 99 is out of range"),
    (["--search", "lk.nope=1"], "unknown key"),
    (["--search", "preview.fps=5,10"], "only tracking parameters"),
    (["--search", "features.roi=[]"], "a list parameter"),
    (["--search", "lk.win_size"], "expected section.key=v1,v2"),
    (["--search", "lk.win_size=7", "--search", "lk.win_size=9"], "names a key twice"),
])
def test_user_errors_are_one_line_and_exit_2(args: list[str], message: str, capsys) -> None:
    assert main(["tune", "demo", "--frames", "5", "--objective", "lifetime", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flowtop: ") and message in err and "Traceback" not in err


def test_an_objective_is_required_and_an_out_file_kept(tmp_path: Path, capsys) -> None:
    assert main(["tune", "demo", "--frames", "5"]) == 2
    assert "--objective" in capsys.readouterr().err
    out = tmp_path / "best.toml"
    out.write_text("")
    assert main(["tune", "demo", "--frames", "5", "--objective", "noise",
                 "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == ""
