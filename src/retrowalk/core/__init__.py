"""The pure clinical core: scores, assessment, exercise library, prescription, progression.

No I/O here: packaged YAML is read through ``importlib.resources`` and everything else comes in
as arguments. Thresholds live in ``retrowalk/core/data/*.yaml`` with their sources.
"""
