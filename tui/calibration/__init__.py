"""Calibration mode: the picking session (no UI) and the panel that shows it."""
