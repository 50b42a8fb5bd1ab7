"""`flowtop track`: outputs, summary, and user errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowtop.tui.cli.main import main

FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]


def test_track_demo_writes_csv_and_summary(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.csv"
    assert main(["track", "demo", "--frames", "40", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 40
    assert summary["tracks_created"] > 100
    assert summary["median_moving_speed_px_s"] > 20
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    header = out.read_text().splitlines()[0].split(",")
    assert header[:10] == ["frame", "t", "id", "x", "y", "vx", "vy", "speed", "speed_world",
                           "unit"]
    assert len(rows) == summary["rows"]
    assert {r["frame"] for r in rows} == {str(i) for i in range(40)}
    assert all(r["speed_world"] == "" and r["unit"] == "" for r in rows)
    last = [r for r in rows if r["frame"] == "39"]
    assert max(float(r["speed"]) for r in last) > 100  # the truck moves at 120 px/s


def test_track_jsonl_with_world_units(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.jsonl"
    code = main(["track", "demo", "--frames", "20", "--out", str(out), "--json",
                 "--set", "speed.meters_per_pixel=0.05", "--set", "speed.unit=km/h"])
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["unit"] == "km/h" for r in rows)
    moving = [r for r in rows if r["frame"] == 19 and r["speed"] > 100]
    assert moving
    for r in moving:  # world speed = px/s * m/px * 3.6
        assert r["speed_world"] == pytest.approx(r["speed"] * 0.05 * 3.6, rel=0.05)


def test_track_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.csv"
    out.write_text("precious\n")
    assert main(["track", "demo", "--frames", "2", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "precious\n"
    assert main(["track", "demo", "--frames", "2", "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("frame,t,id")


@pytest.mark.slow
def test_track_highway_as_subprocess(highway, tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    run = subprocess.run([*FLOWTOP, "track", str(highway), "--frames", "30", "--out",
                          str(out), "--json"], check=False, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["frames"] == 30
    t = [float(r["t"]) for r in csv.DictReader(out.open())]
    # the file's timestamps (NTSC 30000/1001 fps), not a guess: 29 / 30 would be 1 ms short
    assert max(t) == pytest.approx(29 * 1001 / 30000, abs=1e-4)


@pytest.mark.parametrize("argv", [
    ["track", "missing.mp4"],
    ["track", "demo", "--set", "lk.win_size"],
    ["track", "demo", "--set", "lk.win_size=1000"],
    ["track", "demo", "--out", "/nonexistent-dir/x.csv"],
    ["track"],
])
def test_track_user_errors_are_one_line(argv: list[str], capfd) -> None:
    """In process (the real script's exit code and stderr: test_cli_errors.py)."""
    assert main(argv) == 2
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("flowtop: ")


def test_a_refused_output_leaves_no_other_file_behind(tmp_path: Path, capsys) -> None:
    (tmp_path / "objects.csv").write_text("precious\n")
    out = tmp_path / "tracks.csv"
    code = main(["track", "demo", "--frames", "2", "--out", str(out),
                 "--objects-out", str(tmp_path / "objects.csv")])
    assert code == 2
    assert "--objects-out" in capsys.readouterr().err
    assert not out.exists()
