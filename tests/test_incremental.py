"""Incremental staging gives exactly what a full rebuild gives.

The CRM staging models only restage the records that changed since the last run (see
dbt_project/macros/latest_version.sql). These tests run the real nightly refresh twice with the
fake CRM moving on in between — edits, new people, exits recorded late, an erasure, a newer
version that is quarantined — then rebuild a copy of the warehouse from scratch
(`dbt build --full-refresh`) and require every staging, intermediate and mart table to hold the
same rows. Once with the as-of date fixed, once with it moved forward between the runs. The
per-activity models are incremental by participant (dbt_project/macros/participant_incremental.sql):
the same comparison proves them, and the test checks that a night recomputed only some participants.

On PostgreSQL (the shared warehouse) the same macros compile to other SQL (dbt-postgres's
delete+insert, the row hashes of participant_incremental.sql, the dispatched date macros): the
as-of-moved case runs there too, both nights on PostgreSQL, the rebuild in a copy of the
database (`create database … template …`).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import psycopg2
import pytest

from common.settings import Settings
from common.warehouse import connect
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.dbt_models import PRODUCTION_BUILD
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.conftest import _admin, copy_of_night, make_settings, run_nightly_in_memory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST_AS_OF = "2026-11-20"
ADVANCED_AS_OF = "2027-01-04"  # past the quarter boundary of 2027-01-01
COMPARED = ("staging", "intermediate", "marts")
# The PostgreSQL variant runs its own first night: a smaller world keeps it near the cost of
# one DuckDB variant (a PostgreSQL night pays more per node, little per participant), and
# 80 participants still give edits, exits, erasures and both as-of crossings.
PG_PARTICIPANTS = 80
SIGNATURES = ("select participant_group, input_signature "
              "from intermediate.int_activity_input_signatures")


def _full_rebuild(settings: Settings, folder: Path) -> str:
    """A copy of the warehouse with every dbt model rebuilt from raw (in this process, as the
    pipeline runs dbt). On PostgreSQL the copy is a database `<name>_rebuilt` made from the
    warehouse as a template; the caller drops it."""
    if settings.warehouse_is_postgres:
        source = urlsplit(settings.warehouse).path.lstrip("/")
        copy = settings.warehouse.rsplit("/", 1)[0] + f"/{source}_rebuilt"
        # A template must have no session open on it; the night's are closed by now.
        _admin(f"create database {source}_rebuilt template {source}")
    else:
        copy = str(folder / "rebuilt.duckdb")
        shutil.copy(settings.warehouse, copy)
    rebuilt = dataclasses.replace(settings, warehouse=copy)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in rebuilt.dbt_env().items():
            patch.setenv(name, value)
        invocation = in_process_dbt(sea_dbt_project(rebuilt.dbt_target)).cli(
            [*PRODUCTION_BUILD, "--full-refresh", "--quiet"],
            target_path=folder / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    return copy


def _differences(incremental: str, rebuilt: str) -> dict[str, tuple[int, int]]:
    """Per table: (rows only in the incremental warehouse, rows only in the rebuilt one)."""
    if incremental.startswith("postgresql://"):
        return _pg_differences(incremental, rebuilt)
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


def _pg_differences(incremental: str, rebuilt: str) -> dict[str, tuple[int, int]]:
    """`_differences` between two PostgreSQL databases, which no query can join: each table's
    rows as a multiset of hashes of their text (the same columns, in the rebuilt table's order,
    on both sides; equal values of the same types print alike, floats included), compared as
    EXCEPT ALL both ways would. Each side first sums its rows' 64-bit hashes in the database;
    only a table whose sums differ has its hashes fetched and counted (shipping the ~100 000
    rows of the indicator tables is most of the comparison's time)."""
    cons = {url: psycopg2.connect(url) for url in (incremental, rebuilt)}

    def each_side(sql: str) -> list[list[tuple]]:
        result = []
        for url in (incremental, rebuilt):
            with cons[url].cursor() as cur:
                cur.execute(sql)
                result.append(cur.fetchall())
        return result

    try:
        with cons[rebuilt].cursor() as cur:
            cur.execute(
                "select table_schema, table_name, string_agg(quote_ident(column_name), ', ' "
                "order by ordinal_position) from information_schema.columns "
                "where table_schema in %s group by 1, 2 order by 1, 2", [COMPARED])
            tables = cur.fetchall()
        assert len(tables) > 30
        found = {}
        for schema, table, cols in tables:
            row_text = f"cast(row({cols}) as text)"
            inc_sum, reb_sum = each_side(
                f"select count(*), sum(hashtextextended({row_text}, 0)::numeric) "
                f"from {schema}.{table}")
            if inc_sum == reb_sum:
                continue
            inc, reb = (Counter(dict(rows)) for rows in each_side(
                f"select md5({row_text}), count(*) from {schema}.{table} group by 1"))
            found[f"{schema}.{table}"] = ((inc - reb).total(), (reb - inc).total())
        return found
    finally:
        for con in cons.values():
            con.close()


def _first_world(participants: int = 200) -> tuple[World, str, str]:
    """The CRM of the first night, with what the as-of date will cross."""
    world = World(seed=11, participants=participants, now=NOW)
    # An enrolment starting between the two as-of dates: when R moves past its start it
    # begins to count, and the activities naming it change attribution, with no new record.
    starting_later = world.inject_bad_record("future_date", "enrolments", days=20)
    # Likewise an activity dated between them: excluded as after R, then counted.
    dated_later = world.inject_bad_record("future_date", "activities", days=20)
    return world, starting_later, dated_later


def _run_first_night(folder: Path, world: World, warehouse: str | None = None) -> Settings:
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(folder, warehouse=warehouse, crm_url=server.base_url,
                                 as_of=FIRST_AS_OF)
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world),
                                as_of=date.fromisoformat(FIRST_AS_OF))
        run_nightly_in_memory(settings)
    return settings


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> tuple[Settings, tuple[str, str]]:
    """The first night on DuckDB, run once: each variant goes on from its own copy of it (a
    world is a pure function of its seed and what was done to it, so each rebuilds the same
    world)."""
    world, starting_later, dated_later = _first_world()
    settings = _run_first_night(tmp_path_factory.mktemp("first_night"), world)
    return settings, (starting_later, dated_later)


