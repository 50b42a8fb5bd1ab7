"""The app's keys: one Binding per action, with the description the help screen, the key bar
and the command palette show."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from flowtop.tui.calibration.panel import CalibrationPanel

APP_BINDINGS: list[BindingType] = [
    Binding("space", "toggle_pause", "pause / resume"),
    Binding("n", "step", "one frame forward while paused"),
    Binding("b", "replay", "replay the rewind buffer to tune on / back to live"),
    Binding("comma", "step_back", "one frame back while paused (live: into the buffer)",
            key_display=","),
    Binding("full_stop", "step", "one frame forward while paused", key_display="."),
    Binding("r", "reseed", "reseed now (at the end of a file: play it again)"),
    Binding("c", "clear", "clear all tracks"),
    Binding("t", "toggle_trails", "trails on / off"),
    Binding("m", "cycle_colour", "next colour mode (auto, truecolor, 256, 16, gray, ascii)"),
    Binding("v", "toggle_all_tracks", "all tracks (colours by id) / moving ones by speed"),
    Binding("o", "cycle_sort", "sort the speeds table (speed, id, age)"),
    Binding("s", "save", "save the parameters to the config file"),
    Binding("u", "undo", "undo the last parameter change"),
    Binding("k", "calibrate", "calibration mode"),
    Binding("e", "export", "export the frame (PNG) and recent tracks (CSV)"),
    Binding("E", "export_buffer", "export the rewind buffer as a video (MP4)"),
    Binding("h", "toggle_health", "health view"),
    Binding("1", "view('picture')", "view: the picture alone"),
    Binding("2", "view('speeds')", "view: speeds"),
    Binding("3", "view('objects')", "view: objects"),
    Binding("4", "view('params')", "view: parameters"),
    Binding("5", "view('health')", "view: health"),
    Binding("6", "view('tuning')", "view: tuning (A/B figures of the replay)"),
    # calibration mode's own keys, also while the preview (not the panel) has the focus
    *(Binding(b.key, f"calibration('{b.action}')", b.description, show=False)
      for b in CalibrationPanel.key_bindings()),
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("q", "quit", "quit"),
    # as in top and htop (Textual only says how to quit); a text field still copies with it
    Binding("ctrl+c", "quit", "quit", show=False),
]
