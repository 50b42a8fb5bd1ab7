"""The adversarial matrix: every command x every bad input a user can give, in process.

Each case must end with its exit code (2: refused before any work; 1: a run-time failure),
exactly one line on stderr starting `flowtop: ` and saying what went wrong, no traceback,
nothing on stdout when refused, and no file created or changed in the working folder. The
UI entry (`flowtop --source ...`) must refuse before Textual starts. What needs a real
process (signals, FIFOs, a closed stdout) is in test_stop_phases.py; full disks in
test_full_disk.py. A new bad input goes into one of the tables below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tui.cli.main import main

Setup = Callable[[Path], None]


def write(name: str, data: bytes | str) -> Setup:
    def make(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())

    return make


def video(name: str, size: tuple[int, int] = (64, 48), frames: int = 4) -> Setup:
    """A small MJPG video under `name` (whatever its suffix says)."""

    def make(folder: Path) -> None:
        temp = folder / "_video.avi"
        writer = cv2.VideoWriter(str(temp), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, size)
        rng = np.random.default_rng(1)
        for _ in range(frames):
            writer.write(rng.integers(0, 255, (size[1], size[0], 3), np.uint8))
        writer.release()
        temp.rename(folder / name)

    return make


def images(pattern_dir: str, count: int = 3) -> Setup:
    def make(folder: Path) -> None:
        (folder / pattern_dir).mkdir()
        rng = np.random.default_rng(2)
        for i in range(count):
            cv2.imwrite(str(folder / pattern_dir / f"f{i}.png"),
                        rng.integers(0, 255, (48, 64, 3), np.uint8))

    return make


def mkdir(name: str) -> Setup:
    return lambda folder: (folder / name).mkdir()


# each command with a source to run, bounded so that an accepted case cannot run for long
SOURCE_COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "track": lambda src: ["track", src, "--frames", "3"],
    "snapshot": lambda src: ["snapshot", src, "--frame", "1", "-q"],
    "record": lambda src: ["record", src, "--out", "out.mp4", "--frames", "3"],
    "calibrate": lambda src: ["calibrate", src, "--chessboard", "9x6", "--square", "0.03",
                              "--frames", "3"],
    "bench": lambda src: ["bench", src, "--frames", "2", "--size", "20x10"],
    "ui": lambda src: ["--source", src],
}
COMMANDS: dict[str, list[str]] = {
    **{name: make("demo") for name, make in SOURCE_COMMANDS.items()},
    "config": ["config"],
    "probe": ["probe", "--seconds", "0.1"],
}


@dataclass(frozen=True)
class Bad:
    """A bad input: the source it names or the arguments it adds, and the words of its line.

    `only`: the commands it applies to (default: all that take it)."""

    name: str
    says: str
    source: str | None = None
    extra: tuple[str, ...] = ()
    code: int = 2
    setup: Setup | None = None
    only: tuple[str, ...] = ()


DIGITS_400, DIGITS_5001 = "9" * 400, "9" * 5001

BAD_SOURCES = [
    Bad("missing file", "no such file: missing.mp4", source="missing.mp4"),
    Bad("not a video", "not a video OpenCV can decode", source="garbage.mp4",
        setup=write("garbage.mp4", bytes(range(256)) * 64)),
    Bad("text file", "not a video", source="notes.txt", setup=write("notes.txt", "hello\n")),
    Bad("empty file", "not a video", source="empty.avi", setup=write("empty.avi", b"")),
    Bad("directory", "adir is a directory", source="adir", setup=mkdir("adir")),
    Bad("empty glob", "no files match 'frames/*.png'", source="frames/*.png"),
    Bad("camera path that does not exist", "/dev/video9 does not exist", source="/dev/video9"),
    Bad("camera index that does not open", "camera 7 does not open", source="7"),
    Bad("refused stream", "cannot open stream", source="rtsp://127.0.0.1:9/x"),
]

BAD_CONFIGS = [
    Bad("malformed TOML", "malformed TOML in bad.toml", extra=("--config", "bad.toml"),
        setup=write("bad.toml", "[lk\nwin_size = 3\n")),
    Bad("config not found", "config file not found", extra=("--config", "nope.toml")),
    Bad("config is a folder", "cannot read config cfgdir", extra=("--config", "cfgdir"),
        setup=mkdir("cfgdir")),
    Bad("config not UTF-8", "is not UTF-8 text", extra=("--config", "bin.toml"),
        setup=write("bin.toml", b"\xff\xfe\x00[lk]")),
    Bad("config of 2 MB", "larger than 1024 KiB", extra=("--config", "big.toml"),
        setup=write("big.toml", "# padding\n" * 200_000)),
    Bad("config nested 100000 deep", "too deeply nested", extra=("--config", "deep.toml"),
        setup=write("deep.toml", "[lk]\nwin_size = " + "[" * 100_000 + "\n")),
    Bad("unknown section", "unknown section [camera]", extra=("--config", "sec.toml"),
        setup=write("sec.toml", "[camera]\nindex = 1\n")),
    Bad("unknown key", "unknown key lk.window", extra=("--config", "key.toml"),
        setup=write("key.toml", "[lk]\nwindow = 15\n")),
    Bad("out of range in config", "lk.win_size: 999 is out of range [5, 61]",
        extra=("--config", "range.toml"), setup=write("range.toml", "[lk]\nwin_size = 999\n")),
    Bad("wrong type in config", "lk.win_size: expected a whole number, got 'big'",
        extra=("--config", "type.toml"), setup=write("type.toml", '[lk]\nwin_size = "big"\n')),
    Bad("section not a table", "[lk] must be a table", extra=("--config", "flat.toml"),
        setup=write("flat.toml", "lk = 3\n")),
    Bad("400-digit integer for a float", "lk.epsilon: 9999", extra=("--config", "d400.toml"),
        setup=write("d400.toml", f"[lk]\nepsilon = {DIGITS_400}\n")),
    Bad("5001-digit integer", "a value too long", extra=("--config", "d5001.toml"),
        setup=write("d5001.toml", f"[lk]\nwin_size = {DIGITS_5001}\n")),
    Bad("400-digit integer in a list", "numbers must be finite and within",
        extra=("--config", "roi.toml"),
        setup=write("roi.toml", f"[features]\nroi = [0, 0, {DIGITS_400}, 10]\n")),
    Bad("identical trap lines in config", "the same line as trap.line_a",
        extra=("--config", "trap.toml"),
        setup=write("trap.toml", "[trap]\nline_a = [[0, 0], [9, 9]]\n"
                                 "line_b = [[9, 9], [0, 0]]\ndistance = 5\n")),
    Bad("--set out of range", "out of range", extra=("--set", "lk.win_size=999")),
    Bad("--set wrong type", "cannot read 'big' as int", extra=("--set", "lk.win_size=big")),
    Bad("--set unknown key", "unknown key 'lk.window'", extra=("--set", "lk.window=3")),
    Bad("--set without =", "expected section.key=value", extra=("--set", "lk.win_size")),
    Bad("--set bad choice", "is not one of", extra=("--set", "speed.unit=furlongs")),
    Bad("--set 400 digits", "is out of range [5, 61]",
        extra=("--set", f"lk.win_size={DIGITS_400}")),
    Bad("--set 5001 digits", "cannot read", extra=("--set", f"lk.win_size={DIGITS_5001}")),
    Bad("--set a float too large", "expected a finite number",
        extra=("--set", f"lk.epsilon={DIGITS_400}")),
    Bad("--set nan", "expected a finite number", extra=("--set", "tracking.smoothing=nan")),
    Bad("--set a list nested too deep", "cannot read",
        extra=("--set", "features.roi=" + "[" * 50_000)),
    Bad("--set identical trap lines", "the same line as trap.line_a",
        extra=("--set", "trap.line_a=[[0,0],[10,10]]", "--set", "trap.line_b=[[0,0],[10,10]]")),
]

ROI_COMMANDS = ("track", "snapshot", "record", "ui")
FPS_COMMANDS = ("track", "snapshot", "record", "ui")
BAD_OPTIONS = [
    Bad("roi wholly outside the frame", "features.roi [5000, 5000, 10, 10] lies wholly outside "
        "the 640x360 frame", extra=("--set", "features.roi=[5000,5000,10,10]"),
        only=ROI_COMMANDS),
    *[Bad(f"--fps {text}", "--fps: must be a finite number in [0.001, 1000]",
          extra=("--fps", text), only=FPS_COMMANDS)
      for text in ("nan", "inf", "1e300", "1e-300", "0", "-1")],
    Bad("--fps 400 digits", "--fps: expected a number", extra=("--fps", DIGITS_400),
        only=FPS_COMMANDS),
    Bad("--frames negative", "must be at least 0", extra=("--frames", "-3"),
        only=("track", "record")),
    Bad("--frames 400 digits", "expected a whole number", extra=("--frames", DIGITS_400),
        only=("track", "record", "calibrate", "bench")),
    *[Bad(f"--size {text}", "--size", extra=("--size", text), only=("snapshot", "bench"))
      for text in ("100000x100000", "1001x10", "0x0", "80", f"{DIGITS_400}x2")],
    Bad("bench --frames 1", "must be at least 2", extra=("--frames", "1"), only=("bench",)),
    Bad("bench --link-kbps 0", "--link-kbps: must be a finite number",
        extra=("--link-kbps", "0"), only=("bench",)),
    *[Bad(f"--chessboard {text}", "--chessboard", extra=("--chessboard", text),
          only=("calibrate",)) for text in ("2x2", "9x2", "101x6", "9by6", f"{DIGITS_400}x6")],
    *[Bad(f"--square {text}", "--square: must be a finite number in (0, 10]",
          extra=("--square", text), only=("calibrate",)) for text in ("0", "-1", "1e300", "nan")],
    Bad("--max-views below the 3 needed", "--max-views: must be at least 3",
        extra=("--max-views", "1"), only=("calibrate",)),
    Bad("--every 0", "--every: must be at least 1", extra=("--every", "0"), only=("calibrate",)),
    *[Bad(f"--seconds {text}", "--seconds: must be in (0, 60]", extra=("--seconds", text),
          only=("probe",)) for text in ("0", "100", "nan")],
]

LONG_NAME = "x" * 300 + ".csv"
BAD_OUTPUTS = [
    # track
    Bad("--out in a missing folder", "folder no/such/dir does not exist",
        extra=("--out", "no/such/dir/x.csv"), only=("track",)),
    Bad("--out exists, no --force", "--out old.csv exists; pass --force to overwrite it",
        extra=("--out", "old.csv"), setup=write("old.csv", "precious\n"), only=("track",)),
    Bad("--out is a folder", "--out adir is a directory", extra=("--out", "adir"),
        setup=mkdir("adir"), only=("track",)),
    Bad("--out with an unknown extension", "the name must end in .csv, .jsonl",
        extra=("--out", "rows.txt"), only=("track",)),
    Bad("--out a name too long", "File name too long", extra=("--out", LONG_NAME),
        only=("track",)),
    Bad("--out and --objects-out the same", "--out and --objects-out are the same file",
        extra=("--out", "x.csv", "--objects-out", "x.csv"), only=("track",)),
    Bad("--objects-out exists", "--objects-out o.csv exists; pass --force",
        extra=("--objects-out", "o.csv"), setup=write("o.csv", "keep\n"), only=("track",)),
    Bad("--out /proc/self/status", "the name must end in",
        extra=("--out", "/proc/self/status", "--force"), only=("track",)),
    # record
    Bad("record --out with an unknown extension", "a video must end in .mp4",
        extra=("--out", "clip.gif"), only=("record",)),
    Bad("record --out exists", "--out out.mp4 exists; pass --force",
        setup=write("out.mp4", b"precious"), only=("record",)),
    Bad("record --out a FIFO", "--out pipe.mp4 is not a regular file",
        extra=("--out", "pipe.mp4", "--force"), setup=lambda folder: os.mkfifo(folder / "pipe.mp4"),
        only=("record",)),
    Bad("record --out in /proc", "cannot write /proc/a.mp4: cannot create a file in /proc",
        extra=("--out", "/proc/a.mp4", "--force"), only=("record",)),
    # snapshot
    Bad("--png with an unknown extension", "--png shot.jpg: the name must end in .png",
        extra=("--png", "shot.jpg"), only=("snapshot",)),
    Bad("--png exists", "--png shot.png exists; pass --force", extra=("--png", "shot.png"),
        setup=write("shot.png", b"precious"), only=("snapshot",)),
    Bad("--png in a missing folder", "folder nowhere does not exist",
        extra=("--png", "nowhere/shot.png"), only=("snapshot",)),
    # calibrate
    Bad("calibrate --out with an unknown extension", "the name must end in .yaml",
        extra=("--out", "cam.txt"), only=("calibrate",)),
    Bad("calibrate --out exists", "--out camera.yaml exists; pass --force",
        setup=write("camera.yaml", "keep\n"), only=("calibrate",)),
    Bad("calibrate --out in /proc", "cannot create a file in /proc",
        extra=("--out", "/proc/x.yaml", "--force"), only=("calibrate",)),
]

# the output is the input: run with a source of their own, --force given (it must not matter)
SELF_OVERWRITES = [
    ("track", ["track", "clip.csv", "--out", "clip.csv", "--force"], video("clip.csv")),
    ("track", ["track", "clip.jsonl", "--objects-out", "clip.jsonl", "--force"],
     video("clip.jsonl")),
    ("record", ["record", "clip.avi", "--out", "clip.avi", "--force"], video("clip.avi")),
    ("snapshot", ["snapshot", "shots/*.png", "-q", "--png", "shots/f0.png", "--force"],
     images("shots")),
]


def matrix() -> list[tuple[str, list[str], Bad]]:
    """(command, argv, case) for every command a case applies to."""
    cases: list[tuple[str, list[str], Bad]] = []
    for bad in BAD_SOURCES:
        cases += [(name, make(bad.source or "demo"), bad) for name, make in
                  SOURCE_COMMANDS.items()]
    for bad in [*BAD_CONFIGS, *BAD_OPTIONS, *BAD_OUTPUTS]:
        for name, argv in COMMANDS.items():
            if not bad.only or name in bad.only:
                cases.append((name, [*argv, *bad.extra], bad))
    return cases


CASES = matrix()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with its own (empty) config home; the UI may not start."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-cfg"))
    from flowtop.tui.app.app import FlowtopApp

    def no_ui(*_: object, **__: object) -> None:
        raise AssertionError("the UI started")

    monkeypatch.setattr(FlowtopApp, "run", no_ui)
    return tmp_path


def files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def assert_one_line(err: str, says: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("flowtop: ") and says in lines[0], lines[0]
    assert len(lines[0]) < 400, "the line echoes a huge argument"


@pytest.mark.parametrize(("command", "argv", "bad"), CASES,
                         ids=[f"{c}-{b.name}" for c, _, b in CASES])
def test_bad_input_is_one_line_and_changes_nothing(command: str, argv: list[str], bad: Bad,
                                                   folder: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    if bad.setup:
        bad.setup(folder)
    before = files(folder)
    code, out, err = run(argv, folder, capsys)
    assert_one_line(err, bad.says)
    assert code == bad.code
    assert out == ""
    assert files(folder) == before, "a refused run created or changed files"


@pytest.mark.parametrize(("command", "argv", "setup"), SELF_OVERWRITES,
                         ids=[" ".join(a[:1] + a[2:4]) for _, a, _ in SELF_OVERWRITES])
def test_an_output_that_is_the_input_is_refused(command: str, argv: list[str], setup: Setup,
                                                folder: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    setup(folder)
    before = files(folder)
    code, out, err = run(argv, folder, capsys)
    assert_one_line(err, "is the input")
    assert (code, out) == (2, "")
    assert files(folder) == before


@pytest.mark.parametrize("argv", [
    ["track", "demo", "--frames", "3", "--out", "/dev/full", "--force"],
    ["track", "demo", "--frames", "3", "--objects-out", "/dev/full", "--force"],
    ["snapshot", "demo", "--frame", "1", "-q", "--png", "/dev/full", "--force"],
], ids=["track --out", "track --objects-out", "snapshot --png"])
def test_dev_full_is_a_run_time_failure(argv: list[str], folder: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, folder, capsys)
    assert_one_line(err, "cannot write /dev/full: No space left on device")
    assert code == 1
    assert files(folder) == {}


@pytest.mark.parametrize("argv", [["config"], ["snapshot", "demo", "--frame", "1"]],
                         ids=["config", "snapshot"])
def test_stdout_on_a_full_disk_is_a_run_time_failure(argv: list[str], folder: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with open("/dev/full", "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        code = main(argv)
    err = capsys.readouterr().err
    assert_one_line(err, "cannot write to standard output: No space left on device")
    assert code == 1


def test_a_named_device_that_does_not_open_fails(folder: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["probe", "/dev/null", "--seconds", "0.1"], folder, capsys)
    assert_one_line(err, "/dev/null did not open")
    assert code == 1
    assert "/dev/null" in out  # the report itself


def test_bench_at_its_documented_minimum(folder: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["bench", "demo", "--frames", "2", "--size", "20x10", "--json"],
                         folder, capsys)
    assert code == 0, err
    assert '"frames": 2' in out


def test_a_closed_pipe_on_stdout_is_not_an_error(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    read, write_end = os.pipe()
    os.close(read)  # the reader left (`| head` after its line)
    with open(write_end, "w") as pipe:
        monkeypatch.setattr(sys, "stdout", pipe)
        assert main(["track", "demo", "--frames", "2"]) == 0
    assert capsys.readouterr().err == ""
