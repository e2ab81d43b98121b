"""typed documents: assessment inputs/findings, programme content, KOOS scores and recording
metrics rewritten as versioned envelopes {"v": N, "doc": ...} (a data migration; no DDL)

Each document goes through the same upgrade chain the readers use
(``retrowalk.storage.documents``): the previous release's bare JSON is version 1. Recording
metrics become the engine-independent gait summary (plus the engine's own result JSON); the
row's ``kind`` says which engine wrote them. A row that does not upgrade is left as it was and
logged: the readers report it as a row that cannot be read, and the migration still completes.

Downgrade writes the bare version-1 form back (findings of imported assessments as
``{"imported": true, "evaluated": false}``, imported gait as the flat ``metric[.side]`` map).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: (table, column) pairs holding documents; recordings also need their kind.
_COLUMNS = (
    ("assessments", "inputs"),
    ("assessments", "findings"),
    ("programmes", "content"),
    ("questionnaire_responses", "scores"),
    ("recordings", "metrics"),
)


def _rewrite(table_name: str, column: str, convert: Callable[[Any, dict[str, Any]], Any]) -> None:
    """Apply ``convert(stored, row)`` to every row; a row it refuses is kept as is (and logged)."""
    from retrowalk.storage.documents import DocumentError

    extra = ["kind"] if table_name == "recordings" else []
    table = sa.table(
        table_name, sa.column("id", sa.Integer), sa.column(column, sa.JSON), *map(sa.column, extra)
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    updates: list[dict[str, Any]] = []
    for row in rows:
        try:
            updates.append({"row_id": row["id"], "value": convert(row[column], dict(row))})
        except (DocumentError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            log.warning("%s row %s: %s left unchanged (%s)", table_name, row["id"], column, exc)
    if updates:
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({column: sa.bindparam("value")}),
            updates,
        )


def upgrade() -> None:
    from retrowalk.storage.documents import DOCUMENT_COLUMNS, VERSION_KEY, metrics_v1

    for table_name, column in _COLUMNS:
        schema = DOCUMENT_COLUMNS[(table_name, column)]

        def convert(stored: Any, row: dict[str, Any], schema: Any = schema, column: str = column) -> Any:
            if column == "metrics" and schema.version_of(stored) == 1:
                # the row's kind names the engine: no need to tell the forms apart by their keys
                stored = {VERSION_KEY: 2, "doc": metrics_v1(stored, row["kind"])}
            return schema.dump(schema.load(stored))

        _rewrite(table_name, column, convert)


def downgrade() -> None:
    from retrowalk.gait.summary import observations
    from retrowalk.storage.documents import DOCUMENT_COLUMNS, RecordingMetrics

    def metrics_v1(model: RecordingMetrics | None) -> Any:
        if model is None:
            return None
        if model.result is not None:
            return model.result
        flat: dict[str, Any] = {"source": model.summary.source, "direction": None, "units": {}}
        if model.summary.direction != "unknown":
            flat["direction"] = model.summary.direction
        for obs in observations(model.summary):
            key = obs.metric + (f".{obs.side}" if obs.side else "")
            flat[key] = obs.value
            if obs.unit:  # summary fields: the previous release's reader takes the concept's unit
                flat["units"][key] = obs.unit
        return flat

    for table_name, column in _COLUMNS:
        schema = DOCUMENT_COLUMNS[(table_name, column)]

        def convert(stored: Any, row: dict[str, Any], schema: Any = schema, column: str = column) -> Any:
            if schema.version_of(stored) == 1:
                return stored
            model = schema.load(stored)
            if column == "metrics":
                return metrics_v1(model)
            if model is None:  # findings of an imported assessment
                return {"imported": True, "evaluated": False}
            return model.model_dump(mode="json", exclude_unset=True)

        _rewrite(table_name, column, convert)
