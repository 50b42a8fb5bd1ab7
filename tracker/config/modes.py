"""The preview's colour modes, richest first (`auto` picks one for the terminal).

A module of its own with no imports: the parameter schema, the palette and the command line
all read it.
"""

COLOR_MODES = ("truecolor", "256", "16", "gray", "ascii")
