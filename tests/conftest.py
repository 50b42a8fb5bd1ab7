"""Shared fixtures: sample videos from ../shared/data (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


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
