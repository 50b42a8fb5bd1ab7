"""README stays true to the code: every parameter and command it should name, it names."""

from __future__ import annotations

from pathlib import Path

from flowtop.tracker.config.params import iter_specs
from flowtop.tui.cli.main import COMMANDS, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_parameter() -> None:
    missing = [key for key, _, _ in iter_specs() if f"`{key}`" not in README]
    assert not missing, f"README's parameter table lacks {missing}"


def test_readme_lists_every_command() -> None:
    missing = [name for name in COMMANDS if f"`flowtop {name}" not in README]
    assert not missing, f"README's command table lacks {missing}"


def test_readme_lists_the_exit_codes() -> None:
    table = README.split("### Exit codes and outputs")[1].split("\n\n")[1]
    codes = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert codes == ["0", str(EXIT_FAILED), str(EXIT_USAGE), str(EXIT_INTERRUPTED)]


def test_ci_runs_the_readme_test_command() -> None:
    block = README.split("Run the tests:")[1].split("```sh\n")[1].split("```")[0].strip()
    install, command = (part.strip() for part in block.split("&&"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"python3 -m pip install --quiet -e {install.split()[-1]}" in ci
    assert ci.strip().splitlines()[-1] == command  # the last step: exactly README's command
