"""The half-block preview widget, its rows and strips.

Everything that relies on Textual's internals lives in `internals`.
"""
