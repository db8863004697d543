"""The fake CRM keeps the ``docs/crm-api.md`` contract and misbehaves exactly when asked to.

Small worlds (a few hundred participants) keep the file fast; the 100 000-participant size is
the benchmark's business, not the tests'.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools.fake_crm import BAD_RECORD_KINDS, FAULT_KINDS, FakeCRMServer, World
from devtools.fake_crm.schema import FIELDS, RESOURCES
from devtools.fake_crm.world import add_months

TOKEN = "test-token"
ENDPOINTS = (*RESOURCES, "deletions")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_PATTERN = {
    "participants": r"^P\d{6}$",
    "enrolments": r"^E\d{6}$",
    "activities": r"^A\d{7}$",
    "situations": r"^S\d{6}$",
    "employers": r"^C\d{5}$",
}
DATE_FIELDS = {
    "participants": ("birth_date", "protection_date", "arrival_date"),
    "enrolments": ("start_date", "end_date"),
    "activities": ("date",),
    "situations": ("start_date", "end_date"),
    "employers": (),
}


@pytest.fixture
def world() -> World:
    return World(seed=7, participants=400)


@pytest.fixture
def server(world: World):
    with FakeCRMServer(world, token=TOKEN) as srv:
        yield srv


@pytest.fixture
def http():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    yield session
    session.close()


def api(server: FakeCRMServer, resource: str) -> str:
    return f"{server.base_url}/api/v1/{resource}"


def fetch_all(
    http: requests.Session, server: FakeCRMServer, resource: str, limit: int = 97, **params: Any
) -> list[dict[str, Any]]:
    """Every record of an endpoint, following cursors."""
    out: list[dict[str, Any]] = []
    query: dict[str, Any] = {**params, "limit": limit}
    while True:
        response = http.get(api(server, resource), params=query, timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "next_cursor"}
        out.extend(body["data"])
        if body["next_cursor"] is None:
            return out
        query = {"limit": limit, "cursor": body["next_cursor"]}


def sort_key(record: dict[str, Any], resource: str) -> tuple[str, str]:
    return (record["deleted_at" if resource == "deletions" else "updated_at"], record["id"])


def since_param(resource: str) -> str:
    return "since" if resource == "deletions" else "updated_since"


def served_after(world: World, resource: str, since: str) -> list[dict[str, Any]]:
    return [r for r in world.records(resource) if "updated_at" in r and r["updated_at"] >= since]


# ---------------------------------------------------------------------- the contract


@pytest.mark.parametrize("resource", ENDPOINTS)
def test_pagination_returns_every_record_once_in_order(world, server, http, resource):
    records = fetch_all(http, server, resource)
    assert records, f"the synthetic world has no {resource}"
    assert records == world.records(resource)
    keys = [sort_key(r, resource) for r in records]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    if resource != "deletions":
        assert len({r["id"] for r in records}) == len(records)


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_field_is_present_and_well_formatted(world, resource):
    now = world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for record in world.records(resource):
        assert tuple(record) == FIELDS[resource]
        assert re.match(ID_PATTERN[resource], record["id"])
        assert TIMESTAMP.match(record["updated_at"]) and record["updated_at"] <= now
        for name in DATE_FIELDS[resource]:
            assert record[name] is None or DATE.match(record[name])
    for deletion in world.records("deletions"):
        assert set(deletion) == {"resource", "id", "deleted_at"}
        assert deletion["resource"] in RESOURCES and deletion["deleted_at"] <= now


@pytest.mark.parametrize("resource", ["participants", "activities", "deletions"])
@pytest.mark.parametrize("suffix", ["Z", "+00:00"])
def test_since_is_inclusive(world, server, http, resource, suffix):
    everything = world.records(resource)
    pivot = everything[len(everything) // 2]
    moment = sort_key(pivot, resource)[0]
    records = fetch_all(
        http, server, resource, limit=200, **{since_param(resource): moment[:-1] + suffix}
    )
    assert pivot in records
    assert records == [r for r in everything if sort_key(r, resource)[0] >= moment]


def test_missing_or_wrong_token_is_401_with_json(server):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        for path in ("/api/v1/participants", "/_control/state"):
            response = requests.get(server.base_url + path, headers=headers, timeout=5)
            assert response.status_code == 401
            assert "error" in response.json()


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("/api/v1/participants", {"limit": 0}, 400),
        ("/api/v1/participants", {"limit": 501}, 400),
        ("/api/v1/participants", {"limit": "ten"}, 400),
        ("/api/v1/participants", {"updated_since": "yesterday"}, 400),
        ("/api/v1/participants", {"cursor": "not-a-cursor"}, 400),
        ("/api/v1/volunteers", {}, 404),
        ("/somewhere", {}, 404),
    ],
)
def test_client_errors_are_json(server, http, path, params, status):
    response = http.get(server.base_url + path, params=params, timeout=5)
    assert response.status_code == status
    assert "error" in response.json()


def test_limit_bounds_and_default(server, http):
    assert len(http.get(api(server, "activities"), timeout=5).json()["data"]) == 100
    assert len(http.get(api(server, "activities"), params={"limit": 500}).json()["data"]) == 500
    assert len(http.get(api(server, "activities"), params={"limit": 1}).json()["data"]) == 1


def test_a_cursor_of_another_resource_is_refused(server, http):
    cursor = http.get(api(server, "activities"), params={"limit": 5}).json()["next_cursor"]
    response = http.get(api(server, "participants"), params={"cursor": cursor})
    assert response.status_code == 400


def test_pagination_skips_nothing_while_time_advances(world, server, http):
    before = {r["id"]: r["updated_at"] for r in world.records("activities")}
    first = http.get(api(server, "activities"), params={"limit": 500}).json()
    seen = [r["id"] for r in first["data"]]
    world.advance(45)
    seen += [
        r["id"]
        for r in fetch_all(http, server, "activities", limit=500, cursor=first["next_cursor"])
    ]
    after = {r["id"]: r["updated_at"] for r in world.records("activities")}
    unchanged = {rid for rid, ts in before.items() if after.get(rid) == ts}
    assert unchanged <= set(seen)
    assert {rid for rid in after if rid not in before} <= set(seen)


# ---------------------------------------------------------------------- faults


def _attempt(http: requests.Session, url: str) -> str:
    """What one request got: a status code, ``reset``, ``timeout`` or ``malformed``."""
    try:
        response = http.get(url, params={"limit": 5}, timeout=0.5)
    except requests.ReadTimeout:
        return "timeout"
    except requests.ConnectionError:
        return "reset"
    if response.status_code == 200:
        try:
            response.json()
        except ValueError:
            return "malformed"
    return str(response.status_code)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_happens_then_stops(server, http, kind):
    count = 1 if kind == "slow" else 2
    server.inject_fault(kind, count=count, retry_after=0, seconds=0.8)
    url = api(server, "participants")
    # trickle and cursor_loop answer a 200 with the right data (see their own tests below)
    expected = {"slow": "timeout", "trickle": "200", "cursor_loop": "200"}.get(kind, kind)
    assert [_attempt(http, url) for _ in range(count)] == [expected] * count
    assert _attempt(http, url) == "200"
    assert server.faults == []
    assert server.faults_fired[kind] == count
    if kind not in ("slow", "malformed", "trickle", "cursor_loop"):
        assert server.stats["participants"][kind] == count


def test_trickle_sends_the_right_page_slowly_in_small_parts(server, http):
    url = api(server, "participants")
    plain = http.get(url, params={"limit": 20}).json()
    server.inject_fault("trickle", seconds=1.2, pieces=12)
    started = time.monotonic()
    # a 0.5 s read timeout never fires: each part comes within 0.1 s
    response = http.get(url, params={"limit": 20}, timeout=0.5)
    assert time.monotonic() - started >= 1.0
    assert response.json() == plain


def test_cursor_loop_answers_the_cursor_it_was_given(server, http):
    url = api(server, "participants")
    first = http.get(url, params={"limit": 5}).json()
    server.inject_fault("cursor_loop", count=2)
    again = http.get(url, params={"limit": 5, "cursor": first["next_cursor"]}).json()
    assert again["next_cursor"] == first["next_cursor"]
    restart = http.get(url, params={"limit": 5}).json()
    # on a first page, the cursor lists the first page again
    assert http.get(url, params={"limit": 5, "cursor": restart["next_cursor"]}).json()[
        "data"] == first["data"]


def test_429_carries_retry_after(server, http):
    server.inject_fault("429", retry_after=1)
    response = http.get(api(server, "participants"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "error" in response.json()


def test_a_fault_can_target_one_resource(server, http):
    server.inject_fault("503", count=1, resource="activities")
    assert _attempt(http, api(server, "participants")) == "200"
    assert _attempt(http, api(server, "deletions")) == "200"
    assert _attempt(http, api(server, "activities")) == "503"
    assert _attempt(http, api(server, "activities")) == "200"


def test_faults_are_controlled_over_http(server, http):
    control = f"{server.base_url}/_control/fault"
    assert http.post(control, json={"kind": "500", "count": 3}).status_code == 200
    assert _attempt(http, api(server, "employers")) == "500"
    assert http.post(control, json={"kind": "clear"}).json() == {"faults": []}
    assert _attempt(http, api(server, "employers")) == "200"
    assert http.post(control, json={"kind": "teapot"}).status_code == 400


# ---------------------------------------------------------------------- time moves


def test_advance_brings_new_updated_and_deleted_records(world, server, http):
    old_now = world.now
    before = {res: {r["id"]: r for r in world.records(res)} for res in RESOURCES}
    summary = http.post(f"{server.base_url}/_control/advance", json={"days": 90}).json()
    assert world.now == old_now + timedelta(days=90)
    assert summary["new_participants"] and summary["updated_participants"]
    assert summary["deleted_participants"]
    for res in ("participants", "enrolments", "activities"):
        assert summary["new"][res] > 0 and summary["updated"][res] > 0
    stamp = old_now.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = fetch_all(http, server, "participants", updated_since=stamp)
    assert all(r["updated_at"] > stamp for r in changed)
    ids = {r["id"] for r in changed}
    assert set(summary["new_participants"]) <= ids
    assert not ids & set(summary["deleted_participants"])
    for rid in summary["updated_participants"]:
        assert (
            before["participants"][rid]["updated_at"] < world.get("participants", rid)["updated_at"]
        )
    ended = [
        e
        for e in world.records("enrolments")
        if e["end_date"]
        and before["enrolments"].get(e["id"], {}).get("end_date") is None
        and e["id"] in before["enrolments"]
    ]
    assert ended, "some active enrolments should have ended"
    feed = fetch_all(http, server, "deletions", since=stamp)
    erased = {d["id"] for d in feed if d["resource"] == "participants"}
    assert erased == set(summary["deleted_participants"])
    assert all(d["deleted_at"] <= world.now.strftime("%Y-%m-%dT%H:%M:%SZ") for d in feed)


def test_erasure_cascades_to_every_record_of_the_participant(world, http, server):
    enrolment_owner = {e["id"]: e["participant_id"] for e in world.records("enrolments")}
    erased = set(world.advance(120)["deleted_participants"])
    assert erased
    gone_enrolments = {eid for eid, pid in enrolment_owner.items() if pid in erased}
    for res in ("enrolments", "activities", "situations"):
        for record in fetch_all(http, server, res, limit=500):
            assert record["participant_id"] not in erased
            assert record.get("enrolment_id") not in gone_enrolments
            assert record["id"] not in gone_enrolments
    assert not {p["id"] for p in world.records("participants")} & erased


def test_the_feed_lists_cascaded_records_only_sometimes():
    world = World(seed=3, participants=3000)
    feed = world.records("deletions")
    by_resource = Counter(d["resource"] for d in feed)
    assert by_resource["participants"] > 5 and by_resource["activities"] > 0
    erasure_times = {d["deleted_at"] for d in feed if d["resource"] == "participants"}
    with_cascade = {d["deleted_at"] for d in feed if d["resource"] == "enrolments"}
    assert with_cascade and with_cascade < erasure_times


def test_a_new_antenna_flows_through(world, server, http):
    http.post(f"{server.base_url}/_control/antenna", json={"code": "NANTES"}).raise_for_status()
    world.advance(7)
    assert any(e["antenna"] == "NANTES" for e in fetch_all(http, server, "enrolments"))
    assert any(p["antenna"] == "NANTES" for p in fetch_all(http, server, "participants"))


def test_same_seed_same_world_and_same_future():
    first, second = World(seed=11, participants=250), World(seed=11, participants=250)
    for res in ENDPOINTS:
        assert first.records(res) == second.records(res)
    assert first.advance(30) == second.advance(30)
    for res in ENDPOINTS:
        assert first.records(res) == second.records(res)
    assert World(seed=12, participants=250).records("participants") != first.records("participants")


# ---------------------------------------------------------------------- bad records


def _fresh(http: requests.Session, server: FakeCRMServer, resource: str, world: World):
    stamp = world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return fetch_all(http, server, resource, limit=500, updated_since=stamp)


def _only(records: list[dict[str, Any]], rid: str) -> dict[str, Any]:
    matching = [r for r in records if r.get("id") == rid]
    assert len(matching) == 1, matching
    return matching[0]


@pytest.mark.parametrize("kind", BAD_RECORD_KINDS)
def test_each_bad_record_kind_is_served_as_described(world, server, http, kind):
    response = http.post(f"{server.base_url}/_control/bad_record", json={"kind": kind})
    assert response.status_code == 200, response.text
    rid = response.json()["id"]
    resource = {
        "missing_id": "participants",
        "missing_updated_at": "participants",
        "absent_field": "participants",
        "null_required": "enrolments",
        "bad_closed_code": "situations",
        "bad_descriptor": "participants",
        "bad_open_code": "enrolments",
        "impossible_date": "participants",
        "end_before_start": "enrolments",
        "extra_field": "participants",
        "duplicate_id": "activities",
        "orphan": "situations",
        "future_date": "activities",
        "future_updated_at": "participants",
    }[kind]
    fresh = _fresh(http, server, resource, world)
    if kind == "missing_id":
        assert [r for r in fresh if "id" not in r]
        assert all(r.get("id") != rid for r in fetch_all(http, server, resource, limit=500))
        return
    if kind == "duplicate_id":
        twins = [r for r in fresh if r["id"] == rid]
        assert len(twins) == 2 and twins[0]["updated_at"] == twins[1]["updated_at"]
        assert twins[0] != twins[1]
        return
    record = _only(fresh, rid)
    today = world.now.date().isoformat()
    checks = {
        "missing_updated_at": lambda r: "updated_at" not in r,
        "absent_field": lambda r: "email" not in r,
        "null_required": lambda r: r["programme"] is None,
        "bad_closed_code": lambda r: r["kind"] == "stage",
        "bad_descriptor": lambda r: r["sex"] == "Z",
        "bad_open_code": lambda r: r["programme"] == "so cle!",
        "impossible_date": lambda r: r["birth_date"].endswith("-02-30"),
        "end_before_start": lambda r: r["end_date"] < r["start_date"],
        "extra_field": lambda r: r["linkedin_url"].startswith("https://"),
        "orphan": lambda r: (
            r["participant_id"] not in {p["id"] for p in world.records("participants")}
        ),
        "future_date": lambda r: r["date"] > today,
        "future_updated_at": lambda r: r["updated_at"] == "2099-01-01T00:00:00Z",
    }
    assert checks[kind](record), record


@pytest.mark.parametrize(
    "resource, params, check",
    [
        ("participants", {"field": "french_level"}, lambda r: r["french_level"] == "D9"),
        (
            "situations",
            {"field": "contract"},
            lambda r: (r["kind"], r["contract"]) == ("employment", "CDX"),
        ),
        ("enrolments", {}, lambda r: r["exit_reason"] == "moved"),
        ("activities", {}, lambda r: r["type"] == "party"),
    ],
)
def test_bad_codes_on_other_fields(world, resource, params, check):
    kind = "bad_descriptor" if resource == "participants" else "bad_closed_code"
    rid = world.inject_bad_record(kind, resource, **params)
    assert check(world.get(resource, rid))


def test_a_bad_record_is_a_fresh_version_and_can_be_repaired(world):
    before = world.get("enrolments", world.records("enrolments")[0]["id"])
    rid = world.inject_bad_record("end_before_start", "enrolments")
    spoiled = world.get("enrolments", rid)
    assert spoiled["updated_at"] == world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert spoiled["updated_at"] >= before["updated_at"]
    orphan = world.inject_bad_record("orphan", "activities")
    assert world.clear_bad_records() == [rid, orphan]
    repaired = world.get("enrolments", rid)
    assert repaired["updated_at"] > spoiled["updated_at"]
    assert repaired["end_date"] is None or repaired["end_date"] >= repaired["start_date"]
    assert world.get("activities", orphan) is None
    assert world.records("deletions")[-1]["id"] == orphan
    assert world.records("enrolments")[-1]["id"] == rid


def test_a_duplicate_id_is_never_split_across_pages(world):
    rid = world.inject_bad_record("duplicate_id", "participants")
    collected, after = [], None
    while True:
        data, after = world.page("participants", after=after, limit=1)
        collected.append([r["id"] for r in data])
        if after is None:
            break
    assert [rid, rid] in collected


def test_unknown_bad_record_kinds_and_resources_are_refused(world, server, http):
    url = f"{server.base_url}/_control/bad_record"
    assert http.post(url, json={"kind": "gremlin"}).status_code == 400
    assert (
        http.post(url, json={"kind": "end_before_start", "resource": "employers"}).status_code
        == 400
    )


# ---------------------------------------------------------------------- realism


def test_the_population_looks_like_the_association():
    world = World(seed=42, participants=2000)
    people = {p["id"]: p for p in world.records("participants")}
    enrolments = world.records("enrolments")
    programmes = Counter(e["programme"] for e in enrolments)
    assert {"SOCLE", "SOCLE_FEMMES", "AVEC", "PASS_NUMERIQUE"} <= set(programmes)
    assert all(
        people[e["participant_id"]]["sex"] == "F"
        for e in enrolments
        if e["programme"] == "SOCLE_FEMMES"
    )
    sexes = Counter(
        people[e["participant_id"]]["sex"] for e in enrolments if e["programme"] != "SOCLE_FEMMES"
    )
    assert sexes["M"] > 1.8 * sexes["F"]
    assert Counter(e["participant_id"] for e in enrolments).most_common(1)[0][1] >= 2
    assert any(e["start_date"] < "2019-05-01" for e in enrolments)
    assert any(e["end_date"] is None for e in enrolments)
    assert Counter(p["nationality"] for p in people.values()).most_common(1)[0][0] == "AFG"
    activities = world.records("activities")
    assert 12 < len(activities) / len(people) < 22
    followups = [a for a in activities if a["type"] == "followup_contact"]
    assert {True, False} <= {a["reached"] for a in followups}
    assert all(a["reached"] is None for a in activities if a["type"] != "followup_contact")
    employer_events = [a for a in activities if a["participant_id"] is None]
    assert employer_events and all(a["employer_id"] for a in employer_events)
    situations = world.records("situations")
    assert {"employment", "training", "business_creation"} == {s["kind"] for s in situations}
    six_months = [
        s
        for s in situations
        if s["contract"] == "CDD"
        and s["end_date"]
        and date.fromisoformat(s["end_date"]).toordinal()
        == add_months(date.fromisoformat(s["start_date"]).toordinal(), 6) - 1
    ]
    assert six_months


def test_the_module_serves_until_terminated():
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.fake_crm",
            "--port",
            "0",
            "--participants",
            "50",
            "--token",
            TOKEN,
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert re.match(r"^http://127\.0\.0\.1:\d+$", url)
        response = requests.get(
            f"{url}/api/v1/participants", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert response.status_code == 200 and response.json()["data"]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_future_dated_record_is_fixed_at_the_clock_and_deletions_can_be_future_dated(world):
    now = world.now
    rid = world.inject_bad_record("future_updated_at", "participants")
    assert world.get("participants", rid)["updated_at"].startswith("2099-01-01")
    assert world.records("participants")[-1]["id"] == rid  # served where its date sorts it
    assert world.clear_bad_records() == [rid]
    fixed = world.get("participants", rid)["updated_at"]
    # the fix is a normal update: dated by the clock, not after the wrong date
    assert fixed < "2027" and world.now - now < timedelta(minutes=1)
    erased = world.inject_bad_record("future_updated_at", "deletions")
    listed = [d for d in world.records("deletions") if d["id"] == erased]
    assert listed and all(d["deleted_at"].startswith("2099") for d in listed)
    assert world.get("participants", erased) is None
