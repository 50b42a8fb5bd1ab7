"""What the key bar offers at a given moment, and flowtop's commands for the command palette.

Both are pure functions of the app's state, so they can be tested without running the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding

from flowtop.tracker.config.params import Params, iter_specs
from flowtop.tracker.contracts import RunState
from flowtop.tui.app.views import WIDE_COLS
from flowtop.tui.widgets.key_bar import Key
from flowtop.tui.widgets.value_dialog import shown_value


@dataclass(frozen=True)
class Moment:
    """What the key bar depends on."""

    state: RunState
    width: int
    calibrating: bool = False
    rewindable: bool = False  # the source can play again from its start (a file)
    buffered: bool = False  # the rewind buffer holds frames to replay


def bar_keys(m: Moment) -> list[Key]:
    """The keys for the key bar, in order; rank says which go first on a narrow screen."""
    if m.calibrating:
        return [Key("click/a", "pick point", 0), Key("ctrl+z", "undo point", 1),
                Key("ctrl+t", "mode", 1), Key("ctrl+s", "save", 0), Key("esc", "leave", 0),
                Key("?", "help", 0)]
    paused = m.state in (RunState.PAUSED, RunState.REPLAY_PAUSED)
    ended = m.state is RunState.ENDED
    replaying = m.state in (RunState.REPLAY, RunState.REPLAY_PAUSED)
    keys = [Key("space", "resume" if paused else "pause", 0)]
    if replaying:
        keys.append(Key("b", "live", 0))
    if ended and m.rewindable:
        keys.append(Key("r", "play again", 0))
    elif paused and (replaying or m.buffered):
        keys.append(Key(", .", "frame", 1))
    else:
        keys.append(Key("n", "step", 2 if paused else 4))
    if not replaying and m.buffered:
        keys.append(Key("b", "replay", 2))
    if not (ended and m.rewindable):
        keys.append(Key("r", "reseed", 3))
    keys += [
        Key("1-6", "views", 1 if m.width < WIDE_COLS else 5),
        Key("c", "clear", 6),
        Key("t", "trails", 7),
        Key("v", "all tracks", 7),
        Key("m", "colour", 6),
        Key("s", "save", 4),
        Key("u", "undo", 6),
        Key("k", "calibrate", 4),
        Key("e", "export", 5),
        Key("h", "health", 5),
        Key("^p", "commands", 3),
        Key("?", "help", 0),
        Key("q", "quit", 0),
    ]
    return keys


@dataclass(frozen=True)
class Command:
    """One command of the command palette: its title, a line of help, what it runs."""

    title: str
    help: str
    run: Callable[[], object]


def app_commands(bindings: Iterable[object], params: Params, edit: Callable[[str], object],
                 run_action: Callable[[str], object]) -> list[Command]:
    """The command palette's flowtop commands: every key's action (but help and quit, which
    the palette has), then `set <key>` for every parameter."""
    keys = [Command(b.description, f"key: {b.key}", partial(run_action, b.action))
            for b in bindings if isinstance(b, Binding) and b.action not in ("help", "quit")]
    return keys + parameter_commands(params, edit)


def parameter_commands(params: Params, edit: Callable[[str], object]) -> list[Command]:
    """`set <key>` for every parameter, showing its help and current value."""
    return [Command(f"set {key}", f"{spec.help} (now {shown_value(params.get(key))})",
                    partial(edit, key))
            for key, _, spec in iter_specs()]
