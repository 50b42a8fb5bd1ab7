"""Tracking itself: LK with the forward-backward check, the tracker, objects, trap, faces."""
