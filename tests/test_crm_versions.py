"""Raw CRM versions: identity on the contract's fields, uniqueness held by the warehouse.

A CRM that adds a field to its records must not create new versions of the records it re-sends
in the overlap window (their contract fields did not change), or the gate's `no_duplicate_id`
would fail on every resource from then on. A version's identity is (resource, `id`,
`updated_at` as UTC, hash of the contract fields as raw stores them); unknown fields are kept
from the latest receipt. The warehouse refuses a second copy of a version itself (a unique
index), and warehouses loaded before this identity are migrated in place without losing a
version. Every test runs on DuckDB and on a fresh PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from common.warehouse import Warehouse, connect
from connectors.crm.client import CRMClient
from connectors.crm.load import load_crm
from connectors.crm.raw_tables import ensure_raw_crm_tables
from connectors.crm.schema import RESOURCES, field_names, raw_table
from connectors.crm.validation import as_text, parse_timestamp, payload_hash
from connectors.crm.version_identity import contract_hash_sql, hashed_fields
from devtools.fake_crm import FakeCRMServer, World
from expectations.runner import SuiteRunner
from expectations.suites import default_suites
from orchestration.staging_state import needs_full_refresh, record_fingerprint
from tests.conftest import TEST_KEY

TOKEN = "test-token"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OVERLAP = timedelta(hours=1)
NEW_FIELD = "consent_version"  # the field the CRM starts sending


@pytest.fixture
def server():
    world = World(seed=11, participants=120, now=NOW)
    world.inject_bad_record("null_required", "employers")  # a quarantined version too
    with FakeCRMServer(world, token=TOKEN) as srv:
        yield srv


def _client(server: FakeCRMServer) -> CRMClient:
    return CRMClient(server.base_url, server.token, page_size=50, read_timeout=5.0,
                     backoff_seconds=0.01, max_backoff_seconds=0.05, sleep=lambda _s: None)


def _crm_adds_a_field(server: FakeCRMServer, change: dict[str, Any] | None = None) -> None:
    """From now on every record the CRM serves carries `NEW_FIELD` (the CRM evolved), and,
    when `change` is given, those contract fields altered (same `updated_at`)."""
    world = server.world
    serve = world.page

    def page(resource: str, *args: Any, **kwargs: Any):
        data, last = serve(resource, *args, **kwargs)
        if resource in RESOURCES:
            data = [{**rec, NEW_FIELD: "v2", **(change or {}).get(resource, {})}
                    for rec in data]
        return data, last

    world.page = page  # type: ignore[method-assign]


def _duplicate_id_outcomes(wh: Warehouse) -> dict[str, Any]:
    """The gate's real `no_duplicate_id` check of each raw CRM table."""
    runner = SuiteRunner(wh, as_of=date(2026, 11, 20), pseudonym_key=TEST_KEY,
                         sample_size=1_000_000)
    found = {}
    for suite in default_suites():
        for table in suite.tables:
            if table.table.startswith("raw.crm_") and any(
                    c.name == "no_duplicate_id" for c in table.checks):
                for outcome in runner.run_table(table):
                    if outcome.check.name == "no_duplicate_id":
                        found[table.table] = outcome
    assert set(found) == {raw_table(r) for r in RESOURCES}
    return found


def _same_version_twice(wh: Warehouse, resource: str) -> int:
    return int(wh.scalar(
        f"select count(*) from (select id, updated_at from {raw_table(resource)} "
        "group by id, updated_at having count(*) > 1) d"))


def test_a_new_crm_field_creates_no_version_and_no_duplicate(target, server):
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        before = {r: wh.scalar(f"select count(*) from {raw_table(r)}") for r in RESOURCES}
        _crm_adds_a_field(server)
        second = load_crm(wh, _client(server), overlap=OVERLAP)
        for resource in RESOURCES:
            report = second.resources[resource]
            assert report.received > 0, resource  # the overlap re-sent something
            assert report.new_versions == 0, resource
            assert wh.scalar(f"select count(*) from {raw_table(resource)}") == before[resource]
            assert _same_version_twice(wh, resource) == 0, resource
            # the re-sent versions now hold the new field, the others are untouched
            extras = wh.fetchall(f"select _extra_fields from {raw_table(resource)} "
                                 "where updated_at >= ?", [report.since])
            assert len(extras) >= 1
            assert all(json.loads(e)[NEW_FIELD] == "v2" for (e,) in extras), resource
            assert wh.scalar(f"select count(*) from {raw_table(resource)} where updated_at < ? "
                             "and _extra_fields is not null", [report.since]) == 0
            assert report.drift_fields == {NEW_FIELD: report.received - report.skipped_erased}
        outcomes = _duplicate_id_outcomes(wh)
    assert all(o.passed and o.row_count == 0 for o in outcomes.values()), {
        k: o.summary() if hasattr(o, "summary") else o for k, o in outcomes.items()}


