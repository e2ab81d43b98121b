"""Spatio-temporal parameters from initial contacts within bouts."""

from retrowalk.gait.imu.params._algo import StepTimeStats, step_time_stats

__all__ = ["StepTimeStats", "step_time_stats"]
