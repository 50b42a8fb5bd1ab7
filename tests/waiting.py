"""Waiting for what an app, a thread or a process does: until a condition holds, checked often,
with a hang guard that only a hung test reaches (never a timing assertion: a busy machine,
several test workers on two cores, must not make a test fail)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.pilot import Pilot

HANG_GUARD_S = 60.0
STEP_S = 0.02


async def wait_for(pilot: Pilot, condition: Callable[[], object], what: str = "the condition",
                   timeout: float = HANG_GUARD_S) -> None:
    """Let the app run until `condition()` holds; fail naming `what` if it never does."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, f"timed out waiting for {what}"
        await pilot.pause(STEP_S)


def wait_until(condition: Callable[[], object], what: str = "the condition",
               timeout: float = HANG_GUARD_S) -> None:
    """Block until `condition()` holds (a thread's or a process's work); fail naming `what`."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(STEP_S)
