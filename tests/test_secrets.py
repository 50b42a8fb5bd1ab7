"""Camera credentials never show: not on stdout or stderr, not on the screen, not in any file
written, whichever command runs against a camera that asks for a password; a password on the
command line gets a warning (`ps` shows it), and the environment and the config file are the
ways around it.

The commands run in this process (`main`), their output read at the file descriptors, so what
OpenCV's FFmpeg prints is read too; a wrong password goes through the real script."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fakes import MjpegServer

from flowtop.tracker.config.files import load_params, load_source, save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState
from flowtop.tracker.errors import ConfigError
from flowtop.tracker.sources.open import open_source

SECRET = "Zq7-s3cret-9Xk"
FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]
TIMEOUT_S = 120


@pytest.fixture
def camera() -> Iterator[MjpegServer]:
    server = MjpegServer(user="admin", password=SECRET).start()
    yield server
    server.stop()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def flowtop(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`flowtop(ARGS, cwd, **env)`: the command run by `main` in `cwd`, with no config and no
    $FLOWTOP_SOURCE but those in `env`; what it wrote to fds 1 and 2."""
    from flowtop.tui.cli.main import main

    def run(args: list[str], cwd: Path, **env: str) -> Run:
        with monkeypatch.context() as patch:
            patch.chdir(cwd)
            patch.delenv("FLOWTOP_SOURCE", raising=False)
            patch.setenv("XDG_CONFIG_HOME", str(cwd / "no-config"))
            for key, value in env.items():
                patch.setenv(key, value)
            capfd.readouterr()
            code = main(args)
            out, err = capfd.readouterr()
        return Run(code, out, err)

    return run


