"""Walking-bout detection: runs of regular steps."""

from retrowalk.gait.imu.gsd._algo import GsdStepRuns

__all__ = ["GsdStepRuns"]