def _second_night(settings: Settings, world: World, second_as_of: str,
                  starting_later: str, dated_later: str) -> Settings:
    """The world moves on, the second night runs incrementally as of `second_as_of` against
    `settings`' warehouse (served by a fake CRM on `world`, at `settings.crm_base_url`); checks
    what it did and returns its settings."""
    advanced = second_as_of > FIRST_AS_OF
    with connect(settings.warehouse) as wh:
        staged_enrolments = {r[0] for r in wh.fetchall(
            "select enrolment_id from staging.stg_crm__enrolments")}
        in_sheets = {r[0] for r in wh.fetchall(
            "select distinct participant_id from raw.sheet_emargements")}
        signatures = dict(wh.fetchall(SIGNATURES))

    # Edits, arrivals, exits and random erasures; then one chosen erasure and a staged
    # enrolment whose newer version is quarantined (it must leave staging).
    summary = world.advance(45 if advanced else 2)
    assert sum(summary["updated"].values()) > 0
    victim = sorted(in_sheets - set(summary["deleted_participants"]))[0]
    world.erase_participant(victim)
    quarantined = world.inject_bad_record("null_required", "enrolments")

    later = dataclasses.replace(settings, as_of=date.fromisoformat(second_as_of))
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
        assert 0 < len(recomputed) < len(after) * (0.9 if advanced else 0.5)
    return later


@pytest.mark.slow
@pytest.mark.parametrize("second_as_of", [FIRST_AS_OF, ADVANCED_AS_OF],
                         ids=["as_of_fixed", "as_of_advanced"])
def test_incremental_refresh_equals_full_rebuild(tmp_path, second_as_of, first_night):
    world, starting_later, dated_later = _first_world()
    assert (starting_later, dated_later) == first_night[1], "the same world as the first night"
    with FakeCRMServer(world, token="test-token") as server:
        settings = copy_of_night(first_night[0], tmp_path / "night", crm_url=server.base_url,
                                 world=world)
        later = _second_night(settings, world, second_as_of, starting_later, dated_later)
    rebuilt = _full_rebuild(later, tmp_path)
    assert _differences(later.warehouse, rebuilt) == {}


@pytest.mark.slow
@pytest.mark.postgres
def test_incremental_refresh_equals_full_rebuild_on_postgres(tmp_path, pg_url):
    """The as-of-moved case (the strongest: R crosses a quarter boundary) on PostgreSQL; the
    first night runs here, on a database of its own."""
    world, starting_later, dated_later = _first_world(PG_PARTICIPANTS)
    first = _run_first_night(tmp_path, world, warehouse=pg_url)
    with FakeCRMServer(world, token="test-token") as server:
        later = _second_night(dataclasses.replace(first, crm_base_url=server.base_url), world,
                              ADVANCED_AS_OF, starting_later, dated_later)
    try:
        rebuilt = _full_rebuild(later, tmp_path)
        assert _differences(later.warehouse, rebuilt) == {}
    finally:
        _admin(f"drop database if exists {urlsplit(pg_url).path.lstrip('/')}_rebuilt "
               "with (force)")
