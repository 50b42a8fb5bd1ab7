"""Start-up: `flowtop --help`, `flowtop config` and every subcommand's `--help` load none of
numpy, OpenCV, Textual, Rich or tomlkit, and no other command's module; each is run in a
fresh interpreter and its `sys.modules` read at exit. How long they take is
`benchmarks/startup.py`'s business (tests never assert timings)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowtop.tui.cli.main import COMMANDS

HEAVY = {"cv2", "numpy", "textual", "rich", "tomlkit"}
# runs the command as the console script does, then names every module loaded
WRAPPER = (
    "import sys\n"
    "from flowtop.tui.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print('modules:', *sorted(sys.modules), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def modules_of(argv: list[str], home: Path) -> set[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", WRAPPER, *argv], check=False,
                         capture_output=True, text=True, cwd=home, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout  # the help or the config was printed
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("modules: "))
    return set(line.split()[1:])


def commands_loaded(modules: set[str]) -> set[str]:
    return {m.rsplit(".", 1)[1] for m in modules if m.startswith("flowtop.tui.cli.")} & set(
        COMMANDS)


@pytest.mark.parametrize("argv", [["--help"], ["config"], *([c, "--help"] for c in COMMANDS)],
                         ids=" ".join)
def test_help_and_config_load_nothing_heavy(argv: list[str], tmp_path: Path) -> None:
    modules = modules_of(argv, tmp_path)
    assert "flowtop.tui.cli.main" in modules  # the list is the command's own
    assert {m.split(".")[0] for m in modules} & HEAVY == set()
    assert commands_loaded(modules) == set(argv[:1]) & set(COMMANDS)


def test_config_from_a_file_reads_it_without_tomlkit(tmp_path: Path) -> None:
    """A config file is read with the standard library; tomlkit is for saving."""
    path = tmp_path / "c.toml"
    path.write_text('# mine\n[lk]\nwin_size = 9\n\n[source]\nurl = "demo"\n')
    modules = modules_of(["--config", str(path), "config", "--set", "tracking.smoothing=0.5"],
                         tmp_path)
    assert "tomllib" in modules or "tomli" in modules
    assert {m.split(".")[0] for m in modules} & HEAVY == set()
