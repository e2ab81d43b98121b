"""Code systems, codes and UCUM units used by the FHIR and research exports.

Every LOINC code here is listed in ``shared/clinical-facts.md`` §2.1 (tests re-check the table).
Concepts without a confirmed LOINC code (knee ROM, hip strength, balance, chair stand, gait metrics,
exercises, dose details) use the retrowalk code systems below. SNOMED CT body-site codes are NOT
used: the facts file marks them unverified, so laterality is coded in a retrowalk code system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE_EXT: Final = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

#: Base of every retrowalk-defined URI (not resolvable; it only has to be stable and unique).
RETROWALK_BASE: Final = "https://retrowalk.example/fhir"
#: Observation and procedure codes that have no LOINC code (test ids, gait metrics, session).
RETROWALK_CS: Final = f"{RETROWALK_BASE}/CodeSystem/retrowalk"
#: Exercise ids from the retrowalk exercise library.
EXERCISE_CS: Final = f"{RETROWALK_BASE}/CodeSystem/exercise"
#: left | right | bilateral.
LATERALITY_CS: Final = f"{RETROWALK_BASE}/CodeSystem/laterality"
#: imu | pose | manual: how a gait metric was measured.
GAIT_SOURCE_CS: Final = f"{RETROWALK_BASE}/CodeSystem/gait-source"
#: Identifier system for pseudonymous client ids.
PATIENT_ID_SYSTEM: Final = f"{RETROWALK_BASE}/NamingSystem/client-pseudonym"
PRACTITIONER_ID_SYSTEM: Final = f"{RETROWALK_BASE}/NamingSystem/practitioner"

EXT_DOSE: Final = f"{RETROWALK_BASE}/StructureDefinition/dose"
EXT_STAGE: Final = f"{RETROWALK_BASE}/StructureDefinition/programme-stage"
EXT_PAIN_CONTEXT: Final = f"{RETROWALK_BASE}/StructureDefinition/pain-context"
EXT_WALKING_DIRECTION: Final = f"{RETROWALK_BASE}/StructureDefinition/walking-direction"

KOOS_QUESTIONNAIRE_URL: Final = f"{RETROWALK_BASE}/Questionnaire/koos"
KOOS_QUESTIONNAIRE_VERSION: Final = "2012-en"

#: LOINC codes from clinical-facts §2.1 (code, display).
KOOS_PANEL_LOINC: Final = ("72091-2", "Knee injury and Osteoarthritis Outcome Score [KOOS]")
KOOS_SUBSCALE_LOINC: Final[dict[str, tuple[str, str]]] = {
    "pain": ("72102-7", "Pain score [KOOS]"),
    "symptoms": ("72101-9", "Symptoms score [KOOS]"),
    "adl": ("72100-1", "Activities of daily living score [KOOS]"),
    "sport_rec": ("72099-5", "Sport-recreation score [KOOS]"),
    "qol": ("72098-7", "Quality of life score [KOOS]"),
}
NPRS_LOINC: Final = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")

SCORE_UNIT: Final = "{score}"

#: UCUM codes a measurement or gait metric may carry (code -> human label).
UCUM_UNITS: Final[dict[str, str]] = {
    "deg": "degree (angle)",
    "cm": "centimetre",
    "mm": "millimetre",
    "m": "metre",
    "s": "second",
    "min": "minute",
    "km/h": "kilometre per hour",
    "N": "newton",
    "N.m/kg": "newton metre per kilogram body mass",
    "kg": "kilogram",
    "m/s": "metre per second",
    "/min": "per minute (steps per minute for cadence)",
    "%": "percent",
    "{count}": "count (e.g. chair stands)",
    "{score}": "score",
}


@dataclass(frozen=True)
class ConceptInfo:
    """A retrowalk concept: display text, its expected UCUM unit and a plausible value range."""

    display: str
    unit: str
    low: float
    high: float


#: Assessment tests keyed by the core catalogue's test ids (core/data/assessment.yaml). Unknown
#: test ids are still exported (retrowalk code = the test id) as long as their unit is UCUM-known.
MEASUREMENT_CONCEPTS: Final[dict[str, ConceptInfo]] = {
    "knee_to_wall": ConceptInfo("Knee-to-wall (weight-bearing lunge) distance", "cm", 0, 30),
    "navicular_drop": ConceptInfo("Navicular drop", "mm", 0, 40),
    "lateral_step_down": ConceptInfo("Lateral step-down quality score (0-6)", "{score}", 0, 6),
    "knee_extension_deficit": ConceptInfo("Knee extension deficit (0 = full extension)", "deg", -30, 90),
    "knee_flexion_rom": ConceptInfo("Knee flexion range of motion", "deg", -20, 180),
    "hip_internal_rotation": ConceptInfo("Hip internal rotation ROM", "deg", 0, 90),
    "thomas_hip_angle": ConceptInfo("Modified Thomas test hip angle", "deg", -60, 60),
    "thomas_knee_angle": ConceptInfo("Modified Thomas test knee angle", "deg", 0, 180),
    "active_knee_extension": ConceptInfo("Active knee extension angle", "deg", 0, 120),
    "single_leg_stance": ConceptInfo("Unipedal (single-leg) stance time, eyes open", "s", 0, 45),
    "chair_stand_30s": ConceptInfo("30-second chair stand", "{count}", 0, 60),
    "hip_abduction_hhd": ConceptInfo("Hip abduction torque (hand-held dynamometer)", "N.m/kg", 0, 10),
    "hip_extension_hhd": ConceptInfo("Hip extension torque (hand-held dynamometer)", "N.m/kg", 0, 10),
    "seated_thoracic_rotation": ConceptInfo("Seated thoracic rotation", "deg", 0, 90),
}
#: Units as the core's assessment catalogue spells them -> UCUM.
CATALOGUE_UNIT_TO_UCUM: Final[dict[str, str]] = {
    "deg": "deg",
    "cm": "cm",
    "mm": "mm",
    "s": "s",
    "points": "{score}",
    "count": "{count}",
    "Nm/kg": "N.m/kg",
}

#: Gait metrics keyed by metric id.
GAIT_CONCEPTS: Final[dict[str, ConceptInfo]] = {
    "cadence": ConceptInfo("Cadence", "/min", 0, 300),
    "step_time_asymmetry": ConceptInfo("Step-time asymmetry", "%", 0, 100),
    "knee_extension_stance": ConceptInfo("Knee extension in stance (minimum knee flexion)", "deg", -30, 90),
    "gait_speed": ConceptInfo("Gait speed", "m/s", 0, 5),
    "step_time": ConceptInfo("Mean step time", "s", 0, 5),
    "stride_time": ConceptInfo("Mean stride time", "s", 0, 10),
    "step_count": ConceptInfo("Step count", "{count}", 0, 100000),
    "step_time_cv": ConceptInfo("Step-time variability (coefficient of variation)", "%", 0, 200),
    "step_length_asymmetry": ConceptInfo("Step-length asymmetry", "%", 0, 200),
    "trunk_lean": ConceptInfo("Trunk lean from vertical (positive = forward)", "deg", -90, 90),
}

#: How gait metric ids map onto the engine-independent gait summary lives with the summary
#: (``retrowalk.gait.summary.OBSERVATION_FIELDS`` / ``OBSERVATION_LEG_FIELDS``); a test checks that
#: every id there has a concept above.

SESSION_CODE: Final = ("rehab-session", "Rehabilitation exercise session")

#: Dose fields carried in the dose extension: field -> (sub-extension url, UCUM unit or None).
DOSE_FIELDS: Final[dict[str, tuple[str, str | None]]] = {
    "sets": ("sets", None),
    "reps": ("reps", None),
    "hold_s": ("hold", "s"),
    "duration_min": ("duration", "min"),
    "distance_m": ("distance", "m"),
    "load_kg": ("load", "kg"),
    "speed_kmh": ("speed", "km/h"),
    "incline_pct": ("incline", "%"),
    "handrails": ("handrails", None),
    "safety_key": ("safety-key", None),
    "per_side": ("per-side", None),
    "frequency_per_week": ("frequency-per-week", None),
    "notes": ("notes", None),
}
