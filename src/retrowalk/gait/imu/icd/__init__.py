"""Initial-contact detection (one impact in the acceleration norm per step)."""

from retrowalk.gait.imu.icd._algo import IcdNormPeak
from retrowalk.gait.imu.icd.evaluation import IcMatch, match_initial_contacts

__all__ = ["IcMatch", "IcdNormPeak", "match_initial_contacts"]