def flowtop_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The real `flowtop ARGS` in `cwd`, with no config and no $FLOWTOP_SOURCE."""
    full_env = {k: v for k, v in os.environ.items() if k != "FLOWTOP_SOURCE"}
    full_env.update(XDG_CONFIG_HOME=str(cwd / "no-config"))
    return subprocess.run([*FLOWTOP, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)


def assert_hidden(*texts: str, folder: Path | None = None) -> None:
    """The secret, as typed or percent-encoded, is in none of `texts` nor any file under
    `folder`."""
    forms = {SECRET, quote(SECRET, safe="")}
    for text in texts:
        assert not any(form in text for form in forms), text
    for path in sorted(folder.rglob("*")) if folder else ():
        if path.is_file():
            data = path.read_bytes()
            assert not any(form.encode() in data for form in forms), path


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning" in line and "(ps)" in line]


@pytest.mark.slow
def test_every_command_hides_the_password(camera: MjpegServer, tmp_path: Path,
                                          flowtop) -> None:
    url = camera.url
    assert SECRET in url
    out = tmp_path / "out"
    out.mkdir()
    runs = {
        "track": flowtop(["track", url, "--frames", "12", "--out", "tracks.csv",
                          "--objects-out", "objects.jsonl", "--json"], out),
        "snapshot": flowtop(["snapshot", url, "--frame", "4", "--size", "40x12", "--color",
                             "256", "--png", "shot.png"], out),
        "record": flowtop(["record", url, "--out", "rec.avi", "--frames", "8", "--json"], out),
        "probe": flowtop(["probe", url, "--seconds", "0.5"], out),
        "probe --json": flowtop(["probe", url, "--seconds", "0.5", "--json"], out),
    }
    for name, run in runs.items():
        assert run.returncode == 0, (name, run.stderr)
        assert len(warnings_in(run.stderr)) == 1, (name, run.stderr)  # the ps warning, once
        assert "FLOWTOP_SOURCE" in run.stderr and "[source] url" in run.stderr
        assert_hidden(run.stdout, run.stderr)
    assert {p.name for p in out.iterdir()} >= {"tracks.csv", "objects.jsonl", "shot.png",
                                               "rec.avi"}
    assert_hidden(folder=out)
    assert "admin:****@127.0.0.1" in runs["probe"].stdout  # named, without the password
    assert '"path": "http://admin:****@127.0.0.1' in runs["probe --json"].stdout
    assert "measured" in runs["probe"].stdout and "modes" not in runs["probe"].stdout
    assert camera.refused >= 1  # the camera did ask for the password


def test_a_secret_in_the_query_is_hidden_too(tmp_path: Path, flowtop) -> None:
    server = MjpegServer(query_password=SECRET).start()
    try:
        run = flowtop(["track", server.url, "--frames", "5", "--out", "t.csv"], tmp_path)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr
    assert len(warnings_in(run.stderr)) == 1
    assert_hidden(run.stdout, run.stderr, folder=tmp_path)


@pytest.mark.slow
def test_a_wrong_password_is_one_line_without_it(camera: MjpegServer, tmp_path: Path) -> None:
    wrong = camera.url.replace(SECRET, SECRET[::-1])
    for args in (["snapshot", wrong], ["probe", wrong, "--seconds", "0.5"]):
        run = flowtop_script(args, tmp_path)
        assert SECRET[::-1] not in run.stdout + run.stderr
        assert "admin:****@127.0.0.1" in run.stdout + run.stderr
    run = flowtop_script(["track", wrong, "--frames", "3"], tmp_path)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if not warnings_in(line)]
    assert lines == [f"flowtop: cannot open stream http://admin:****@127.0.0.1:{camera.port}"
                     f"/stream.mjpg"]


def test_the_source_from_the_environment_or_the_config(camera: MjpegServer, tmp_path: Path,
                                                       flowtop) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = flowtop(["track", "--frames", "5", "--out", "env.csv"], out, FLOWTOP_SOURCE=camera.url)
    assert run.returncode == 0, run.stderr
    assert not warnings_in(run.stderr)
    assert_hidden(run.stdout, run.stderr, folder=out)

    config = tmp_path / "private" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[source]\nurl = "{camera.url}"\n\n[lk]\nwin_size = 21\n')
    config.chmod(0o600)
    run = flowtop(["--config", str(config), "snapshot", "--frame", "3", "--size", "30x10"], out)
    assert run.returncode == 0, run.stderr
    assert not warnings_in(run.stderr) and "▀" in run.stdout
    assert_hidden(run.stdout, run.stderr, folder=out)

    config.chmod(0o644)  # others could read the password: refused, and said how to fix it,
    for source in ([], ["demo"]):  # even when the source comes from the command line
        run = flowtop(["--config", str(config), "track", *source, "--frames", "3"], out)
        assert run.returncode == 2
        assert run.stderr.strip() == (f"flowtop: {config} holds a camera password but other "
                                      f"users may read it (mode 644): chmod 600 {config}")

    run = flowtop(["track", "--frames", "3"], out)  # nothing anywhere: says where to put it
    assert run.returncode == 2 and "FLOWTOP_SOURCE" in run.stderr


def test_the_config_source_is_read_apart_and_saving_keeps_it_owner_only(tmp_path: Path) -> None:
    url = f"rtsp://admin:{SECRET}@10.0.0.9/stream"
    config = tmp_path / "config.toml"
    config.write_text(f'[source]\nurl = "{url}"\n\n[lk]\nwin_size = 21\n')
    config.chmod(0o600)
    assert load_source(config) == url
    assert load_params(config).lk.win_size == 21  # not a parameter section
    save_params(Params().with_value("lk.win_size", 25), config)
    assert config.stat().st_mode & 0o777 == 0o600
    assert load_source(config) == url and load_params(config).lk.win_size == 25
    plain = tmp_path / "plain.toml"
    plain.write_text('[source]\nurl = "rtsp://10.0.0.9/stream"\n')
    plain.chmod(0o644)
    assert load_source(plain) == "rtsp://10.0.0.9/stream"  # nothing secret: any mode will do
    for bad in ('[source]\nurl = 3\n', '[source]\nurl = "x"\npassword = "y"\n'):
        plain.write_text(bad)
        with pytest.raises(ConfigError, match=r"\[source\] takes one key"):
            load_source(plain)


@pytest.mark.slow
async def test_the_live_ui_hides_the_password(camera: MjpegServer, tmp_path: Path) -> None:
    from flowtop.tui.app.app import FlowtopApp

    source = open_source(camera.url)
    config = tmp_path / "flowtop.toml"
    app = FlowtopApp(source=source, params=Params(), config_path=config)
    screens: list[str] = []
    async with app.run_test(size=(120, 36)) as pilot:

        async def wait_for(condition, what: str) -> None:
            deadline = time.monotonic() + 30
            while not condition():
                assert time.monotonic() < deadline, what
                await pilot.pause(0.1)

        await wait_for(lambda: app.snapshot.state is not None and app.snapshot.state.index > 5,
                       "frames from the camera")
        await pilot.pause(0.3)
        screens.append(app.export_screenshot())
        await pilot.press("h")  # the health view
        await pilot.pause(0.3)
        screens.append(app.export_screenshot())
        await pilot.press("s")  # save: the config file must not get the password either
        await pilot.pause(0.3)
        camera.stop()  # the camera drops off: the status bar and notifications say so
        await wait_for(lambda: app.run_state == RunState.SOURCE_LOST, "SOURCE LOST")
        await pilot.pause(0.5)
        screens.append(app.export_screenshot())
        notes = [str(n.message) for n in app._notifications]
    assert_hidden(*screens, *notes, folder=tmp_path)
    assert any("admin:****@127.0.0.1" in screen for screen in screens)
    assert config.exists()
