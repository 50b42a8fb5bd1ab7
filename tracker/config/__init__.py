"""Parameters: the one schema (`params`) and the TOML files that hold them (`files`)."""
