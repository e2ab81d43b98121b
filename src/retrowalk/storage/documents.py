"""Typed, versioned JSON documents in database columns.

Why: assessment findings, programmes, questionnaire scores and gait metrics were stored as
whatever dict a caller had, and every reader guessed keys in them. Each such column is now a
:class:`Document` column bound to one pydantic model (the core's own where it has one) and
stored as a thin envelope ``{"v": VERSION, "doc": ...}``:

* writing validates: only the model (or data that validates into it) is stored;
* reading validates too, and upgrades older versions in code (version 1 is the bare JSON the
  previous release wrote, before the envelope), so a row the data migration has not reached
  still reads;
* a row that does not validate, or was written by a newer release, raises
  :class:`DocumentError`; the crud readers turn it into a :class:`RowProblem` naming the row, so
  a page can say "this row cannot be read" instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from retrowalk.core.assessment import AssessmentInput, AssessmentResult
from retrowalk.core.prescription import Programme
from retrowalk.core.scores.koos import SUBSCALES, KoosScores
from retrowalk.errors import RetrowalkError
from retrowalk.gait.summary import GaitSummary, Observation, from_engine_json, from_observations

M = TypeVar("M", bound=BaseModel)
Upgrade = Callable[[Any], Any]

VERSION_KEY = "v"
DOC_KEY = "doc"


class DocumentError(RetrowalkError):
    """A stored document cannot be read as its model (invalid, or from a newer release)."""

    def __init__(self, document: str, message: str) -> None:
        self.document = document
        self.message = message
        super().__init__(f"{document}: {message}")


class RowProblem(BaseModel):
    """A stored row that cannot be read: which one, which column, and why."""

    model_config = ConfigDict(frozen=True)

    table: str
    row_id: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.column} cannot be read ({self.message})"


class UnreadableRow(RetrowalkError):
    """Raised by single-row crud readers; carries the :class:`RowProblem` to report."""

    def __init__(self, problem: RowProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "document"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class DocumentSchema(Generic[M]):
    """One stored document kind: its model, current version and the upgrades to reach it.

    ``upgrades[n]`` turns version ``n`` JSON into version ``n + 1`` JSON. ``optional`` documents
    may be ``None`` (stored as ``{"v": N, "doc": null}``: e.g. findings of an imported, never
    evaluated assessment).
    """

    def __init__(
        self,
        name: str,
        model: type[M],
        *,
        version: int,
        upgrades: Mapping[int, Upgrade],
        optional: bool = False,
    ) -> None:
        missing = [n for n in range(1, version) if n not in upgrades]
        if missing:
            raise ValueError(f"{name}: no upgrade from version(s) {missing}")
        self.name = name
        self.model = model
        self.version = version
        self.upgrades = dict(upgrades)
        self.optional = optional

    def __repr__(self) -> str:
        return f"DocumentSchema({self.name!r}, v{self.version})"

    def validate(self, value: Any) -> M | None:
        """The model for ``value`` (a model instance or its JSON); DocumentError when invalid."""
        if value is None:
            if self.optional:
                return None
            raise DocumentError(self.name, "no document")
        if isinstance(value, self.model):
            return value
        try:
            # Unknown keys are refused at every depth, even where the core model ignores them.
            return self.model.model_validate(value, extra="forbid")
        except ValidationError as exc:
            raise DocumentError(self.name, _first_errors(exc)) from exc
        except (ValueError, TypeError) as exc:  # a core validator's own InputError
            raise DocumentError(self.name, str(exc)) from exc

    def version_of(self, stored: Any) -> int:
        """The version of stored JSON: the envelope's, or 1 for the pre-envelope bare form."""
        if isinstance(stored, Mapping) and VERSION_KEY in stored:
            version = stored[VERSION_KEY]
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise DocumentError(self.name, f"bad version marker {version!r}")
            return version
        return 1

    def upgrade(self, stored: Any) -> Any:
        """Stored JSON (any known version) as current-version document JSON (no envelope)."""
        version = self.version_of(stored)
        if version > self.version:
            raise DocumentError(
                self.name,
                f"written by a newer release (version {version}; this release reads up to {self.version})",
            )
        doc = stored
        if version > 1:
            if set(stored) != {VERSION_KEY, DOC_KEY}:
                raise DocumentError(self.name, f"envelope keys {sorted(stored)}, expected ['doc', 'v']")
            doc = stored[DOC_KEY]
        for step in range(version, self.version):
            try:
                doc = self.upgrades[step](doc)
            except DocumentError:
                raise
            except (ValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
                raise DocumentError(self.name, f"cannot upgrade from version {step}: {exc}") from exc
        return doc

    def load(self, stored: Any) -> M | None:
        """Stored JSON -> the model (upgrading older versions); DocumentError when unreadable."""
        return self.validate(self.upgrade(stored))

    def dump(self, value: Any) -> dict[str, Any]:
        """The envelope to store for ``value`` (validated first)."""
        model = self.validate(value)
        doc = None if model is None else model.model_dump(mode="json", exclude_unset=True)
        return {VERSION_KEY: self.version, DOC_KEY: doc}


class Document(TypeDecorator[Any]):
    """A JSON column holding one :class:`DocumentSchema`'s documents (see the module docstring)."""

    impl = JSON
    cache_ok = True
    #: ``None`` is a document too (``{"v": N, "doc": null}``), so binds always reach the schema.
    should_evaluate_none = True

    def __init__(self, schema: DocumentSchema[Any]) -> None:
        super().__init__()
        self.schema = schema

    @property
    def python_type(self) -> type[Any]:
        return self.schema.model

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return self.schema.dump(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return self.schema.load(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return JSON()

    def copy(self, **kw: Any) -> Document:
        return Document(self.schema)


# --- the documents ------------------------------------------------------------------------------


def _same(doc: Any) -> Any:
    """Version 1 -> 2 where only the envelope is new: the bare JSON is already the model's."""
    return doc


def _koos_scores_v1(doc: Any) -> Any:
    """The previous release stored ``{}`` (or a partial map) for an import without scores."""
    if not isinstance(doc, Mapping):
        raise DocumentError("questionnaire.scores", f"expected an object, got {type(doc).__name__}")
    return {sub: doc.get(sub) for sub in SUBSCALES}


def _findings_v1(doc: Any) -> Any:
    """The previous release's FHIR import marked never-evaluated assessments with a flag object."""
    if isinstance(doc, Mapping) and doc.get("imported") is True and doc.get("evaluated") is False:
        return None
    return doc


class RecordingMetrics(BaseModel):
    """A recording's gait results: the engine-independent summary every reader uses, plus the
    engine's own result JSON (shown and downloadable as is, never read for values)."""

    model_config = ConfigDict(extra="forbid")

    summary: GaitSummary
    engine: Literal["imu", "pose"] | None = Field(default=None, description="None: imported")
    result: dict[str, Any] | None = Field(default=None, description="the engine's own result JSON")
    quality: dict[str, Any] | None = Field(
        default=None,
        description="measurement-quality flags (retrowalk.gait.quality.QualityReport + ok, reason)",
    )

    @classmethod
    def from_engine(cls, kind: str, result: Mapping[str, Any]) -> RecordingMetrics:
        """Metrics for an engine's result JSON (validated by the engine's model)."""
        summary = from_engine_json(kind, dict(result))  # ValueError for an unknown engine
        return cls(summary=summary, engine="imu" if kind == "imu" else "pose", result=dict(result))

    @classmethod
    def imported(cls, summary: GaitSummary) -> RecordingMetrics:
        return cls(summary=summary)


def imported_metrics_v1(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The previous release's flat import form ``{"source", "direction", "units", "metric[.side]":
    value}`` as a summary document."""
    units = doc.get("units") or {}
    obs = []
    for key, value in doc.items():
        if key in ("source", "direction", "units"):
            continue
        metric, _, side = key.partition(".")
        obs.append(Observation(metric=metric, value=value, unit=units.get(key, ""), side=side or None))
    summaries = from_observations(obs, source=doc.get("source"), direction=doc.get("direction"))
    if len(summaries) > 1:
        raise DocumentError("recording.metrics", "one imported row holds more than one walk")
    summary = (
        summaries[0]
        if summaries
        else GaitSummary.model_validate(
            {"source": doc.get("source"), "direction": doc.get("direction") or "unknown"}
        )
    )
    return RecordingMetrics.imported(summary).model_dump(mode="json", exclude_unset=True)


def metrics_v1(doc: Any, kind: str | None = None) -> Any:
    """The previous release stored the engine's result JSON, or the flat import form, bare.

    ``kind`` is the row's recording kind when known (the data migration passes it); reading an
    unmigrated row tells the three forms apart by their required fields, and the engine model's
    validation then refuses a wrong guess.
    """
    if doc is None:
        return None
    if not isinstance(doc, Mapping):
        raise DocumentError("recording.metrics", f"expected an object, got {type(doc).__name__}")
    if kind is None:
        kind = "imported" if "units" in doc else "pose" if "n_frames" in doc else "imu"
    if kind == "imported":
        return imported_metrics_v1(doc)
    return RecordingMetrics.from_engine(kind, doc).model_dump(mode="json", exclude_unset=True)


ASSESSMENT_INPUTS: DocumentSchema[AssessmentInput] = DocumentSchema(
    "assessment.inputs", AssessmentInput, version=2, upgrades={1: _same}
)
ASSESSMENT_FINDINGS: DocumentSchema[AssessmentResult] = DocumentSchema(
    "assessment.findings", AssessmentResult, version=2, upgrades={1: _findings_v1}, optional=True
)
PROGRAMME_CONTENT: DocumentSchema[Programme] = DocumentSchema(
    "programme.content", Programme, version=2, upgrades={1: _same}
)
KOOS_SCORES: DocumentSchema[KoosScores] = DocumentSchema(
    "questionnaire.scores", KoosScores, version=2, upgrades={1: _koos_scores_v1}
)
RECORDING_METRICS: DocumentSchema[RecordingMetrics] = DocumentSchema(
    "recording.metrics", RecordingMetrics, version=2, upgrades={1: metrics_v1}, optional=True
)

#: (table, column) -> schema: what the data migration upgrades and the problem reports name.
DOCUMENT_COLUMNS: dict[tuple[str, str], DocumentSchema[Any]] = {
    ("assessments", "inputs"): ASSESSMENT_INPUTS,
    ("assessments", "findings"): ASSESSMENT_FINDINGS,
    ("programmes", "content"): PROGRAMME_CONTENT,
    ("questionnaire_responses", "scores"): KOOS_SCORES,
    ("recordings", "metrics"): RECORDING_METRICS,
}
