"""The whole nightly refresh, in-process, against the fake CRM and generated spreadsheets.

Checks what a refresh promises: two refreshes with the CRM advanced in between leave one latest
version of every record in staging, no duplicate versions in raw, no trace of erased people
outside the deletion log, and no personal data beyond `raw` — on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from common.warehouse import connect
from connectors.pseudonyms import pseudonym
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.dbt_models import ASSETS_NAME
from orchestration.dbt_project import DBT_PROJECT_DIR
from tests.conftest import TEST_KEY, make_settings, published_world, run_nightly_in_memory
from tests.test_publication import PublishedReader

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LAYERS = ("staging", "intermediate", "marts", "reference")


def _last_dbt_log() -> str:
    """dbt's log of the last dbt run Dagster made (each run has its own target folder)."""
    logs = sorted((DBT_PROJECT_DIR / "target").glob(f"{ASSETS_NAME}-*/dbt.log"),
                  key=lambda p: p.stat().st_mtime)
    return logs[-1].read_text(encoding="utf-8")


def _tables(wh, schemas) -> list[tuple[str, str]]:
    marks = ", ".join("?" for _ in schemas)
    return wh.fetchall(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({marks}) order by 1, 2", list(schemas))


def _text_values(wh, schema: str, table: str) -> set[str]:
    cols = [c for c, t in wh.fetchall(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ?", [schema, table])
        if t.lower() in ("text", "varchar", "character varying")]
    if not cols:
        return set()
    # One read of the table for all its text columns (a view is computed once per read).
    texts = ", ".join(f'cast("{col}" as varchar)' for col in cols)
    return {r[0] for r in wh.fetchall(
        f"select distinct v from {schema}.{table}, unnest(array[{texts}]) as u(v) "
        "where v is not null")}


def assert_no_personal_data_beyond_raw(wh, served_participants: int) -> None:
    """`grep`-level: no text value beyond raw is a name, contact, note or participant CRM id."""
    personal: set[str] = set()
    for row in wh.fetchall("select id, first_name, last_name, email, phone, notes "
                           "from raw.crm_participants"):
        personal |= {v for v in row if v}
    personal |= {r[0] for r in wh.fetchall(
        "select participant_id from raw.participant_pseudonyms")}
    assert len(personal) > 400
    leaks = {}
    for schema, table in _tables(wh, LAYERS):
        found = _text_values(wh, schema, table) & personal
        if found:
            leaks[f"{schema}.{table}"] = sorted(found)[:3]
    assert not leaks
    # And beyond raw, participants are there — as pseudonyms.
    assert wh.scalar("select count(*) from staging.stg_crm__participants "
                     "where participant_key like 'p_%'") == served_participants


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def pipeline(request, tmp_path):
    warehouse = None if request.param == "duckdb" else request.getfixturevalue("pg_url")
    world = World(seed=5, participants=160, now=NOW)
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp_path, warehouse=warehouse, crm_url=server.base_url,
                                 as_of="2026-11-20")
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world),
                                as_of=date(2026, 11, 20))
        yield settings, server


