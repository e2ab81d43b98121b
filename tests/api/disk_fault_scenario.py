"""A disk that really fills up or is read-only, for ``test_api_disk_faults`` (run by it inside a
private mount namespace: ``unshare --user --map-root-user --mount``; not a test module itself).

The data directory sits on a small tmpfs mounted here. Prints one JSON object with what each
step answered; the test asserts on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.api.api_support import build_world, make_settings, server_env, walking_csv  # noqa: E402

from retrowalk.api.app import create_app  # noqa: E402


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _fill(path: Path, leave: int) -> None:
    """Write ``path`` until the disk refuses (a real ENOSPC), then give back ``leave`` bytes.

    Unbuffered: a buffered file keeps the part of the last block the disk refused and raises
    ENOSPC again when closed (as it did once the database's size made the last block partial).
    """
    with path.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
    os.truncate(path, max(0, path.stat().st_size - leave))


def _serve(data_dir: Path) -> dict[str, object]:
    env = {**server_env(data_dir), "COLUMNS": "400"}
    result = subprocess.run(
        [sys.executable, "-m", "retrowalk", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {"rc": result.returncode, "stderr": result.stderr}


def main() -> None:
    out: dict[str, object] = {}
    mnt = Path(tempfile.mkdtemp())
    _mount("-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt))
    data = mnt / "data"
    app = create_app(make_settings(data, f"sqlite:///{data / 'retrowalk.sqlite3'}"))
    world = build_world(app)
    url = f"/api/v1/clients/{world.ids['client_a']}/recordings"
    upload = {"file": ("walk.csv", walking_csv() * 2, "text/csv")}
    headers = world.headers["trainer_a"]

    filler = mnt / "filler"
    _fill(filler, leave=96 * 1024)  # room for the database's own writes, not for the file
    r = world.http.post(url, headers=headers, files=upload, data={"kind": "imu"})
    out["upload_full"] = [r.status_code, r.text]
    out["upload_files_left"] = [str(p) for p in (data / "uploads").rglob("*") if p.is_file()]
    r = world.http.get("/api/v1/health")
    out["health_full"] = [r.status_code, r.text]
    _fill(filler, leave=0)  # now not even an audit row fits: a page read fails too
    page = world.http.get(f"/clients/{world.ids['client_a']}", headers={**headers, "Accept": "text/html"})
    out["page_full"] = [page.status_code, page.headers.get("content-type", ""), page.text]
    filler.unlink()
    r = world.http.post(url, headers=headers, files=upload, data={"kind": "imu"})
    out["upload_after"] = [r.status_code, r.text[:200]]
    app.state.db.dispose()

    _fill(filler, leave=0)
    out["serve_full"] = _serve(mnt / "new-data")
    filler.unlink()
    view = Path(tempfile.mkdtemp())
    _mount("--bind", str(mnt), str(view))
    _mount("-o", "remount,bind,ro", str(view))
    out["serve_read_only"] = _serve(view / "data")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
