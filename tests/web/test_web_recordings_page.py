"""The recordings page (#14.6): plain-word results per leg, foot contact, coaching flags and
notes; the project's own ``.csv.gz`` samples upload and analyse; a recording belongs to a session
and the session history links to it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.api.api_support import WALK_TRIAL, World
from tests.api.worlds import world_fixture
from tests.web.test_web_authz_matrix import browser

from retrowalk.app.recording_view import LEG_WORDS, METRIC_WORDS, describe
from retrowalk.http.security import CSRF_COOKIE

POSE = Path(__file__).resolve().parents[1] / "data" / "pose" / "backward_walk_generic.csv"
#: Engine keys that must never reach the page as text.
RAW = re.compile(
    r"\b(leg length px|leg_length_px|knee_ext_stance_deg|contact_type_counts|toe_first|n_strides)\b"
)


world = world_fixture(scope="module", upload_limit_bytes=2_000_000)


def _upload(world: World, name: str, body: bytes, **form: str) -> Any:
    """Upload, then the page as it reads once the (background) analysis has run."""
    http = browser(world, "trainer_a")
    data = {"csrf_token": http.cookies[CSRF_COOKIE], **form}
    url = f"/clients/{world.ids['client_a']}/recordings"
    posted = http.post(url, data=data, files={"file": (name, body, "application/octet-stream")})
    if posted.status_code == 303:  # post/redirect/get
        assert posted.headers["location"].startswith(f"{url}#recording-")
        return http.get(url)
    return posted


def _api_recordings(world: World) -> list[dict[str, Any]]:
    r = world.http.get(
        f"/api/v1/clients/{world.ids['client_a']}/recordings", headers=world.headers["trainer_a"]
    )
    assert r.status_code == 200
    return list(r.json())


def test_csv_gz_sample_uploads_into_a_session_and_analyses(world: World) -> None:
    log_id = world.ids["log_a"]
    r = _upload(
        world,
        WALK_TRIAL.name,
        WALK_TRIAL.read_bytes(),
        kind="imu",
        placement="waist",
        session_log_id=str(log_id),
    )
    assert r.status_code == 200, r.text[:500]
    assert "Cadence" in r.text and "steps/min" in r.text
    assert "Notes on the measurement" in r.text  # the engine's warnings, shown
    assert RAW.search(r.text) is None
    stored = [x for x in _api_recordings(world) if x["original_name"] == WALK_TRIAL.name]
    assert len(stored) == 1
    assert stored[0]["session_log_id"] == log_id
    assert stored[0]["status"] in ("analysed", "queued", "analysing")
    client_page = browser(world, "trainer_a").get(f"/clients/{world.ids['client_a']}").text
    assert f"recording: {WALK_TRIAL.name}" in client_page


def test_pose_results_per_leg_in_plain_words(world: World) -> None:
    r = _upload(world, POSE.name, POSE.read_bytes(), kind="pose", fps="30")
    assert r.status_code == 200, r.text[:500]
    page = r.text
    assert "Knee extension in stance" in page
    assert re.search(r"<th scope=\"row\">Knee extension in stance[^<]*</th><td class=\"num\">\d+°</td>", page)
    assert "toe first" in page and "of 12 steps" in page
    assert "Trunk leans forward" in page  # the coaching flag's own words
    assert "walking backward" in page.lower()
    assert RAW.search(page) is None


def test_a_gzip_that_unpacks_past_the_limit_is_refused(world: World) -> None:
    header = b"timestamp,acc_x,acc_y,acc_z\n"
    body = gzip.compress(header + b"0.01,0.0,0.0,9.81\n" * 200_000)  # ~3.6 MB of text, ~20 kB packed
    before = len(_api_recordings(world))
    r = _upload(world, "big.csv.gz", body, kind="imu")
    assert r.status_code == 422
    assert "upload limit" in r.text
    assert len(_api_recordings(world)) == before
    bad = _upload(world, "fake.csv.gz", b"time,x\n1,2\n", kind="imu")
    assert bad.status_code == 422 and "gzip" in bad.text


@given(
    st.dictionaries(
        st.sampled_from([*METRIC_WORDS, "leg_length_px", "facing", "segments_s"]),
        st.floats(-1e6, 1e6, allow_nan=False) | st.integers(0, 10_000),
    ),
    st.dictionaries(st.sampled_from([*LEG_WORDS, "knee_curve_deg"]), st.floats(-180, 180, allow_nan=False)),
)
def test_every_shown_label_comes_from_the_wording_table(metrics: dict[str, Any], leg: dict[str, Any]) -> None:
    res = describe({**metrics, "left": leg, "right": leg}, "analysed")
    labels = {label for label, _, _ in METRIC_WORDS.values()}
    assert {row.label for row in res.rows} <= labels
    assert {label for label, _ in res.legs} <= {label for label, _, _ in LEG_WORDS.values()}
    shown = [k for k in metrics if k in METRIC_WORDS]
    assert len(res.rows) == len({METRIC_WORDS[k][0] for k in shown})
