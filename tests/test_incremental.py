"""Incremental staging gives exactly what a full rebuild gives.

The CRM staging models only restage the records that changed since the last run (see
dbt_project/macros/latest_version.sql). These tests run the real nightly refresh twice with the
fake CRM moving on in between — edits, new people, exits recorded late, an erasure, a newer
version that is quarantined — then rebuild a copy of the warehouse from scratch
(`dbt build --full-refresh`) and require every staging, intermediate and mart table to hold the
same rows. Once with the as-of date fixed, once with it moved forward between the runs. The
per-activity models are incremental by participant (dbt_project/macros/participant_incremental.sql):
the same comparison proves them, and the test checks that a night recomputed only some participants.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from common.settings import Settings
from common.warehouse import connect
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.dbt_models import PRODUCTION_BUILD
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.conftest import copy_of_night, make_settings, run_nightly_in_memory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COMPARED = ("staging", "intermediate", "marts")
SIGNATURES = ("select participant_group, input_signature "
              "from intermediate.int_activity_input_signatures")


def _full_rebuild(settings, folder: Path) -> str:
    """A copy of the warehouse with every dbt model rebuilt from raw (in this process, as the
    pipeline runs dbt)."""
    copy = folder / "rebuilt.duckdb"
    shutil.copy(settings.warehouse, copy)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**settings.dbt_env(), "SEA_DUCKDB_PATH": str(copy)}.items():
            patch.setenv(name, value)
        invocation = in_process_dbt(sea_dbt_project("duckdb")).cli(
            [*PRODUCTION_BUILD, "--full-refresh", "--quiet"],
            target_path=folder / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    return str(copy)


def _differences(incremental: str, rebuilt: str) -> dict[str, tuple[int, int]]:
    """Per table: (rows only in the incremental warehouse, rows only in the rebuilt one)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{rebuilt}' as reb (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'reb' and table_schema in ('staging', 'intermediate', "
            "'marts') order by 1, 2").fetchall()
        assert len(tables) > 30
        found = {}
        for schema, table in tables:
            cols = ", ".join(f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = "
                "'reb' and table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table]).fetchall())
            a = f"select {cols} from inc.{schema}.{table}"
            b = f"select {cols} from reb.{schema}.{table}"
            only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
            if only_a or only_b:
                found[f"{schema}.{table}"] = (only_a, only_b)
        return found
    finally:
        con.close()


def _first_world() -> tuple[World, str, str]:
    """The CRM of the first night, with what the as-of date will cross."""
    world = World(seed=11, participants=200, now=NOW)
    # An enrolment starting between the two as-of dates: when R moves past its start it
    # begins to count, and the activities naming it change attribution, with no new record.
    starting_later = world.inject_bad_record("future_date", "enrolments", days=20)
    # Likewise an activity dated between them: excluded as after R, then counted.
    dated_later = world.inject_bad_record("future_date", "activities", days=20)
    return world, starting_later, dated_later


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> tuple[Settings, tuple[str, str]]:
    """The first night, run once: each variant goes on from its own copy of it (a world is a
    pure function of its seed and what was done to it, so each rebuilds the same world)."""
    folder = tmp_path_factory.mktemp("first_night")
    world, starting_later, dated_later = _first_world()
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(folder, crm_url=server.base_url, as_of="2026-11-20")
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world),
                                as_of=date(2026, 11, 20))
        run_nightly_in_memory(settings)
    return settings, (starting_later, dated_later)


@pytest.mark.slow
@pytest.mark.parametrize("second_as_of", ["2026-11-20", "2027-01-04"],
                         ids=["as_of_fixed", "as_of_advanced"])
def test_incremental_refresh_equals_full_rebuild(tmp_path, second_as_of, first_night):
    world, starting_later, dated_later = _first_world()
    assert (starting_later, dated_later) == first_night[1], "the same world as the first night"
    with FakeCRMServer(world, token="test-token") as server:
        settings = copy_of_night(first_night[0], tmp_path / "night", crm_url=server.base_url,
                                 world=world)
        with connect(settings.warehouse) as wh:
            staged_enrolments = {r[0] for r in wh.fetchall(
                "select enrolment_id from staging.stg_crm__enrolments")}
            in_sheets = {r[0] for r in wh.fetchall(
                "select distinct participant_id from raw.sheet_emargements")}
            signatures = dict(wh.fetchall(SIGNATURES))

        # Edits, arrivals, exits and random erasures; then one chosen erasure and a staged
        # enrolment whose newer version is quarantined (it must leave staging).
        summary = world.advance(45 if second_as_of > "2026-11-20" else 2)
        assert sum(summary["updated"].values()) > 0
        victim = sorted(in_sheets - set(summary["deleted_participants"]))[0]
        world.erase_participant(victim)
        quarantined = world.inject_bad_record("null_required", "enrolments")

        later = make_settings(tmp_path / "night", crm_url=server.base_url, as_of=second_as_of)
        run_nightly_in_memory(later)

    with connect(later.warehouse) as wh:
        assert starting_later in staged_enrolments
        assert wh.scalar("select count(*) from intermediate.dq_activity_flags "
                         "where record_id = ?", [dated_later]) == 1
        assert quarantined in staged_enrolments
        assert wh.scalar("select count(*) from staging.stg_crm__enrolments "
                         "where enrolment_id = ?", [quarantined]) == 0
        assert wh.scalar("select count(*) from raw.crm_quarantine where id = ?",
                         [quarantined]) > 0
        # The per-activity models recomputed only some participants: the night's changes and,
        # when R moved, those with an activity or an enrolment start crossing it.
        after = dict(wh.fetchall(SIGNATURES))
        recomputed = {g for g, sig in after.items() if signatures.get(g) != sig}
        assert 0 < len(recomputed) < len(after) * (0.9 if second_as_of > "2026-11-20" else 0.5)
    rebuilt = _full_rebuild(later, tmp_path)
    assert _differences(later.warehouse, rebuilt) == {}
