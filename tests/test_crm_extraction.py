"""The CRM connector against the fake CRM: idempotent versions, watermark, faults, quarantine.

Runs on DuckDB and on a fresh PostgreSQL database: the raw layer must behave the same on both.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.warehouse import connect
from connectors.crm.client import CRMAuthError, CRMClient, CRMError
from connectors.crm.load import load_crm
from connectors.crm.schema import RESOURCES, raw_table
from connectors.crm.validation import CRMRecordError
from devtools.fake_crm import FakeCRMServer, World

TOKEN = "test-token"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OVERLAP = pytest.importorskip("datetime").timedelta(hours=1)


@pytest.fixture
def server():
    with FakeCRMServer(World(seed=11, participants=120, now=NOW), token=TOKEN) as srv:
        yield srv


def fast_client(server: FakeCRMServer, delays: list[float] | None = None, **kw) -> CRMClient:
    """Small pages (many of them), short timeouts, and no real sleeping between retries."""
    sink = delays if delays is not None else []
    return CRMClient(server.base_url, server.token, page_size=kw.pop("page_size", 40),
                     read_timeout=kw.pop("read_timeout", 2.0), backoff_seconds=0.01,
                     max_backoff_seconds=0.05, sleep=sink.append, **kw)


def versions(target: str) -> dict[str, set[tuple]]:
    with connect(target) as wh:
        return {r: set(wh.fetchall(f"select id, updated_at, _payload_hash from {raw_table(r)}"))
                for r in RESOURCES}


def test_reloading_is_idempotent_and_watermarked(target, server):
    with connect(target) as wh:
        first = load_crm(wh, fast_client(server), overlap=OVERLAP)
        assert first.resources["participants"].new_versions == len(
            server.world.records("participants"))
        second = load_crm(wh, fast_client(server), overlap=OVERLAP)
        # The overlap re-delivers the last hour: nothing new is stored.
        assert all(r.new_versions == 0 for r in second.resources.values())
        assert all(r.since is not None for r in second.resources.values())
        for resource in RESOURCES:
            dupes = wh.scalar(
                f"select count(*) from (select id, updated_at, _payload_hash, count(*) as n "
                f"from {raw_table(resource)} group by id, updated_at, _payload_hash) d "
                "where n > 1")
            assert dupes == 0


def test_incremental_run_reads_only_the_window(target, server):
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        summary = server.world.advance(20)
        report = load_crm(wh, fast_client(server), overlap=OVERLAP)
    changed = summary["new"]["enrolments"] + summary["updated"]["enrolments"]
    got = report.resources["enrolments"]
    assert got.new_versions == changed
    # Only the overlap and the changes come back, not the whole history.
    assert got.received < len(server.world.records("enrolments"))


def test_faults_are_survived_with_the_same_data(tmp_path, server):
    clean = str(tmp_path / "clean.duckdb")
    faulty = str(tmp_path / "faulty.duckdb")
    with connect(clean) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
    server.inject_fault("429", count=2, retry_after=3)
    server.inject_fault("503", count=2)
    server.inject_fault("reset", count=1, resource="activities")
    server.inject_fault("slow", count=1, resource="situations", seconds=1.5)
    server.inject_fault("502", count=1, resource="deletions")
    delays: list[float] = []
    client = fast_client(server, delays, read_timeout=0.5)
    with connect(faulty) as wh:
        load_crm(wh, client, overlap=OVERLAP)
    assert versions(clean) == versions(faulty)
    assert client.retries == 7
    assert delays.count(3.0) == 2, "Retry-After must be honoured"


def test_malformed_page_fails_naming_url_and_writes_nothing(target, server):
    server.inject_fault("malformed", count=1, resource="activities")
    with connect(target) as wh, pytest.raises(CRMError) as err:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
    assert "/api/v1/activities?" in str(err.value) and "not valid JSON" in str(err.value)
    with connect(target) as wh:
        assert wh.scalar("select count(*) from raw.crm_activities") == 0
        assert wh.scalar("select count(*) from raw.crm_watermarks "
                         "where resource = 'activities'") == 0
        assert wh.scalar("select status from raw.crm_loads") == "failed"
        # The next run continues from the last safe point and gets everything.
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        assert wh.scalar("select count(*) from raw.crm_activities") == len(
            server.world.records("activities"))


def test_record_without_id_fails_the_run(tmp_path, server):
    server.world.inject_bad_record("missing_id", "situations")
    with connect(str(tmp_path / "w.duckdb")) as wh:
        with pytest.raises(CRMRecordError, match=r"/api/v1/situations\?.*has no `id`"):
            load_crm(wh, fast_client(server), overlap=OVERLAP)
        assert wh.scalar("select count(*) from raw.crm_situations") == 0


def test_absent_field_fails_the_run(tmp_path, server):
    server.world.inject_bad_record("absent_field", "enrolments")
    with connect(str(tmp_path / "w.duckdb")) as wh, pytest.raises(
            CRMRecordError, match="lacks expected field"):
        load_crm(wh, fast_client(server), overlap=OVERLAP)


def test_bad_versions_are_quarantined_and_drift_reported(target, server):
    ids = {
        "null_required": server.world.inject_bad_record("null_required", "enrolments"),
        "bad_closed_code": server.world.inject_bad_record("bad_closed_code", "situations"),
        "bad_open_code": server.world.inject_bad_record("bad_open_code", "enrolments"),
    }
    server.world.inject_bad_record("extra_field", "participants")
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        quarantined = {(r, i): p for r, i, p in wh.fetchall(
            "select resource, id, problem from raw.crm_quarantine")}
        drift = wh.fetchall("select resource, field, versions_seen from raw.crm_schema_drift")
        reasons = [r[0] for r in wh.fetchall("select reason from raw.crm_quarantine")]
    assert quarantined[("enrolments", ids["null_required"])] == "null_required"
    assert quarantined[("situations", ids["bad_closed_code"])] == "out_of_list"
    assert quarantined[("enrolments", ids["bad_open_code"])] in ("malformed_code",
                                                                 "null_required")
    assert len(drift) == 1 and drift[0][0] == "participants" and drift[0][2] == 1
    assert all(r and r[0].islower() for r in reasons)  # French sentences for staff


def test_wrong_token_is_a_clear_error(tmp_path, server):
    client = CRMClient(server.base_url, "not-the-token")
    with connect(str(tmp_path / "w.duckdb")) as wh, pytest.raises(CRMAuthError,
                                                                   match="CRM_API_TOKEN"):
        load_crm(wh, client, overlap=OVERLAP)


def test_other_4xx_fails_loudly_with_body(server):
    client = CRMClient(server.base_url, server.token)
    with pytest.raises(CRMError, match="400"):
        client.get_json(f"{client.root}/participants?limit=9999")


def test_erasure_cascades_through_raw(target, server):
    world = server.world
    person = next(e["participant_id"] for e in world.records("enrolments")
                  if any(a["participant_id"] == e["participant_id"]
                         for a in world.records("situations")))
    enrolments = {e["id"] for e in world.records("enrolments") if e["participant_id"] == person}
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        # A spreadsheet row of theirs, as the sheets loader would keep it.
        wh.execute("create table raw.sheet_fake (participant_id text, note text)")
        wh.execute("insert into raw.sheet_fake values (?, 'x'), ('someone-else', 'y')", [person])
        world.erase_participant(person)
        report = load_crm(wh, fast_client(server), overlap=OVERLAP)
        assert report.erasure.participants_erased == 1
        for resource in RESOURCES:
            table = raw_table(resource)
            left = wh.scalar(f"select count(*) from {table} where id = ?", [person])
            assert left == 0
            if resource != "participants" and "participant_id" in wh.columns(table):
                assert wh.scalar(f"select count(*) from {table} where participant_id = ?",
                                 [person]) == 0
        assert wh.scalar("select count(*) from raw.crm_enrolments where id in (" +
                         ",".join("?" for _ in enrolments) + ")", list(enrolments)) == 0
        assert wh.fetchall("select participant_id from raw.sheet_fake") == [("someone-else",)]
        logged = set(wh.fetchall("select resource, id from raw.deletion_log"))
        assert ("participants", person) in logged
        assert {("enrolments", e) for e in enrolments} <= logged
        assert wh.columns("raw.deletion_log") == ["resource", "id", "deleted_at", "erased_at",
                                                 "cause"]


def test_concurrent_extraction_gives_the_same_raw(tmp_path, target, server):
    sequential = str(tmp_path / "seq.duckdb")
    with connect(sequential) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
    server.inject_fault("503", count=3)
    client = fast_client(server)
    with connect(target) as wh:
        load_crm(wh, client, overlap=OVERLAP, concurrency=4)
    assert versions(sequential) == versions(target)
    assert client.retries == 3
