"""Subcommands of the `flowtop` command line; each module has `register(subparsers)`."""
