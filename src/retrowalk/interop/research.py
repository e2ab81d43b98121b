"""Research exports: tidy long tables of outcomes and sessions with keyed-hash pseudonyms.

Identifiers (client, KOOS response, observation, session, programme) are replaced by
HMAC-SHA256(key, kind + ":" + id), so the same key gives the same pseudonym across exports
(longitudinal linkage) while nobody without the key can recompute them. The key must live outside
the database: the ``RETROWALK_PSEUDONYM_KEY`` environment variable or a key file.
Practitioner identities and client names are never exported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from retrowalk.errors import InputError
from retrowalk.extras import require
from retrowalk.interop import codes as C
from retrowalk.interop.fhir_export import fhir_datetime
from retrowalk.interop.koos import ITEM_BY_ID, SUBSCALES
from retrowalk.interop.record import ClientRecord

KEY_ENV: Final = "RETROWALK_PSEUDONYM_KEY"
MIN_KEY_BYTES: Final = 16
PSEUDONYM_HEX: Final = 32  # 128 bits of the HMAC: collisions are not a practical concern

OUTCOME_COLUMNS: Final = (
    "pid",
    "event_id",
    "instrument",
    "measure",
    "side",
    "value",
    "unit",
    "code_system",
    "code",
    "effective",
    "context",
    "session_id",
)
SESSION_COLUMNS: Final = (
    "pid",
    "session_id",
    "programme_id",
    "performed",
    "exercise_index",
    "exercise_id",
    "completed",
    "variable",
    "value",
    "unit",
)
PARTICIPANT_COLUMNS: Final = ("pid", "birth_year", "sex")

ExportFormat = Literal["csv", "parquet"]
_UNITLESS: Final = {
    "sets": "{count}",
    "reps": "{count}",
    "handrails": "{code}",
    "frequency_per_week": "/wk",
    "safety_key": "{boolean}",
    "per_side": "{boolean}",
}


def load_pseudonym_key(key_file: Path | None = None) -> bytes:
    """The secret from ``key_file`` or ``RETROWALK_PSEUDONYM_KEY``; refuses to go on without one."""
    if key_file is not None:
        if not key_file.is_file():
            raise InputError(
                "key file",
                f"{key_file} does not exist or is not a file",
                hint="pass the path of a file that holds the pseudonymisation secret",
            )
        key = key_file.read_bytes().strip()
        source = str(key_file)
    else:
        key = os.environ.get(KEY_ENV, "").strip().encode()
        source = KEY_ENV
    if not key:
        raise InputError(
            "pseudonym key",
            "no pseudonymisation key: research exports refuse to run without one",
            hint=f"set {KEY_ENV} or pass --key-file PATH (a secret of at least {MIN_KEY_BYTES} bytes, "
            "kept outside the database, e.g. `python -c 'import secrets;print(secrets.token_hex(32))'`)",
        )
    if len(key) < MIN_KEY_BYTES:
        raise InputError(
            "pseudonym key",
            f"the key from {source} is shorter than {MIN_KEY_BYTES} bytes",
            hint="use a longer random secret",
        )
    return key


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise InputError(
                "pseudonym key", f"key shorter than {MIN_KEY_BYTES} bytes", hint="use a longer secret"
            )
        self._key = key

    def __call__(self, kind: str, raw_id: str | None) -> str | None:
        if raw_id is None:
            return None
        digest = hmac.new(self._key, f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]


def _outcome_rows(record: ClientRecord, ps: Pseudonymiser) -> Iterable[dict[str, Any]]:
    pid = ps("patient", record.patient.id)
    for resp in record.koos:
        event = ps("koos", f"{record.patient.id}/{resp.id}")
        when = fhir_datetime(resp.authored)
        for item_id, value in sorted(resp.answers.items(), key=lambda kv: list(ITEM_BY_ID).index(kv[0])):
            yield {
                "pid": pid,
                "event_id": event,
                "instrument": "koos_item",
                "measure": item_id,
                "value": value,
                "unit": C.SCORE_UNIT,
                "code_system": C.KOOS_QUESTIONNAIRE_URL,
                "code": item_id,
                "effective": when,
            }
        if resp.scores is not None:
            for subscale in SUBSCALES:
                score = getattr(resp.scores, subscale)
                if score is not None:
                    yield {
                        "pid": pid,
                        "event_id": event,
                        "instrument": "koos",
                        "measure": f"koos_{subscale}",
                        "value": score,
                        "unit": C.SCORE_UNIT,
                        "code_system": C.LOINC,
                        "code": C.KOOS_SUBSCALE_LOINC[subscale][0],
                        "effective": when,
                    }
    for obs in record.pain:
        yield {
            "pid": pid,
            "event_id": ps("pain", f"{record.patient.id}/{obs.id}"),
            "instrument": "nprs",
            "measure": "nprs",
            "value": obs.value,
            "unit": C.SCORE_UNIT,
            "code_system": C.LOINC,
            "code": C.NPRS_LOINC[0],
            "effective": fhir_datetime(obs.effective),
            "context": obs.context,
            "session_id": ps("session", f"{record.patient.id}/{obs.session_id}") if obs.session_id else None,
        }
    for m in record.measurements:
        yield {
            "pid": pid,
            "event_id": ps("measurement", f"{record.patient.id}/{m.id}"),
            "instrument": "assessment",
            "measure": m.test_id,
            "side": m.side,
            "value": m.value,
            "unit": m.unit,
            "code_system": C.RETROWALK_CS,
            "code": m.test_id,
            "effective": fhir_datetime(m.effective),
        }
    for g in record.gait:
        yield {
            "pid": pid,
            "event_id": ps("gait", f"{record.patient.id}/{g.id}"),
            "instrument": "gait",
            "measure": g.metric,
            "side": g.side,
            "value": g.value,
            "unit": g.unit,
            "code_system": C.RETROWALK_CS,
            "code": g.metric,
            "effective": fhir_datetime(g.effective),
            "context": "/".join(x for x in (g.direction, g.source) if x) or None,
        }


def _session_rows(record: ClientRecord, ps: Pseudonymiser) -> Iterable[dict[str, Any]]:
    pid = ps("patient", record.patient.id)
    for s in record.sessions:
        base = {
            "pid": pid,
            "session_id": ps("session", f"{record.patient.id}/{s.id}"),
            "programme_id": ps("programme", f"{record.patient.id}/{s.programme_id}")
            if s.programme_id
            else None,
            "performed": fhir_datetime(s.performed),
        }
        for index, ex in enumerate(s.exercises):
            row = {**base, "exercise_index": index, "exercise_id": ex.exercise_id, "completed": ex.completed}
            for field, (_url, unit) in C.DOSE_FIELDS.items():
                value = getattr(ex.dose, field)
                if value is None or field == "notes":
                    continue  # free text may identify people; never exported
                if field == "handrails":
                    value = {"none": 0, "one": 1, "both": 2}[value]
                elif isinstance(value, bool):
                    value = int(value)
                yield {**row, "variable": field, "value": float(value), "unit": unit or _UNITLESS[field]}


def research_tables(records: Iterable[ClientRecord], key: bytes) -> dict[str, pd.DataFrame]:
    """outcomes, sessions and participants as tidy long DataFrames (one value per row)."""
    ps = Pseudonymiser(key)
    outcomes: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    participants: list[dict[str, Any]] = []
    for record in records:
        outcomes.extend(_outcome_rows(record, ps))
        sessions.extend(_session_rows(record, ps))
        participants.append(
            {
                "pid": ps("patient", record.patient.id),
                "birth_year": record.patient.birth_year,
                "sex": record.patient.sex,
            }
        )
    out = {
        "outcomes": pd.DataFrame(outcomes, columns=list(OUTCOME_COLUMNS)),
        "sessions": pd.DataFrame(sessions, columns=list(SESSION_COLUMNS)),
        "participants": pd.DataFrame(participants, columns=list(PARTICIPANT_COLUMNS)),
    }
    out["outcomes"]["value"] = out["outcomes"]["value"].astype("float64")
    out["sessions"]["value"] = out["sessions"]["value"].astype("float64")
    out["participants"]["birth_year"] = out["participants"]["birth_year"].astype("Int64")
    out["sessions"]["exercise_index"] = out["sessions"]["exercise_index"].astype("Int64")
    return out


_ID_NOTE: Final = "keyed pseudonym: first 32 hex chars of HMAC-SHA256(secret, kind:id); stable per key"


def data_dictionary() -> dict[str, Any]:
    """Every column of every table, plus every measure code with its code system and unit."""
    columns: dict[str, dict[str, tuple[str, str | None, str]]] = {
        "participants": {
            "pid": ("string", None, _ID_NOTE + " (kind=patient)"),
            "birth_year": ("integer", "a", "year of birth, if recorded"),
            "sex": ("string", None, "female | male | other | unknown (FHIR administrative gender)"),
        },
        "outcomes": {
            "pid": ("string", None, _ID_NOTE + " (kind=patient)"),
            "event_id": ("string", None, _ID_NOTE + "; one per questionnaire or observation"),
            "instrument": ("string", None, "koos | koos_item | nprs | assessment | gait"),
            "measure": ("string", None, "what was measured; see the measures section"),
            "side": ("string", None, "left | right | bilateral, when the measure is per side"),
            "value": ("number", None, "the value, in `unit`"),
            "unit": ("string", None, "UCUM code (http://unitsofmeasure.org)"),
            "code_system": ("string", None, "code system URI of `code`"),
            "code": ("string", None, "the measure's code (LOINC where one exists, else retrowalk)"),
            "effective": ("datetime", None, "when measured, ISO 8601 UTC"),
            "context": (
                "string",
                None,
                "NPRS: baseline|rest|before|during|after|next_day; gait: direction/source",
            ),
            "session_id": ("string", None, _ID_NOTE + " (kind=session); pain rated within a logged session"),
        },
        "sessions": {
            "pid": ("string", None, _ID_NOTE + " (kind=patient)"),
            "session_id": ("string", None, _ID_NOTE + " (kind=session)"),
            "programme_id": ("string", None, _ID_NOTE + " (kind=programme)"),
            "performed": ("datetime", None, "when the session took place, ISO 8601 UTC"),
            "exercise_index": ("integer", None, "position of the exercise within the session"),
            "exercise_id": ("string", None, f"exercise library id ({C.EXERCISE_CS})"),
            "completed": ("boolean", None, "false when the exercise was skipped"),
            "variable": (
                "string",
                None,
                "dose variable: "
                + ", ".join(f for f in C.DOSE_FIELDS if f != "notes")
                + " (handrails coded 0=none, 1=one, 2=both; safety_key and per_side 0/1)",
            ),
            "value": ("number", None, "the dose value, in `unit`"),
            "unit": ("string", None, "UCUM code"),
        },
    }
    measures: list[dict[str, Any]] = []
    for item_id, item in ITEM_BY_ID.items():
        measures.append(
            {
                "instrument": "koos_item",
                "measure": item_id,
                "code_system": C.KOOS_QUESTIONNAIRE_URL,
                "code": item_id,
                "unit": C.SCORE_UNIT,
                "description": f"{item.text} (0={item.labels[0]} … 4={item.labels[4]})",
            }
        )
    for subscale in SUBSCALES:
        code, display = C.KOOS_SUBSCALE_LOINC[subscale]
        measures.append(
            {
                "instrument": "koos",
                "measure": f"koos_{subscale}",
                "code_system": C.LOINC,
                "code": code,
                "unit": C.SCORE_UNIT,
                "description": f"{display}; 0-100, 100 = no problems",
            }
        )
    measures.append(
        {
            "instrument": "nprs",
            "measure": "nprs",
            "code_system": C.LOINC,
            "code": C.NPRS_LOINC[0],
            "unit": C.SCORE_UNIT,
            "description": "NPRS 0-10, 0 = no pain",
        }
    )
    for instrument, table in (("assessment", C.MEASUREMENT_CONCEPTS), ("gait", C.GAIT_CONCEPTS)):
        for concept_id, concept in table.items():
            measures.append(
                {
                    "instrument": instrument,
                    "measure": concept_id,
                    "code_system": C.RETROWALK_CS,
                    "code": concept_id,
                    "unit": concept.unit,
                    "description": concept.display,
                }
            )
    return {
        "tables": {
            table: [
                {"column": col, "type": t, "unit": u, "description": d} for col, (t, u, d) in cols.items()
            ]
            for table, cols in columns.items()
        },
        "measures": measures,
        "units": C.UCUM_UNITS,
        "pseudonymisation": "HMAC-SHA256 with a secret held outside the database; " + _ID_NOTE,
    }


def write_research_export(
    records: Iterable[ClientRecord], out_dir: Path, *, key: bytes, fmt: ExportFormat = "csv"
) -> list[Path]:
    """Write outcomes/sessions/participants in ``fmt`` plus data_dictionary.{json,csv}."""
    if fmt == "parquet":
        require("parquet", "parquet export")
    tables = research_tables(records, key)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in tables.items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        written.append(path)
    dictionary = data_dictionary()
    json_path = out_dir / "data_dictionary.json"
    json_path.write_text(json.dumps(dictionary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = [{"table": table, **col} for table, cols in dictionary["tables"].items() for col in cols]
    rows += [
        {
            "table": "measures",
            "column": m["measure"],
            "type": m["instrument"],
            "unit": m["unit"],
            "description": f"{m['description']} [{m['code_system']}#{m['code']}]",
        }
        for m in dictionary["measures"]
    ]
    csv_path = out_dir / "data_dictionary.csv"
    pd.DataFrame(rows, columns=["table", "column", "type", "unit", "description"]).to_csv(
        csv_path, index=False
    )
    return [*written, json_path, csv_path]
