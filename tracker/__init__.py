"""The engine: plain Python, numpy and OpenCV, no UI. Installed as `flowtop.tracker`."""
