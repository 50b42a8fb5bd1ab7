"""`flowtop bench`: its JSON keys and figures' shapes (never their timings), and bad options."""

from __future__ import annotations

import json

import pytest

from flowtop.tracker.render.palette import MODES
from flowtop.tui.cli.main import main

MODE_KEYS = {"render_ms", "rows_ms", "write_ms", "full_rows_ms", "full_frame_bytes",
             "typical_frame_bytes", "link_fps", "colour_error"}


@pytest.fixture(scope="module")
def bench_json() -> dict:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["bench", "demo", "--json", "--frames", "12", "--size", "40x12",
                     "--link-kbps", "50"])
    assert code == 0
    return json.loads(out.getvalue())


def test_json_has_every_figure(bench_json):
    r = bench_json
    assert {"source", "resolution", "frames", "decode_fps", "engine_fps", "pipeline_fps",
            "bare_fps", "engine_vs_bare", "preview", "seconds"} <= set(r)
    assert r["frames"] == 12 and r["resolution"] == [640, 360]
    for key in ("decode_fps", "engine_fps", "pipeline_fps", "bare_fps", "engine_vs_bare"):
        assert r[key] > 0
    p = r["preview"]
    assert (p["cols"], p["rows"], p["link_kbps"]) == (40, 12, 50.0)
    assert p["rich_per_cell_ms"] > 0  # the plain way, the preview's baseline
    assert set(p["modes"]) == set(MODES)
    for figures in p["modes"].values():
        assert set(figures) == MODE_KEYS
        assert 0 <= figures["typical_frame_bytes"] <= figures["full_frame_bytes"]
        assert 0 < figures["link_fps"] <= p["max_fps"]


def test_colour_error_per_mode(bench_json):
    errors = {m: f["colour_error"] for m, f in bench_json["preview"]["modes"].items()}
    assert errors["truecolor"] == 0.0
    assert 0 < errors["256"] < errors["16"] < errors["gray"]


def test_richer_modes_cost_more_bytes(bench_json):
    modes = bench_json["preview"]["modes"]
    full = {m: modes[m]["full_frame_bytes"] for m in MODES}
    assert full["truecolor"] > full["256"] > full["16"]


def test_table_by_default(capsys):
    assert main(["bench", "demo", "--frames", "4", "--size", "20x6"]) == 0
    out = capsys.readouterr().out
    assert "decode" in out and "typical frame" in out and "colour dE" in out
    for mode in MODES:
        assert f"\n{mode} " in out


@pytest.mark.parametrize("argv", [
    ["bench", "demo", "--size", "160by48"],
    ["bench", "demo", "--link-kbps", "0"],
    ["bench", "demo", "--frames", "1"],
    ["bench", "/nonexistent/video.mp4"],
])
def test_bad_input_is_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flowtop: ") and err.count("\n") == 1
