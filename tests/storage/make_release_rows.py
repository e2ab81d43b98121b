"""Provenance: how ``data/release_0004.json`` was made (not run by tests).

The rows are written by the PREVIOUS release's own code (commit 36f9b8e, schema revision 0004):
its demo seed, its recording storage of both gait engines' results, and its FHIR import of the
interop sample record. Run from a checkout of that commit::

    git worktree add /tmp/rw_old 36f9b8e
    PYTHONPATH=/tmp/rw_old/src:/tmp/rw_old/tests/interop \\
        python tests/storage/make_release_rows.py /tmp/rw_old

The JSON lists every row of the tables with stored documents exactly as SQLite holds them
(JSON columns as text, timestamps as text); password hashes are replaced by a placeholder.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

#: Parents first, so the rows can be inserted in this order.
TABLES = (
    "clients",
    "users",
    "client_trainers",
    "assessments",
    "questionnaire_responses",
    "programmes",
    "session_logs",
    "recordings",
)


def main(old: Path) -> None:
    from interop_strategies import sample_record  # the old release's sample record

    from retrowalk.interop.record import KoosResponse
    from retrowalk.interop.storage_adapter import import_record
    from retrowalk.io.recordings import analyse_file
    from retrowalk.storage import crud
    from retrowalk.storage.db import Database, current_revision
    from retrowalk.storage.seed import seed_demo

    data = old / "tests" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "old.sqlite3"
        database = Database(f"sqlite:///{path}")
        database.upgrade()
        assert current_revision(database.engine) == "0004"
        imu_file = Path(tmp) / "walk.csv"
        imu_file.write_bytes(
            gzip.decompress((data / "mobilised" / "HA_001_TimeMeasure1_Test5_Trial1.csv.gz").read_bytes())
        )
        with database.transaction() as db:
            seed_demo(db)
            trainer = crud.get_user_by_username(db, "demo-trainer")
            assert trainer is not None
            client_id = crud.list_clients_for(db, trainer)[0].id
            for kind, status, metrics, error in (
                ("imu", "analysed", analyse_file(imu_file, "imu"), None),
                ("pose", "analysed", analyse_file(data / "pose" / "backward_walk_generic.csv", "pose"), None),
                ("imu", "failed", None, "ValueError: no steps"),
                ("pose", "stored", None, None),
            ):
                crud.add_recording(
                    db,
                    client_id,
                    by=trainer,
                    kind=kind,
                    original_name=f"walk-{kind}-{status}",
                    path=f"uploads/{client_id}/{kind}-{status}",
                    sha256="0" * 64,
                    size_bytes=1,
                    status=status,
                    metrics=metrics,
                    error=error,
                )
        record = sample_record()
        unscored = KoosResponse(id="koos-2", authored=record.koos[0].authored, answers={"P1": 1})
        import_record(database, record.model_copy(update={"koos": [*record.koos, unscored]}))
        database.dispose()
        con = sqlite3.connect(path)
        con.row_factory = sqlite3.Row
        out = {
            "revision": "0004",
            "tables": {t: [dict(r) for r in con.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in TABLES},
        }
        con.close()
    for row in out["tables"]["users"]:
        row["password_hash"] = "not-a-hash"
    target = Path(__file__).resolve().parent / "data" / "release_0004.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
