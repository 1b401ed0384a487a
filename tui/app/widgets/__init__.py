"""The player's widgets, one per module (each with its own DEFAULT_CSS on theme variables)."""
