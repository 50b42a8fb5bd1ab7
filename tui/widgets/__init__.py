"""Side panels and the status bar: speeds, objects, parameters, health."""
