"""Batch processing edges (parallel runs of the pure engines over many files)."""
