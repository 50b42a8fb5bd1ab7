"""Every writer against a disk that fills up, a file size limit, and /dev/full: the command
ends with one line naming the file and the reason and exit code 1, and leaves whole files
(rows cut back to the last whole one) or none, never a temporary file.

The disk is a tiny tmpfs where the tests may mount one (root on Linux); elsewhere the sink's
writes fail with ENOSPC after N bytes (`FillingOs`). OpenCV writes a video's bytes itself,
past any Python hook, so the video is also run against a file size limit (RLIMIT_FSIZE, which
needs no privilege): its writes fail with EFBIG.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import pytest
from test_calibrate_cmd import POSES, board_image, render_view
from test_signals import parse_rows

from flowtop.tracker.config.files import load_params, save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import FrameRows, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import OutputError, WriteError
from flowtop.tracker.files import sink as sink_module
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.export import export_files
from flowtop.tui.cli.main import main

DISK_BYTES = 160 * 1024
FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]


class FillingOs:
    """`os` as the sink module sees it: `write` takes `room` bytes in all, then fails with
    ENOSPC, after a short write as a real file system does."""

    def __init__(self, room: int) -> None:
        self.room = room

    def write(self, fd: int, data: bytes) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done = os.write(fd, bytes(data[:self.room]))
        self.room -= done
        return done

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)


@dataclass
class Disk:
    folder: Path
    kind: str  # "tmpfs" or "injected"
    injected: FillingOs | None = None

    def fill(self) -> None:
        """No room left at all."""
        if self.injected:
            self.injected.room = 0
            return
        fd = os.open(self.folder / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:  # full
            pass
        finally:
            os.close(fd)

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.name != "filler")


def mount_tmpfs(folder: Path, size: int) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount") or sys.platform != "linux":
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                             str(folder)], capture_output=True, check=False)
    return result.returncode == 0


@pytest.fixture(params=["tmpfs", "injected"])
def disk(request: pytest.FixtureRequest, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    if request.param == "injected":
        filling = FillingOs(DISK_BYTES)
        monkeypatch.setattr(sink_module, "os", filling)
        yield Disk(folder, "injected", filling)
        return
    if not mount_tmpfs(folder, DISK_BYTES):
        pytest.skip("cannot mount a tmpfs here (not root on Linux): the injected disk runs")
    try:
        yield Disk(folder, "tmpfs")
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("flowtop: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_track_keeps_whole_rows_and_says_how_many(disk: Disk, suffix: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, objects = disk.folder / f"t{suffix}", disk.folder / f"o{suffix}"
    code = main(["track", "demo", "--frames", "40", "--out", str(out),
                 "--objects-out", str(objects)])
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert code == 1 and captured.out == ""
    assert f"cannot write {out}: No space left on device; it holds " in line
    kept = int(line.split("it holds ")[1].split()[0])
    assert kept > 0 and len(parse_rows(out)) == kept  # whole rows, as many as it says
    assert disk.leftovers() == sorted([out.name, objects.name])


def test_snapshot_png_is_whole_or_absent(disk: Disk, capsys: pytest.CaptureFixture[str]) -> None:
    png = disk.folder / "shot.png"
    code = main(["snapshot", "demo", "--frame", "1", "-q", "--png", str(png)])
    assert one_line(capsys.readouterr().err) == \
        f"flowtop: cannot write {png}: No space left on device"
    assert code == 1 and disk.leftovers() == []


def test_calibration_file_is_whole_or_absent(disk: Disk, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    board = board_image()
    for i, (angles, offset) in enumerate(POSES[:4]):
        cv2.imwrite(str(tmp_path / f"view{i}.png"), render_view(board, angles, offset))
    out = disk.folder / "camera.yaml"
    disk.fill()
    code = main(["calibrate", str(tmp_path / "view*.png"), "--chessboard", "9x6", "--square",
                 "0.03", "--out", str(out)])
    assert one_line(capsys.readouterr().err) == \
        f"flowtop: cannot write {out}: No space left on device"
    assert code == 1 and disk.leftovers() == []


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_record_on_a_full_disk_writes_no_video(disk: Disk, suffix: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    if disk.kind != "tmpfs":
        pytest.skip("OpenCV writes the video itself: see the file size limit test")
    out = disk.folder / f"clip{suffix}"
    code = main(["record", "demo", "--frames", "15", "--out", str(out)])
    captured = capsys.readouterr()
    assert f"cannot write {out}: No space left on device" in one_line(captured.err)
    assert code == 1 and captured.out == "" and disk.leftovers() == []


def demo_states(frames: int) -> tuple[TrackState, list[FrameRows]]:
    """The last state of `frames` demo frames, and the rows of each."""
    source = DemoSource(paced=False, frames=frames, scene=DemoScene(320, 180))
    tracker = Tracker(Params())
    rows: list[FrameRows] = []
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
        rows.append(FrameRows.of(state))
    return state, rows


def test_export_files_are_whole_or_absent(disk: Disk) -> None:
    state, history = demo_states(20)
    with pytest.raises((OutputError, WriteError), match="No space left on device"):
        for _ in range(10):  # each export takes room; the disk is full before the 10th
            export_files(state, history, disk.folder, datetime(2024, 1, 2, 3, 4, 5))
    names = disk.leftovers()
    assert not [n for n in names if n.startswith(".")], names  # no temporary file
    for name in names:
        if name.endswith(".csv"):
            rows = parse_rows(disk.folder / name)
            assert len(rows) == sum(len(r.ids) for r in history)  # complete, not cut


def test_config_save_keeps_the_old_file(disk: Disk) -> None:
    path = disk.folder / "config.toml"
    save_params(Params().with_value("lk.win_size", 21), path)
    disk.fill()
    with pytest.raises(WriteError, match=f"cannot write {path}: No space left on device"):
        save_params(Params().with_value("lk.win_size", 31), path)
    assert load_params(path).lk.win_size == 21
    assert disk.leftovers() == ["config.toml"]


def test_config_save_to_dev_full_says_so() -> None:
    with pytest.raises(WriteError, match="cannot write /dev/full: No space left on device"):
        save_params(Params(), Path("/dev/full"))


def limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "says"), [
    (["record", "demo", "--frames", "10", "--out", "clip.mp4"],
     "cannot write clip.mp4: OpenCV could not finish the video"),
    (["record", "demo", "--frames", "10", "--out", "clip.avi"],
     "cannot write clip.avi: OpenCV could not finish the video"),
    (["track", "demo", "--frames", "10", "--out", "t.csv"],
     "cannot write t.csv: File too large; it holds"),
], ids=["record mp4", "record avi", "track csv"])
def test_a_file_size_limit_is_a_write_error(argv: list[str], says: str, tmp_path: Path) -> None:
    result = subprocess.run([*FLOWTOP, *argv], cwd=tmp_path, capture_output=True, text=True,
                            preexec_fn=limit_file_size, timeout=120, check=False,
                            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert says in one_line(result.stderr)
    assert result.returncode == 1 and result.stdout == ""
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "cfg")
    assert left == (["t.csv"] if argv[0] == "track" else [])
