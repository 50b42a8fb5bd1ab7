"""The engine never imports the UI: checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


def test_tracker_imports_no_ui() -> None:
    code = (
        "import sys, pkgutil, importlib, tracker\n"
        "for m in pkgutil.walk_packages(tracker.__path__, 'tracker.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'tui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
