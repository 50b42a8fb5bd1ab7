"""Which widgets the app shows for its terminal width and view (`tui.app.views` decides),
and where the focus goes so that a key never acts on something the user cannot see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowtop.tui.app import views
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.panel import on_screen

if TYPE_CHECKING:
    from flowtop.tui.app.app import FlowtopApp

FOCUS_ORDER = ("#params", "#calibration", "#preview", "#speeds")  # who takes a lost focus


def apply(app: FlowtopApp) -> None:
    """Show the picture and the panels `views.shown` names for the app's size and view."""
    main = app.screen_stack[0]  # the app's own screen, under any dialog
    wanted = views.Screen(app.view, app.calibrating, app.width_cells)
    shown = views.shown(wanted)
    main.set_class(not wanted.wide, "narrow")
    main.set_class(shown.stacked, "stacked")
    app.query_one(Preview).display = shown.preview
    app.query_one("#side").display = shown.side
    for name in views.PANELS:
        app.query_one(f"#{name}").display = name in shown.panels
    keep_focus_on_screen(app)


def keep_focus_on_screen(app: FlowtopApp) -> None:
    """Move the focus off a widget that is not shown (its keys would act unseen)."""
    focused = app.screen.focused
    if focused is not None and on_screen(focused):
        return
    for candidate in FOCUS_ORDER:
        widget = app.query_one(candidate)
        if on_screen(widget) and widget.focusable:
            widget.focus()
            return
    app.screen.set_focus(None)


def show_panel(app: FlowtopApp, name: str) -> None:
    """Bring panel `name` into view (a narrow screen switches to it)."""
    if not on_screen(app.query_one(f"#{name}")):
        app.view = views.DEFAULT if app.wide and name != "health" else name
        app.apply_layout()
