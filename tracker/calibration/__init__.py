"""Pixels to metres: calibration models, camera intrinsics, chessboard fitting."""
