"""Shared fixtures: sample videos from ../shared/data (skipped with a reason when absent)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

# `python -m pytest` puts the working directory first on sys.path, where the folders `tracker`
# and `tui` would import as top-level packages. The tests see only the installed `flowtop.*`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]


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
