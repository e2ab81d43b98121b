"""Exercise illustrations: stick-figure kinematics, the synthetic walker as key poses, SVG rendering.

Pure (no I/O): the data come from core/data/illustrations.yaml through retrowalk.core.illustration.
"""