def test_a_contract_change_with_the_same_updated_at_is_a_duplicate_id(target, server):
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        _crm_adds_a_field(server, {"activities": {"duration_minutes": 599}})
        second = load_crm(wh, _client(server), overlap=OVERLAP)
        since = second.resources["activities"].since
        resent = {rid for (rid,) in wh.fetchall(
            "select distinct id from raw.crm_activities where updated_at >= ?", [since])}
        changed = {rid for (rid,) in wh.fetchall(
            "select id from raw.crm_activities where updated_at >= ? "
            "and duration_minutes is distinct from '599'", [since])}
        assert second.resources["activities"].new_versions == len(changed) > 0
        outcomes = _duplicate_id_outcomes(wh)
    duplicate = outcomes["raw.crm_activities"]
    assert not duplicate.passed and duplicate.check.severity == "error"
    assert set(duplicate.sample_ids) == changed <= resent
    assert all(o.passed for k, o in outcomes.items() if k != "raw.crm_activities")


def test_the_warehouse_refuses_a_second_copy_of_a_version(target, server):
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        for resource in RESOURCES:
            table = raw_table(resource)
            with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
                wh.execute(f"insert into {table} select * from {table} "
                           "order by id limit 1")
            assert _same_version_twice(wh, resource) == 0
        with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
            wh.execute("insert into raw.crm_quarantine select * from raw.crm_quarantine "
                       "order by id limit 1")


@pytest.mark.postgres
def test_a_concurrent_writer_of_the_same_versions_adds_nothing(pg_url, server):
    """Two loaders racing on PostgreSQL: the second waits for the first's commit, then finds
    every version already there (`on conflict do nothing`), neither fails nor duplicates."""
    with connect(pg_url) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        rows = wh.fetch_df("select * from raw.crm_employers order by id")
        wh.execute("delete from raw.crm_employers")
        wh.execute("delete from raw.crm_watermarks where resource = 'employers'")
    first, second = connect(pg_url), connect(pg_url)
    errors: list[BaseException] = []
    try:
        with first.transaction():
            first.insert_df("raw.crm_employers", rows)

            def racing() -> None:
                try:
                    load_crm(second, _client(server), overlap=OVERLAP,
                             resources=("employers",))
                except BaseException as exc:  # noqa: BLE001 - reported by the assert below
                    errors.append(exc)

            thread = threading.Thread(target=racing)
            thread.start()
            time.sleep(1.5)  # the racing insert is now waiting on the uncommitted versions
        thread.join(60)
        assert not errors, errors
        assert second.scalar("select count(*) from raw.crm_employers") == len(rows)
        assert _same_version_twice(second, "employers") == 0
    finally:
        first.close()
        second.close()


TRICKY_TEXTS = ["", None, "~", "1:a", "3:abc~", "é€😀 ü", "a,b;c|d", "x" * 300, "l'été",
                "\n\t", "true", "1.0", "{\"k\": [1, 2]}"]


def test_the_warehouse_computes_the_loaders_hash(target):
    """The migration recomputes in SQL the hash the loader computes in Python: on payloads that
    stress the canonical form (empty vs null, separators, multi-byte characters), both agree."""
    with connect(target) as wh:
        ensure_raw_crm_tables(wh)
        for resource in RESOURCES:
            payloads = []
            for n in range(len(TRICKY_TEXTS)):
                record: dict[str, Any] = {"id": f"T{n}", "updated_at": "2026-01-01T00:00:00Z"}
                for i, name in enumerate(hashed_fields(resource)):
                    record[name] = TRICKY_TEXTS[(n + i) % len(TRICKY_TEXTS)]
                record["booleans_and_numbers"] = n  # an extra: not in the hash
                payloads.append(record)
            first = hashed_fields(resource)[0]
            # stored alike, so one version: JSON true and the text 'true' (raw keeps text)
            payloads += [{**payloads[0], first: True}, {**payloads[0], first: "true"},
                         {**payloads[0], first: 7.0}]
            rows = [{**{f: as_text(p.get(f)) for f in field_names(resource)},
                     "id": f"{p['id']}-{k}", "updated_at": datetime(2026, 1, 1),
                     "_payload_hash": payload_hash(resource, p), "_load_seq": 1, "_page": 1,
                     "_position": k} for k, p in enumerate(payloads)]
            wh.insert_df(raw_table(resource), pd.DataFrame(rows))
            differing = wh.scalar(
                f"select count(*) from {raw_table(resource)} "
                f"where _payload_hash <> {contract_hash_sql(resource, wh.dialect)}")
            assert differing == 0, resource
            assert len({r["_payload_hash"] for r in rows}) == len(rows) - 1, resource


