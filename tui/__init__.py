"""The Textual app and the command line. Installed as `flowtop.tui`."""