@pytest.mark.slow
def test_two_refreshes_with_changes_and_erasure(pipeline):
    settings, server = pipeline
    run_nightly_in_memory(settings)
    assert "START seed file reference.code_lists" in _last_dbt_log()
    # Erase someone who also has attendance rows in the spreadsheets.
    with connect(settings.warehouse) as wh:
        in_sheets = {r[0] for r in wh.fetchall(
            "select distinct participant_id from raw.sheet_emargements")}
    summary = server.world.advance(45)
    erased = set(summary["deleted_participants"])
    assert erased, "the fake CRM should erase someone over 45 days"
    victim = sorted(in_sheets - erased)[0]
    server.world.erase_participant(victim)
    erased.add(victim)
    settings = dataclasses.replace(settings, as_of=settings.as_of + timedelta(days=45))
    reader = PublishedReader(settings)  # a BI tool reading the published marts meanwhile
    run_nightly_in_memory(settings)
    reader.assert_old_then_new()
    # The second night, with a new as-of date, reuses the first one's parse of the dbt project.
    log = _last_dbt_log()
    assert "Unable to do partial parsing" not in log and "Starting full parse" not in log
    # The seeds did not change: the night neither reloads nor re-tests them.
    assert "START seed file" not in log and "START test unique_age_bands_age_band" not in log
    assert "START sql incremental model intermediate.int_activity_hours" in log

    with connect(settings.warehouse) as wh:
        # Exactly the CRM's current records, once each, at their latest version.
        for resource, model, key in [
            ("participants", None, None),
            ("enrolments", "stg_crm__enrolments", "enrolment_id"),
            ("situations", "stg_crm__situations", "situation_id"),
            ("activities", "stg_crm__activities", "activity_id"),
            ("employers", "stg_crm__employers", "employer_id"),
        ]:
            served = {r["id"]: r["updated_at"] for r in server.world.records(resource)}
            if model is None:
                count = wh.scalar("select count(*) from staging.stg_crm__participants")
                assert count == len(served)
                continue
            staged = dict(wh.fetchall(f"select {key}, updated_at from staging.{model}"))
            assert set(staged) == set(served), resource
            assert len(staged) == wh.scalar(f"select count(*) from staging.{model}")
            latest = {k: datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
                      for k, v in served.items()}
            assert {k: v.replace(tzinfo=None) if hasattr(v, "replace") else v
                    for k, v in staged.items()} == latest, resource
            dupes = wh.scalar(
                f"select count(*) from (select id, updated_at, _payload_hash from "
                f"raw.crm_{resource} group by id, updated_at, _payload_hash "
                "having count(*) > 1) d")
            assert dupes == 0

        # No trace of the erased outside the deletion log.
        keys = {pseudonym(TEST_KEY, pid) for pid in erased}
        for schema, table in _tables(wh, ("raw",)):
            if table == "deletion_log":
                continue
            assert not (_text_values(wh, schema, table) & erased), f"{schema}.{table}"
        for schema, table in _tables(wh, LAYERS):
            assert not (_text_values(wh, schema, table) & keys), f"{schema}.{table}"
        published = connect(settings.published, read_only=True) if settings.published else wh
        with published if settings.published else contextlib.nullcontext():
            assert not _text_values(published, "main" if settings.published else "published",
                                    "participant_journeys") & keys
        logged = {r[0] for r in wh.fetchall(
            "select id from raw.deletion_log where resource = 'participants'")}
        assert erased <= logged
        assert_no_personal_data_beyond_raw(wh, len(server.world.records("participants")))


@pytest.mark.slow
def test_new_key_and_new_antenna_reach_every_layer(tmp_path, night_copy):
    """Staging is incremental: a new PSEUDONYM_KEY must still reach every staged row; and a new
    antenna code in the CRM shows up in the marts with no code change."""
    world = published_world()
    with FakeCRMServer(world, token="test-token") as server:
        first = night_copy(server.base_url, world=world)  # the published night, its first
        assert first.pseudonym_key == TEST_KEY
        world.add_antenna("NANTES")
        world.advance(10)
        second = make_settings(tmp_path / "night", crm_url=server.base_url, as_of="2026-11-30",
                               PSEUDONYM_KEY="another-key-of-sufficient-length")
        run_nightly_in_memory(second)
    with connect(second.warehouse) as wh:
        expected = {pseudonym("another-key-of-sufficient-length", r["id"])
                    for r in world.records("participants")}
        staged = {r[0] for r in wh.fetchall(
            "select participant_key from staging.stg_crm__participants")}
        in_enrolments = {r[0] for r in wh.fetchall(
            "select participant_key from staging.stg_crm__enrolments")}
        in_marts = {r[0] for r in wh.fetchall(
            "select participant_key from marts.participant_journeys")}
        nantes = dict(wh.fetchall(
            "select indicator_code, value from marts.indicator_values "
            "where antenna = 'NANTES' and programme = 'ALL' and period_type = 'cumulative' "
            "and dimension = 'total'"))
    assert staged == expected
    assert in_enrolments <= expected and in_marts <= expected
    assert nantes["ENT"] >= 1 and nantes["ACT"] >= 1
