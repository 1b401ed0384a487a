"""The simulation engine: a model of the Linux network stack (no UI imports).

State lives here; tools in :mod:`tui.shell` are views of it.
"""
