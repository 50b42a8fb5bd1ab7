"""Calibration mode: pick points on the preview, type world distances, see and save the result.

`CalibrationPanel` shows a `tui.calibration.session.CalibrationSession` (the picking state
and the calibration it gives). Its host routes `Preview.PointPicked` to `pick(x, y)` while the
panel is `active`, draws `OverlayChanged.overlay` on the preview, focuses the preview on
`PickNext` and applies `Saved.params`. ctrl+t cycles the modes: scale, homography, trap, check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from flowtop.tracker.config.files import save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.errors import OutputError
from flowtop.tracker.render.cells import Overlay
from flowtop.tui.calibration.session import HELP, CalibrationSession


class CalibrationPanel(Vertical):
    """Calibration mode's side panel: steps, picked points, an input, the result and a check."""

    BINDINGS = [
        Binding("ctrl+s", "save", "save calibration"),
        Binding("ctrl+z", "undo", "undo point"),
        Binding("ctrl+t", "mode", "calibration mode"),
        Binding("escape", "close", "leave calibration"),
    ]

    @classmethod
    def key_bindings(cls) -> list[Binding]:
        """The panel's keys (its host binds them too, for when the preview has the focus)."""
        return [b for b in cls.BINDINGS if isinstance(b, Binding)]

    DEFAULT_CSS = """
    CalibrationPanel { height: auto; max-height: 100%; border: round $accent; padding: 0 1; }
    CalibrationPanel > Static { height: auto; }
    CalibrationPanel #cal-input { margin: 0; }
    CalibrationPanel #cal-result { color: $text; }
    CalibrationPanel #cal-message { color: $error; }
    """

    class OverlayChanged(Message):
        """Draw `overlay` on the preview (None: clear it)."""

        def __init__(self, overlay: Overlay | None) -> None:
            super().__init__()
            self.overlay = overlay

    class Saved(Message):
        """The calibration was saved to `path`; `params` hold it: apply them."""

        def __init__(self, params: Params, path: Path) -> None:
            super().__init__()
            self.params, self.path = params, path

    class Closed(Message):
        """Calibration mode was left."""

    class PickNext(Message):
        """The next step is picking a point: the host should focus the preview."""

    def __init__(self, config_path: Path, get_params: Callable[[], Params], *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.config_path = config_path
        self.get_params = get_params
        self.session = CalibrationSession(Params())
        self.border_title = "calibration"
        self.display = False
        self._active = False

    def compose(self) -> ComposeResult:
        yield Static(id="cal-help")
        yield Static(id="cal-points")
        yield Input(id="cal-input")
        yield Static(id="cal-message")
        yield Static(id="cal-result")

    @property
    def active(self) -> bool:
        """Whether calibration mode is on (the host lays the screen out for it)."""
        return self._active

    # -- host API --------------------------------------------------------------------------

    def open(self, frame_size: tuple[int, int] | None) -> None:
        """Show the panel, starting from the saved calibration, and focus its input."""
        self.session = CalibrationSession.from_params(self.get_params(), frame_size)
        self._active = self.display = True
        self._refresh()
        self._focus_next_step()

    def pick(self, x: float, y: float) -> None:
        """A point picked on the preview; the input takes the focus when typing is next."""
        self.session.pick(x, y)
        self._refresh()
        self._focus_next_step()

    def _focus_next_step(self) -> None:
        if self.session.awaiting_input():
            self.query_one(Input).focus()
        else:
            self.post_message(self.PickNext())

    # -- actions ---------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.session.enter(event.value)
        event.input.value = ""
        self._refresh()
        self._focus_next_step()

    def action_undo(self) -> None:
        self.session.undo()
        self._refresh()

    def action_mode(self) -> None:
        self.session.cycle_mode()
        self._refresh()
        self._focus_next_step()

    def action_save(self) -> None:
        session = self.session
        session.params = self.get_params()  # the app's newest, with this session's picks
        outcome = session.result()
        params = outcome.params
        if params is None:
            session.message = outcome.text if outcome.error else \
                "nothing to save yet: " + session.prompt()
            self._refresh()
            return
        try:
            path = save_params(params, self.config_path).path
        except (OSError, OutputError) as exc:
            session.message = f"cannot save: {getattr(exc, 'strerror', None) or exc}"
            self._refresh()
            return
        session.params = params
        self.post_message(self.Saved(params, path))
        self.app.notify(f"calibration saved to {path}")
        self._refresh()

    def action_close(self) -> None:
        self._active = self.display = False
        self.post_message(self.OverlayChanged(None))
        self.post_message(self.Closed())

    # -- drawing ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        s = self.session
        self.query_one("#cal-help", Static).update(
            f"[b]{s.mode}[/] · {HELP[s.mode]}\n[dim]ctrl+t mode · ctrl+z undo · "
            f"ctrl+s save · esc leave[/]")
        rows = []
        for i, p in enumerate(s.points):
            world = "" if p.world is None else f" → {p.world[0]:g}, {p.world[1]:g} m"
            rows.append(f"{s._name(i):>3} {p.x:7.1f} {p.y:7.1f} px{world}")
        if s.metres and s.mode in ("scale", "trap"):
            rows.append(f"    {s.metres:g} m")
        self.query_one("#cal-points", Static).update(Text("\n".join(rows) or "no points"))
        self.query_one(Input).placeholder = s.prompt()
        message = self.query_one("#cal-message", Static)
        message.update(Text(s.message))
        message.display = bool(s.message)  # an empty line costs a row at 80x24
        outcome = s.result()
        result = Text(outcome.text, style="bold red" if outcome.error else "")
        for line in s.check_lines(outcome.calibration):
            result.append("\n" + line)
        shown = self.query_one("#cal-result", Static)
        shown.update(result)
        shown.display = bool(result.plain)
        self.post_message(self.OverlayChanged(s.overlay()))
