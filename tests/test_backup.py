"""Backup → wipe → restore gives back the same warehouse: every marts table row for row, the
`snapshots` history (which nothing can rebuild) and the published file
(docs/runbook.md#backup-and-restore).

On a copy of the shared published night — no new nightly run; on PostgreSQL, a small warehouse
written by hand (the dump and restore do not depend on what the tables hold)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.settings import Settings
from common.warehouse import connect
from orchestration.backup import MANIFEST, BackupError, backup, restore
from tests.conftest import copy_of_night, make_settings

NO_CRM = "http://127.0.0.1:9"  # nothing is extracted: backups never call the CRM


def _contents(target: str, schemas: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every table and view of `schemas`, all rows, in a fixed order."""
    with connect(target, read_only=not target.startswith("postgresql://")) as wh:
        catalog = "and table_catalog = current_database() " if wh.dialect == "duckdb" else ""
        names = wh.fetchall(
            "select table_schema, table_name from information_schema.tables where "
            f"table_schema in ({', '.join('?' for _ in schemas)}) {catalog}order by 1, 2",
            list(schemas))
        return {f"{s}.{t}": sorted(wh.fetchall(f'select * from "{s}"."{t}"'), key=repr)
                for s, t in names}


@pytest.fixture
def night(published_night: Settings, tmp_path: Path) -> Settings:
    return copy_of_night(published_night, tmp_path / "night", crm_url=NO_CRM)


def test_backup_wipe_restore_gives_identical_marts_and_snapshots(night: Settings,
                                                                 tmp_path: Path) -> None:
    before = _contents(night.warehouse, ("marts", "snapshots"))
    published_before = _contents(night.published, ("main",))
    assert sum(1 for name in before if name.startswith("marts.")) >= 10
    assert before["snapshots.recommendation_status_snapshot"], "no snapshot history to protect"

    saved = backup(night, tmp_path / "sauvegardes")
    assert saved.folder.parent == (tmp_path / "sauvegardes").resolve()
    manifest = json.loads((saved.folder / MANIFEST).read_text(encoding="utf-8"))
    counted = {(s, t): n for s, t, n in manifest["tables"]}
    with connect(night.warehouse, read_only=True) as wh:
        for (schema, table), rows in counted.items():
            if schema != "published":
                assert wh.scalar(f'select count(*) from "{schema}"."{table}"') == rows
    assert saved.rows_in("snapshots")[1] == sum(
        len(rows) for name, rows in before.items() if name.startswith("snapshots."))
    assert saved.rows_in("published")[0] == len(published_before)

    # the disk is lost: warehouse and published file gone
    Path(night.warehouse).unlink()
    Path(night.published).unlink()

    content, aside = restore(night, saved.folder)
    assert aside == ""  # nothing was left to keep aside
    assert content.tables == saved.tables
    assert _contents(night.warehouse, ("marts", "snapshots")) == before
    assert _contents(night.published, ("main",)) == published_before


def test_restore_keeps_the_current_warehouse_aside_and_refuses_a_damaged_backup(
        night: Settings, tmp_path: Path) -> None:
    saved = backup(night, tmp_path / "b")
    with connect(night.warehouse) as wh:  # a change made after the backup
        wh.execute("delete from snapshots.recommendation_status_snapshot")
    content, aside = restore(night, saved.folder)
    assert Path(aside).is_file()
    with connect(night.warehouse, read_only=True) as wh:
        assert wh.scalar("select count(*) from snapshots.recommendation_status_snapshot") == \
            content.rows_in("snapshots")[1] > 0

    damaged = saved.folder / "entrepot" / Path(night.warehouse).name
    with open(damaged, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\0garbage\0")
    stamp = Path(night.warehouse).stat().st_mtime_ns
    with pytest.raises(BackupError, match="altérée"):
        restore(night, saved.folder)
    assert Path(night.warehouse).stat().st_mtime_ns == stamp  # untouched

    with pytest.raises(BackupError, match="SEA_OUTPUT_DIR"):
        backup(night, night.output_dir / "sauvegardes")


@pytest.mark.postgres
def test_postgres_backup_and_restore(pg_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, warehouse=pg_url)
    with connect(pg_url) as wh:
        for schema in ("raw", "marts", "snapshots", "published"):
            wh.execute(f"create schema {schema}")
        wh.execute("create table raw.crm_participants as "
                   "select g as id, 'x' || g as last_name from generate_series(1, 40) g")
        wh.execute("create table marts.indicator_values as select g as v, g * 1.5 as w "
                   "from generate_series(1, 25) g")
        wh.execute("create view marts.v_total as select sum(v) as s from marts.indicator_values")
        wh.execute("create table snapshots.recommendation_status_snapshot as select g as id, "
                   "date '2026-01-01' + g as dbt_valid_from from generate_series(1, 7) g")
        wh.execute("create table published.indicator_values as "
                   "select * from marts.indicator_values")
    before = _contents(pg_url, ("raw", "marts", "snapshots", "published"))

    saved = backup(settings, tmp_path / "b")
    assert saved.rows == 40 + 25 + 7 + 25
    assert saved.rows_in("snapshots") == (1, 7)

    with connect(pg_url) as wh:  # wiped, and a schema the backup does not know appears
        for schema in ("raw", "marts", "snapshots", "published"):
            wh.execute(f"drop schema {schema} cascade")
        wh.execute("create schema staging")
        wh.execute("create table staging.t as select 1 as a")

    restore(settings, saved.folder)
    assert _contents(pg_url, ("raw", "marts", "snapshots", "published")) == before
    with connect(pg_url) as wh:
        assert wh.scalar("select s from marts.v_total") == 325
        assert not wh.scalar("select count(*) from pg_namespace where nspname like '%avant%'")
        assert not wh.scalar("select count(*) from pg_namespace where nspname = 'staging'")
