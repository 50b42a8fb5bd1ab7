"""`python -m flowtop.tui.cli`: the same as the `flowtop` command."""

import sys

from flowtop.tui.cli.main import main

sys.exit(main())
