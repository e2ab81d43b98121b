"""Trials from the web (#14.7): create from the definition form or a YAML upload, randomise,
enrol (one participant's arm revealed), capture visits; the API sees the same data."""

from __future__ import annotations

import re
from typing import Any

import yaml
from tests.api.api_support import World, unique, world_trial
from tests.api.worlds import world_fixture
from tests.web.test_web_authz_matrix import browser

from retrowalk.app.trials import TEMPLATE, parse_definition
from retrowalk.http.security import CSRF_COOKIE

world = world_fixture(scope="module")


def _post(http: Any, url: str, files: Any = None, **data: str) -> Any:
    return http.post(url, data={"csrf_token": http.cookies[CSRF_COOKIE], **data}, files=files)


def test_the_template_is_a_valid_definition() -> None:
    assert parse_definition(TEMPLATE).control_arm == "usual"


def test_create_randomise_enrol_and_capture_visits(world: World) -> None:
    http = browser(world, "trainer_a")
    form = http.get("/trials/new")
    assert form.status_code == 200 and "retro-pilot" in form.text
    bad = _post(http, "/trials/new", definition_yaml="id: x\narms: []\n")
    assert bad.status_code == 422 and "arms" in bad.text
    key = unique("t-")
    created = _post(http, "/trials/new", definition_yaml=yaml.safe_dump(world_trial(key)))
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    # a YAML file upload makes a second trial
    upload = yaml.safe_dump(world_trial(unique("t-"))).encode()
    second = _post(http, "/trials/new", files={"file": ("trial.yaml", upload, "application/x-yaml")})
    assert second.status_code == 303
    assert _post(http, f"{url}/randomise").status_code == 303
    assert _post(http, f"{url}/randomise").status_code == 409  # one sealed list per trial
    arms = {}
    for participant, sex in (("P001", "F"), ("P002", "M")):
        r = _post(http, f"{url}/enrol", participant=participant, **{"stratum.sex": sex})
        assert r.status_code == 303
        page = http.get(r.headers["location"]).text
        found = re.search(rf"Participant {participant} is allocated to (\w+)", page)
        assert found is not None
        arms[participant] = found.group(1)
    again = _post(http, f"{url}/enrol", participant="P001", **{"stratum.sex": "F"})  # a lookup
    assert f"allocated to {arms['P001']}" in http.get(again.headers["location"]).text
    for participant in arms:
        for visit, value in (("baseline", "6"), ("week1", "4")):
            r = _post(
                http,
                f"{url}/visits",
                participant=participant,
                visit=visit,
                day="0" if visit == "baseline" else "7",
                **{"value.pain": value},
            )
            assert r.status_code == 303, r.text[:300]
    out_of_range = _post(http, f"{url}/visits", participant="P001", visit="week1", **{"value.pain": "11"})
    assert out_of_range.status_code == 422
    trial_id = int(url.rsplit("/", 1)[1])
    api = world.http.get(f"/api/v1/trials/{trial_id}", headers=world.headers["trainer_a"]).json()
    assert api["revealed"] == 2 and api["observations"] == 4
    alloc = world.http.get(
        f"/api/v1/trials/{trial_id}/allocations", headers=world.headers["trainer_a"]
    ).json()
    assert {a["participant"]: a["arm"] for a in alloc["allocations"]} == arms
    page = http.get(url).text
    assert 'id="allocations"' in page and 'id="consort"' in page
