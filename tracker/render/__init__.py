"""Frames to pictures: half-block cells, terminal colour modes and ANSI text, annotated images."""
