"""Initial-contact detection: one impact per step (trunk, thigh) or one contact per stride of
the sensor's own leg from its swing (foot, shank)."""

from retrowalk.gait.imu.icd._algo import IcdNormPeak
from retrowalk.gait.imu.icd._swing import IcdSwingImpact
from retrowalk.gait.imu.icd.evaluation import IcMatch, match_initial_contacts

__all__ = ["IcMatch", "IcdNormPeak", "IcdSwingImpact", "match_initial_contacts"]
