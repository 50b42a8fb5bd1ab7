"""The live UI: the Textual app, its layout (`flowtop.tcss`), help screen and export."""
