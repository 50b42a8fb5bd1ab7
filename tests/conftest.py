"""Shared fixtures: sample videos from ../shared/data (skipped with a reason when absent), a
folder shared by every worker of one run, the demo tracked once (`demo_run`); Pilot's idle
waits capped (see `cap_idle_waits`); one OpenCV thread per pytest-xdist worker."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

# `python -m pytest` puts the working directory first on sys.path, where the folders `tracker`
# and `tui` would import as top-level packages. The tests see only the installed `flowtop.*`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]


def keep_bytecode() -> None:
    """With $PYTHONDONTWRITEBYTECODE set, every test worker would compile the package and
    rewrite the test modules' asserts from source again (about 3 s each), and every `flowtop`
    a test starts would compile the package (0.35 s of its 0.75 s start). Write bytecode, in
    __pycache__ beside the sources (ignored by git), for this run and the next; the processes
    the tests start inherit that through the environment. Not under a $PYTHONPYCACHEPREFIX:
    Python then looks for the bytecode of every module there, so each worker of a fresh
    clone compiled the installed libraries (pytest, Textual, Rich, numpy...) again as well,
    all four at once: 23 s before the first test instead of 11."""
    if not sys.dont_write_bytecode:
        return
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


keep_bytecode()


def cap_idle_waits(most_s: float = 0.1) -> None:
    """`Pilot.press` waits twice per key, and `Pilot.pause()` once, for the process to go
    idle, up to 1 s each time. An app tracking a live source never idles, so every key cost
    2 s of waiting. Wait at most `most_s`: `press` still returns only once the screen has
    handled the key (it also waits for the screen's message queues); what a key starts in
    the tracking thread, the tests wait for by its effect (`waiting.wait_for`)."""
    import textual._wait
    import textual.app
    import textual.pilot

    idle = textual._wait.wait_for_idle

    async def capped(min_sleep: float = textual._wait.SLEEP_GRANULARITY,
                     max_sleep: float = 1.0) -> None:
        await idle(min_sleep, min(max_sleep, most_s))

    textual.app.wait_for_idle = capped  # type: ignore[attr-defined]
    textual.pilot.wait_for_idle = capped  # type: ignore[attr-defined]


cap_idle_waits()

if os.environ.get("PYTEST_XDIST_WORKER"):
    import cv2

    # the workers already keep the cores busy: OpenCV's own threads would only compete with
    # them (the same results, about 15% more CPU)
    cv2.setNumThreads(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow first, each group in its own order: with the tests handed out one at
    a time (pyproject's addopts), parallel workers start the long ones early and end
    together, instead of one worker finishing a long test alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish() -> None:
    """What is alive once the tests are collected (modules, the collected tests) lives to the
    end: set it apart from the garbage collector, which no longer walks it at every full
    collection nor five times over when the session ends (0.7 s a worker).

    Then collect the youngest generation every 100,000 allocations instead of 700: a Textual
    app allocates containers by the hundred thousand (styles, strips, segments, messages),
    and the collector walked them ever again, about a tenth of the CPU of the app tests. The
    cycles they leave are still collected, later; a test that needs them gone calls
    gc.collect() (test_rewind does)."""
    gc.freeze()
    gc.set_threshold(100_000, *gc.get_threshold()[1:])


def sample(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"sample video {path} is absent (it lives in ../shared/data)")
    return path


@pytest.fixture
def highway() -> Path:
    return sample("highway.mp4")


@pytest.fixture
def pedestrians() -> Path:
    return sample("pedestrians.avi")


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run shared by its pytest-xdist workers (for `session_store`)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def demo_run(session_dir: Path) -> list:
    """The default demo tracked with the default parameters, 300 frames (`demo_run.py`)."""
    from demo_run import demo_states

    return demo_states(session_dir)
