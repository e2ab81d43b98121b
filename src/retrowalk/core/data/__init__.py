"""Packaged, read-only clinical data (YAML). Every rule carries its source and certainty."""
