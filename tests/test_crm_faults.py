"""The CRM faults that must not pass unnoticed: a record dated in the future, a page trickled
for minutes, a cursor that loops.

The extraction tests run on DuckDB and on a fresh PostgreSQL database; the pipeline test runs the
real nightly refresh in-process and compares it with a rebuild from empty.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from common.warehouse import connect
from connectors.crm.client import CRMClient, CRMError
from connectors.crm.load import load_crm
from connectors.crm.schema import RESOURCES, raw_table
from devtools.fake_crm import FakeCRMServer, World
from expectations.runner import render_sql
from expectations.suites import all_checks, default_suites
from tests.conftest import make_settings, published_world, run_nightly_in_memory

TOKEN = "test-token"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OVERLAP = timedelta(hours=1)
FUTURE = datetime(2099, 1, 1)


@pytest.fixture
def server():
    with FakeCRMServer(World(seed=11, participants=200, now=NOW), token=TOKEN) as srv:
        yield srv


def fast_client(server: FakeCRMServer, **kw) -> CRMClient:
    """Small pages, short timeouts, no real sleeping between retries."""
    return CRMClient(server.base_url, server.token, page_size=kw.pop("page_size", 40),
                     read_timeout=kw.pop("read_timeout", 2.0), backoff_seconds=0.01,
                     max_backoff_seconds=0.05, sleep=lambda _: None, **kw)


def watermark(wh, resource: str) -> datetime | None:
    return wh.scalar("select since from raw.crm_watermarks where resource = ?", [resource])


def last_run_start(wh) -> datetime:
    return wh.scalar("select max(started_at) from raw.crm_loads")


def raw_state(wh) -> dict[str, set[tuple]]:
    state = {r: set(wh.fetchall(f"select id, updated_at, _payload_hash from {raw_table(r)}"))
             for r in RESOURCES}
    state["watermarks"] = set(wh.fetchall("select resource, since from raw.crm_watermarks"))
    return state


def test_future_dated_record_is_quarantined_and_later_changes_still_arrive(target, server):
    world = server.world
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        bad = world.inject_bad_record("future_updated_at", "participants")
        report = load_crm(wh, fast_client(server), overlap=OVERLAP)
        started = last_run_start(wh)
        lines = wh.fetchall(
            "select field, problem, reason from raw.crm_quarantine "
            "where resource = 'participants' and id = ? and updated_at = ?", [bad, FUTURE])
        assert [(f, p) for f, p, _ in lines] == [("updated_at", "future_updated_at")]
        assert "futur" in lines[0][2]
        since = watermark(wh, "participants")
        assert since is not None and since <= started
        assert report.resources["participants"].future_dated == 1

        # The CRM moves on: every new and changed participant reaches raw on the next nights.
        # (A week each time: the fake CRM's clock stays behind the real one, which dates runs.)
        for _ in range(2):
            summary = world.advance(7)
            load_crm(wh, fast_client(server), overlap=OVERLAP)
            expected = set(summary["new_participants"]) | set(
                summary["updated_participants"])
            assert expected
            served = {(r["id"], datetime.fromisoformat(r["updated_at"]).replace(tzinfo=None))
                      for r in world.records("participants") if r["id"] in expected}
            stored = {(i, u) for i, u, _ in wh.fetchall(
                "select id, updated_at, _payload_hash from raw.crm_participants")}
            assert served <= stored
            assert watermark(wh, "participants") <= last_run_start(wh)


def test_future_dated_deletion_does_not_move_the_deletions_watermark(target, server):
    world = server.world
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        before = watermark(wh, "deletions")
        erased = world.inject_bad_record("future_updated_at", "deletions")
        report = load_crm(wh, fast_client(server), overlap=OVERLAP)
        # The erasure itself is applied at once.
        assert wh.scalar("select count(*) from raw.crm_participants where id = ?", [erased]) == 0
        after = watermark(wh, "deletions")
        assert after is not None and after <= last_run_start(wh)
        assert before is None or after >= before
        assert report.erasure.future_dated >= 1
        # A deletion the CRM lists the next night is still read.
        world.erase_participant(world.records("participants")[0]["id"])
        again = load_crm(wh, fast_client(server), overlap=OVERLAP)
        assert again.erasure.deletions_received > again.erasure.future_dated


def test_trickled_page_fails_within_the_limit_and_writes_nothing(target, server):
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        server.world.advance(2)
        before = raw_state(wh)
        # Every read gets a few bytes well within the 2 s read timeout; the page takes 4 s.
        server.inject_fault("trickle", count=10, resource="participants", seconds=4, pieces=40)
        client = fast_client(server, page_time_limit=1.0, max_attempts=2)
        started = time.monotonic()
        with pytest.raises(CRMError, match=r"/api/v1/participants\?.*within 1 s"):
            load_crm(wh, client, overlap=OVERLAP)
        assert time.monotonic() - started < 4
        assert client.retries == 1
        assert raw_state(wh) == before


def test_cursor_loop_fails_naming_the_url_and_writes_nothing(target, server):
    with connect(target) as wh:
        load_crm(wh, fast_client(server), overlap=OVERLAP)
        server.world.advance(5)
        before = raw_state(wh)
        server.reset_stats()
        server.inject_fault("cursor_loop", count=40, resource="participants")
        with pytest.raises(CRMError, match=r"participants loops at http://\S+/api/v1/"
                                           r"participants\?") as err:
            load_crm(wh, fast_client(server, page_size=20), overlap=OVERLAP)
        assert "boucle" in str(err.value)
        assert server.stats["participants"]["200"] <= 3
        assert raw_state(wh) == before


def test_cursor_already_followed_fails(server):
    """A cursor coming back after other pages (not just the same page twice) is a loop too."""
    client = fast_client(server, page_size=20)
    pages = client.pages("participants", "updated_since", None)
    next(pages)
    server.inject_fault("cursor_loop", count=1, resource="participants")
    with pytest.raises(CRMError, match="next_cursor was already followed"):
        list(pages)


# ---------------------------------------------------------------- pipeline level


def _staged_participants(warehouse: str) -> set[tuple]:
    """Staged participants without the load bookkeeping (which differs by construction)."""
    with connect(warehouse) as wh:
        cols = [c for (c,) in wh.fetchall(
            "select column_name from information_schema.columns where table_schema = 'staging' "
            "and table_name = 'stg_crm__participants' order by ordinal_position")
            if not c.startswith("_")]
        return set(wh.fetchall(f"select {', '.join(cols)} from staging.stg_crm__participants"))


def _indicator_values(warehouse: str) -> list[tuple]:
    with connect(warehouse) as wh:
        return sorted(wh.fetchall("select * from marts.indicator_values"), key=repr)


def _gate_flags(warehouse: str) -> set[str]:
    """Participants the gate's raw check sees with a quarantined latest version."""
    check = all_checks(default_suites())["raw.crm_participants.latest_version_not_quarantined"]
    with connect(warehouse) as wh:
        return {r[0] for r in wh.fetchall(render_sql(check.offending, date(2026, 11, 20)))}


