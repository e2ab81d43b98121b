"""Gait analysis engines (pure core: no I/O)."""
