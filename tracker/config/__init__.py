"""Parameters: the one schema (`params`), how its fields are declared and checked
(`fields`), key-press steps (`steps`) and the TOML files that hold them (`files`)."""