@pytest.mark.slow
def test_fixed_future_record_gives_what_a_rebuild_from_empty_gives(tmp_path: Path, night_copy):
    # The first night is the published one (a copy): 160 participants, the demo spreadsheets.
    world = published_world()
    (tmp_path / "fresh").mkdir()
    with FakeCRMServer(world, token=TOKEN) as server:
        nightly = night_copy(server.base_url, world=world)
        bad = world.inject_bad_record("future_updated_at", "participants")
        run_nightly_in_memory(nightly)
        with connect(nightly.warehouse) as wh:
            key = wh.scalar("select participant_key from raw.participant_pseudonyms "
                            "where participant_id = ?", [bad])
            # While the future-dated version is the latest, the record is out and flagged.
            assert wh.scalar("select count(*) from staging.stg_crm__participants "
                             "where participant_key = ?", [key]) == 0
        assert bad in _gate_flags(nightly.warehouse)

        world.clear_bad_records()  # the CRM's fix: a normal update with a sane date
        run_nightly_in_memory(nightly)
        fresh = make_settings(tmp_path / "fresh", crm_url=server.base_url)
        shutil.copytree(nightly.sheets_dir, fresh.sheets_dir, dirs_exist_ok=True)  # the same
        run_nightly_in_memory(fresh)

    with connect(nightly.warehouse) as wh:
        assert wh.scalar("select count(*) from staging.stg_crm__participants "
                         "where participant_key = ?", [key]) == 1
        assert wh.scalar("select count(*) from raw.crm_quarantine where id = ? "
                         "and problem = 'future_updated_at'", [bad]) == 1
    assert bad not in _gate_flags(nightly.warehouse)
    assert _staged_participants(nightly.warehouse) == _staged_participants(fresh.warehouse)
    assert _indicator_values(nightly.warehouse) == _indicator_values(fresh.warehouse)
