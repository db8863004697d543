"""Shared fixtures: throw-away warehouses (DuckDB file or a fresh PostgreSQL database) and
settings pointing at them, so each test runs the real pipeline on its own small data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from common.settings import Settings, load_settings

PG_ADMIN_URL = os.environ.get("SEA_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/test")
TEST_KEY = "test-pseudonym-key-0123456789"


def _pg_available() -> bool:
    try:
        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg2.OperationalError:
        return False
    return True


def _admin(sql: str) -> None:
    con = psycopg2.connect(PG_ADMIN_URL)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name = f"sea_test_{uuid.uuid4().hex[:10]}"
    _admin(f"create database {name}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _admin(f"drop database if exists {name} with (force)")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path) -> str:
    """A throw-away warehouse of each kind: a DuckDB file, then a fresh PostgreSQL database."""
    if request.param == "duckdb":
        return str(tmp_path / "wh.duckdb")
    return request.getfixturevalue("pg_url")


def make_settings(tmp_path: Path, *, warehouse: str | None = None, crm_url: str | None = None,
                  as_of: str = "2026-11-20", **extra: str) -> Settings:
    """Settings for a test: everything under tmp_path, the as-of date pinned."""
    env = {
        "PSEUDONYM_KEY": TEST_KEY,
        "SEA_WAREHOUSE": warehouse or str(tmp_path / "warehouse.duckdb"),
        "SHEETS_DIR": str(tmp_path / "sheets"),
        "SEA_OUTPUT_DIR": str(tmp_path / "reports"),
        "SEA_INTERNAL_DIR": str(tmp_path / "interne"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "SEA_AS_OF": as_of,
        "CRM_API_TOKEN": "test-token",
        **extra,
    }
    if crm_url:
        env["CRM_BASE_URL"] = crm_url
    (tmp_path / "sheets").mkdir(exist_ok=True)
    return load_settings(env, demo=False)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """Parse the dbt project once per session so Dagster loads a manifest matching the models."""
    from orchestration.cli import cmd_prepare

    assert cmd_prepare(None) == 0, "dbt parse failed"  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def published_night(tmp_path_factory) -> Iterator[Settings]:
    """One nightly refresh on DuckDB that published (fake CRM with 160 participants and the demo
    spreadsheets, as of 2026-11-20), shared by every test that only reads its results: the
    published file, the dashboard, BI connections. Tests must not write to it."""
    from datetime import UTC, date, datetime

    from devtools.demo import demo_participants
    from devtools.demo_sheets import write_demo_spreadsheets
    from devtools.fake_crm import FakeCRMServer, World
    from orchestration.runs import run_nightly

    tmp = tmp_path_factory.mktemp("published_night")
    world = World(seed=11, participants=160, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp, crm_url=server.base_url, as_of="2026-11-20")
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world),
                                as_of=date(2026, 11, 20))
        run_nightly(settings)
    yield settings


# -- copies of the published night, for tests that go on from it -------------------------------
def published_world():
    """The fake CRM's world the published night loaded (same seed, size and clock as
    `published_night`): a world is a pure function of these, so a test that goes on from a copy
    of that night serves the records the night loaded, then moves this world on."""
    from datetime import UTC, datetime

    from devtools.fake_crm import World

    return World(seed=11, participants=160, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


def copy_of_night(night: Settings, folder: Path, *, crm_url: str, world=None,
                  **extra: str) -> Settings:
    """Everything a night left (warehouse, published file, spreadsheets, deliverables, Dagster's
    run history) copied to `folder`, with settings pointing there: a test that needs a first
    night it can write to starts from this copy instead of running that night again.

    With `world`, checks that it serves exactly the participants the copied warehouse loaded
    (the copy stands for a night of that world, or the test would go on from another one)."""
    import shutil

    from common.warehouse import connect

    source = Path(night.warehouse).parent
    assert night.dagster_home.parent == source and night.sheets_dir.parent == source
    shutil.copytree(source, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.lock"))
    settings = make_settings(folder, crm_url=crm_url, as_of=night.as_of.isoformat(), **extra)
    if world is not None:
        served = {(r["id"], r["updated_at"][:19]) for r in world.records("participants")}
        with connect(settings.warehouse, read_only=True) as wh:
            loaded = {(i, str(u).replace(" ", "T")[:19]) for i, u in wh.fetchall(
                "select id, max(updated_at) from raw.crm_participants group by id")}
        assert served and loaded == served, "the copied night loaded another world"
    return settings


@pytest.fixture
def night_copy(published_night, tmp_path) -> Callable[..., Settings]:
    """`copy_of_night` of the published night into this test's folder (`tmp_path / "night"`)."""

    def make(crm_url: str, world=None, **extra: str) -> Settings:
        return copy_of_night(published_night, tmp_path / "night", crm_url=crm_url, world=world,
                             **extra)

    return make


def run_nightly_in_memory(settings: Settings):
    """The nightly refresh exactly as `make refresh` runs it (`orchestration.runs.run_nightly`:
    the lock, the job, its checks, the publication), with Dagster's run history kept in memory
    instead of the SQLite files under DAGSTER_HOME: storing a night's ~900 events there is
    about 40 % of the night's time, and the pipeline reads its history only within the run
    (the publication's verdict), never across nights. For tests that read what a night left
    in the warehouse, the published marts and the files; tests that read the run history (the
    published night, tests/test_personal_data_boundary.py, the quality gate's Dagster view)
    use `run_nightly` and the persistent instance."""
    from dagster import DagsterInstance

    from orchestration.instance import prepare_dagster_home
    from orchestration.runs import run_nightly

    prepare_dagster_home(settings)  # what `dagster_instance` does: DAGSTER_HOME, dbt's environment
    with DagsterInstance.ephemeral() as instance:
        return run_nightly(settings, instance=instance)
