"""Where frames come from: cameras, files, streams, image sequences, the demo scene, the probe."""
