"""The layers as installed: one top-level name, an engine that never imports the UI.

import-linter checks the same contracts statically (pyproject.toml, run by .ci/run); these run
the real imports in fresh interpreters, outside the checkout.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(code: str, cwd: Path) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=cwd)
    return out.stdout.strip()


def test_tracker_imports_no_ui(tmp_path: Path) -> None:
    code = (
        "import sys, pkgutil, importlib, flowtop.tracker as t\n"
        "for m in pkgutil.walk_packages(t.__path__, 'flowtop.tracker.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules\n"
        "             if n.split('.')[0] in ('textual', 'rich') or n.startswith('flowtop.tui'))\n"
        "print(','.join(bad))\n"
    )
    assert run(code, tmp_path) == ""


@pytest.mark.parametrize("name", ["tracker", "tui"])
def test_the_folders_are_not_top_level_packages(name: str, tmp_path: Path) -> None:
    code = f"import importlib.util; print(importlib.util.find_spec({name!r}) is None)"
    assert run(code, tmp_path) == "True"


def test_flowtop_is_this_checkout(tmp_path: Path) -> None:
    code = "import flowtop.tracker, flowtop.tui; print(flowtop.tracker.__file__)"
    assert Path(run(code, tmp_path)).resolve() == ROOT / "tracker" / "__init__.py"


def test_the_packaged_list_holds_every_folder() -> None:
    """pyproject's `packages` names every package folder, so a wheel leaves none behind."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {"flowtop." + ".".join(p.parent.relative_to(ROOT).parts)
             for top in ("tracker", "tui") for p in (ROOT / top).rglob("__init__.py")}
    assert listed == found