# -- warehouses loaded before the contract-field identity ------------------------------------
def _old_payload_hash(record: dict[str, Any]) -> str:
    """The identity raw used before: a hash of the whole JSON payload, extras included."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _stored_form(resource: str, record: dict[str, Any]) -> tuple:
    """A payload as raw's columns hold it: the key to find it again among raw's rows."""
    return tuple(parse_timestamp(record[f]) if f == "updated_at" else as_text(record[f])
                 for f in field_names(resource))


def _age_to_old_layout(wh: Warehouse, server: FakeCRMServer) -> None:
    """Make the warehouse what the previous loader left after the CRM added a field: the old
    full-payload hashes, no unique index, no layout record, and — for every version the overlap
    re-sent with the new field — a second row of that version (a later load, the new extras)."""
    for resource in RESOURCES:
        wh.execute(f"drop index if exists raw.crm_{resource}_version_key")
    wh.execute("drop index if exists raw.crm_quarantine_version_key")
    wh.execute("drop table if exists raw.crm_layout")
    seq = int(wh.scalar("select max(_load_seq) from raw.crm_loads")) + 1
    wh.execute("insert into raw.crm_loads values (?, 'old-overlap', ?, ?, 'succeeded', null)",
               [seq, datetime(2026, 11, 20, 12, 5), datetime(2026, 11, 20, 12, 6)])
    for resource in RESOURCES:
        table, fields = raw_table(resource), field_names(resource)
        payloads = {_stored_form(resource, p): p for p in server.world.records(resource)}
        since = wh.scalar("select since from raw.crm_watermarks where resource = ?", [resource])
        frame = wh.fetch_df(f"select * from {table}")
        for row in frame.to_dict("records"):
            stored = tuple(None if isinstance(row[f], float) and pd.isna(row[f])
                           else row[f].to_pydatetime() if f == "updated_at" else row[f]
                           for f in fields)
            payload = payloads[stored]
            old = _old_payload_hash(payload)
            wh.execute(f"update {table} set _payload_hash = ? where id = ? and updated_at = ? "
                       "and _payload_hash = ?",
                       [old, row["id"], row["updated_at"], row["_payload_hash"]])
            wh.execute("update raw.crm_quarantine set _payload_hash = ? where resource = ? "
                       "and id = ? and updated_at = ? and _payload_hash = ?",
                       [old, resource, row["id"], row["updated_at"], row["_payload_hash"]])
            if row["updated_at"] < since:
                continue
            evolved = {**payload, NEW_FIELD: "v2"}
            again = {**row, "_payload_hash": _old_payload_hash(evolved),
                     "_extra_fields": json.dumps({NEW_FIELD: "v2"}), "_load_seq": seq,
                     "_load_id": "old-overlap", "_loaded_at": datetime(2026, 11, 20, 12, 5)}
            wh.insert_df(table, pd.DataFrame([again]).astype(object).where(
                pd.notna(pd.DataFrame([again])), None))
            wh.execute(
                "insert into raw.crm_quarantine select resource, id, updated_at, ?, field, "
                "problem, value, reason, 'old-overlap', ? from raw.crm_quarantine "
                "where resource = ? and id = ? and updated_at = ? and _payload_hash = ?",
                [again["_payload_hash"], again["_loaded_at"], resource, row["id"],
                 row["updated_at"], old])


def _versions(wh: Warehouse) -> dict[str, set[tuple]]:
    return {r: set(wh.fetchall(f"select id, updated_at, _payload_hash from {raw_table(r)}"))
            for r in RESOURCES}


def _quarantine(wh: Warehouse) -> set[tuple]:
    return set(wh.fetchall("select resource, id, updated_at, _payload_hash, field, problem "
                           "from raw.crm_quarantine"))


def _snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    tables = [raw_table(r) for r in RESOURCES] + ["raw.crm_quarantine"]
    return {t: sorted(map(repr, wh.fetchall(f"select * from {t}"))) for t in tables}


def test_old_warehouses_are_migrated_without_losing_a_version(target, server, tmp_path):
    fresh = str(tmp_path / "fresh.duckdb")
    with connect(fresh) as wh:  # what today's loader stores for the same CRM
        load_crm(wh, _client(server), overlap=OVERLAP)
        expected, expected_quarantine = _versions(wh), _quarantine(wh)
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        record_fingerprint(wh, "staging-built")
        _age_to_old_layout(wh, server)
        aged = {r: {(i, u) for i, u, _ in v} for r, v in _versions(wh).items()}
        assert any(_same_version_twice(wh, r) for r in RESOURCES)  # the old bug's state

        ensure_raw_crm_tables(wh)  # what the next run does first

        migrated = _versions(wh)
        assert {r: {(i, u) for i, u, _ in v} for r, v in migrated.items()} == aged
        assert migrated == expected
        assert _quarantine(wh) == expected_quarantine
        for resource in RESOURCES:
            assert _same_version_twice(wh, resource) == 0
            # the merged versions keep their first load and the latest receipt's extras
            merged = wh.fetchall(f"select _load_seq, _extra_fields from {raw_table(resource)} "
                                 "where _extra_fields is not null")
            assert merged and all(s == 1 and json.loads(e) == {NEW_FIELD: "v2"}
                                  for s, e in merged), resource
        # staging was built from the old hashes: the next build rebuilds it
        assert needs_full_refresh(wh, "staging-built")
        record_fingerprint(wh, "staging-built")

        once = _snapshot(wh)
        ensure_raw_crm_tables(wh)
        assert _snapshot(wh) == once
        assert not needs_full_refresh(wh, "staging-built")

        _crm_adds_a_field(server)
        report = load_crm(wh, _client(server), overlap=OVERLAP)
        assert all(r.new_versions == 0 for r in report.resources.values())
        assert _versions(wh) == expected
        outcomes = _duplicate_id_outcomes(wh)
    assert all(o.passed for o in outcomes.values())


def test_leftover_copies_are_removed_before_the_index(target, server):
    """Copies of one version a past bug left (no index then) are dropped, the first load's
    row kept, before the unique index is created."""
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        wh.execute("drop index if exists raw.crm_situations_version_key")
        wh.execute("insert into raw.crm_situations select id, updated_at, participant_id, "
                   "enrolment_id, kind, contract, training_type, start_date, end_date, "
                   "hours_per_week, rome_code, employer_id, _payload_hash, _extra_fields, "
                   "_load_seq + 1, 'leftover', _loaded_at, _page, _position "
                   "from raw.crm_situations")
        count = wh.scalar("select count(*) from raw.crm_situations") // 2
        ensure_raw_crm_tables(wh)
        assert wh.scalar("select count(*) from raw.crm_situations") == count
        assert wh.scalar("select count(*) from raw.crm_situations "
                         "where _load_id = 'leftover'") == 0
        with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
            wh.execute("insert into raw.crm_situations select * from raw.crm_situations "
                       "limit 1")


def test_erasure_still_works_with_the_index(target, server):
    with connect(target) as wh:
        load_crm(wh, _client(server), overlap=OVERLAP)
        person = wh.scalar("select min(participant_id) from raw.crm_activities")
        server.world.erase_participant(person)
        report = load_crm(wh, _client(server), overlap=OVERLAP)
        assert report.erasure.records_erased > 0
        for resource in ("activities", "situations", "enrolments"):
            assert wh.scalar(f"select count(*) from {raw_table(resource)} "
                             "where participant_id = ?", [person]) == 0
        assert wh.scalar("select count(*) from raw.crm_participants where id = ?",
                         [person]) == 0
        again = load_crm(wh, _client(server), overlap=OVERLAP)
        assert all(r.new_versions == 0 for r in again.resources.values())
        with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
            wh.execute("insert into raw.crm_activities select * from raw.crm_activities "
                       "limit 1")
