"""The input limits (``RETROWALK_MAX_*``): each one's name, type, default, bound and meaning, once.

Plain data on purpose. :class:`retrowalk.settings.Settings` builds its ``max_*`` fields from
these, and :mod:`retrowalk.io.limits` reads the environment with them directly, so a command
that only checks limits (``retrowalk gait imu``) never imports pydantic-settings (~25 ms).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LimitSpec:
    """One limit: a value must be ``>= minimum`` (``> minimum`` when ``exclusive``)."""

    kind: type[int] | type[float]
    default: int | float
    minimum: int | float
    description: str
    exclusive: bool = False

    def allows(self, value: float) -> bool:
        return value > self.minimum if self.exclusive else value >= self.minimum


#: Setting name (``RETROWALK_`` + its upper case in the environment) -> its spec.
LIMITS: dict[str, LimitSpec] = {
    "max_csv_columns": LimitSpec(int, 256, 4, "Columns in an uploaded CSV header."),
    "max_csv_rows": LimitSpec(int, 2_000_000, 1, "Data rows in an uploaded CSV."),
    "max_samples": LimitSpec(int, 2_000_000, 1, "Samples (IMU) or frames (pose)."),
    "max_duration_seconds": LimitSpec(float, 4 * 3600.0, 0, "Recording duration.", exclusive=True),
    "max_archive_members": LimitSpec(int, 16, 1, "Members of an uploaded .npz."),
    "max_archive_uncompressed_bytes": LimitSpec(
        int, 128 * 1024 * 1024, 1024, "Summed uncompressed size of a .npz's members."
    ),
    "max_trial_strata": LimitSpec(int, 1000, 1, "Strata (product of factor levels)."),
    "max_trial_arms": LimitSpec(int, 10, 2, "Arms of a trial definition."),
    "max_trial_visits": LimitSpec(int, 50, 2, "Visits of a trial definition."),
    "max_trial_outcomes": LimitSpec(int, 50, 1, "Outcomes of a trial definition."),
    "max_trial_rows": LimitSpec(int, 10_000, 1, "Rows of an uploaded trial data file."),
    "max_fhir_entries": LimitSpec(int, 10_000, 1, "Entries of an imported FHIR Bundle."),
    "max_json_depth": LimitSpec(int, 64, 4, "Nesting depth of any JSON document read."),
    "max_logs_per_client_per_day": LimitSpec(int, 30, 1, "Session-log rows one client may have for one day."),
}
