"""The `flowtop` command line: the parser, shared options, one module per subcommand."""
