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


def _relations(wh, schemas: tuple[str, ...]) -> list[tuple[str, str]]:  # noqa: ANN001
    catalog = "and table_catalog = current_database() " if wh.dialect == "duckdb" else ""
    return wh.fetchall(
        "select table_schema, table_name from information_schema.tables where "
        f"table_schema in ({', '.join('?' for _ in schemas)}) {catalog}order by 1, 2",
        list(schemas))


def _freeze(target: str, schemas: tuple[str, ...], into: Path) -> list[str]:
    """Every table and view of `schemas` copied, as data, into the DuckDB file `into` (table
    `<schema>__<name>`): the reference a restored warehouse is compared with in SQL, row for
    row, without pulling ~170 000 rows of the largest mart into Python twice."""
    with connect(target, read_only=True) as wh:
        wh.execute(f"attach '{into}' as frozen")
        names = []
        for schema, table in _relations(wh, schemas):
            wh.execute(f'create table frozen.main."{schema}__{table}" as '
                       f'select * from "{schema}"."{table}"')
            names.append(f"{schema}.{table}")
        wh.execute("detach frozen")
    return names


def _differing(target: str, schemas: tuple[str, ...], frozen: Path) -> list[str]:
    """The relations of `schemas` that differ from their frozen copy: another set of names, or
    a row more, less or changed (rows counted by value: duplicates count, NULLs match)."""
    with connect(target, read_only=True) as wh:
        wh.execute(f"attach '{frozen}' as frozen (read_only)")
        found = [f"{s}.{t}" for s, t in _relations(wh, schemas)]
        kept = [name for (name,) in wh.fetchall(
            "select replace(table_name, '__', '.') from information_schema.tables "
            "where table_catalog = 'frozen' order by 1")]
        if found != kept:
            return sorted(set(found) ^ set(kept))
        differing = []
        for name in found:
            schema, table = name.split(".")
            ours, theirs = f'"{schema}"."{table}"', f'frozen.main."{schema}__{table}"'
            # each distinct row's count here minus there: any non-zero is a row more or less
            if wh.scalar(
                    "select count(*) from (select * exclude (sea_side), sum(sea_side) as n "
                    f"from (select *, 1 as sea_side from {ours} union all "
                    f"select *, -1 from {theirs}) group by all having n <> 0)"):
                differing.append(name)
        return differing


@pytest.fixture
def night(published_night: Settings, tmp_path: Path) -> Settings:
    return copy_of_night(published_night, tmp_path / "night", crm_url=NO_CRM)


def test_backup_wipe_restore_gives_identical_marts_and_snapshots(night: Settings,
                                                                 tmp_path: Path) -> None:
    frozen = tmp_path / "before.duckdb"
    before = _freeze(night.warehouse, ("marts", "snapshots"), frozen)
    published_before = Path(night.published).read_bytes()
    assert sum(1 for name in before if name.startswith("marts.")) >= 10
    assert "snapshots.recommendation_status_snapshot" in before

    saved = backup(night, tmp_path / "sauvegardes")
    assert saved.folder.parent == (tmp_path / "sauvegardes").resolve()
    assert saved.folder.stat().st_mode & 0o077 == 0  # personal data: its owner's only
    manifest = json.loads((saved.folder / MANIFEST).read_text(encoding="utf-8"))
    counted = {(s, t): n for s, t, n in manifest["tables"]}
    with connect(night.warehouse, read_only=True) as wh:
        for (schema, table), rows in counted.items():
            if schema != "published":
                assert wh.scalar(f'select count(*) from "{schema}"."{table}"') == rows
    with connect(str(frozen), read_only=True) as wh:
        history = wh.scalar('select count(*) from "snapshots__recommendation_status_snapshot"')
    assert saved.rows_in("snapshots") == (1, history) and history > 0
    with connect(night.published, read_only=True) as wh:
        published = [t for (t,) in wh.fetchall(
            "select table_name from duckdb_tables() where database_name = current_database()")]
        assert len(published) >= 10
        assert saved.rows_in("published") == (len(published), sum(
            wh.scalar(f'select count(*) from "{t}"') for t in published))

    # the disk is lost: warehouse and published file gone
    Path(night.warehouse).unlink()
    Path(night.published).unlink()

    content, aside = restore(night, saved.folder)
    assert aside == ""  # nothing was left to keep aside
    assert content.tables == saved.tables
    assert _differing(night.warehouse, ("marts", "snapshots"), frozen) == []
    # the published file is a copy of a file: byte for byte (its tables, counted, above)
    assert Path(night.published).read_bytes() == published_before


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


def _pg_rows(url: str) -> dict[str, list[tuple]]:
    """Every table and view of the small PostgreSQL warehouse below, all rows, sorted."""
    with connect(url) as wh:
        return {f"{s}.{t}": sorted(wh.fetchall(f'select * from "{s}"."{t}"'))
                for s, t in _relations(wh, ("raw", "marts", "snapshots", "published"))}


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
    before = _pg_rows(pg_url)

    saved = backup(settings, tmp_path / "b")
    assert saved.rows == 40 + 25 + 7 + 25
    assert saved.rows_in("snapshots") == (1, 7)

    with connect(pg_url) as wh:  # wiped, and a schema the backup does not know appears
        for schema in ("raw", "marts", "snapshots", "published"):
            wh.execute(f"drop schema {schema} cascade")
        wh.execute("create schema staging")
        wh.execute("create table staging.t as select 1 as a")

    restore(settings, saved.folder)
    assert _pg_rows(pg_url) == before
    with connect(pg_url) as wh:
        assert wh.scalar("select s from marts.v_total") == 325
        assert not wh.scalar("select count(*) from pg_namespace where nspname like '%avant%'")
        assert not wh.scalar("select count(*) from pg_namespace where nspname = 'staging'")


def test_backup_waits_for_a_running_refresh_and_gives_up_in_one_line(night: Settings,
                                                                     tmp_path: Path) -> None:
    """A refresh holds the warehouse's access lock exclusively for its whole run: the backup
    waits for it (here 1 s), then stops without leaving half a backup behind."""
    import dataclasses
    import fcntl
    import os

    access = Path(night.warehouse).resolve().with_name(
        Path(night.warehouse).name + ".access.lock")
    fd = os.open(access, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what a running refresh holds
        with pytest.raises(BackupError, match="sauvegarde impossible pour l'instant"):
            backup(dataclasses.replace(night, lock_wait_seconds=1), tmp_path / "b")
    finally:
        os.close(fd)
    assert not list((tmp_path / "b").iterdir())


def test_restore_folder_is_data_never_shell(tmp_path: Path) -> None:
    """`make restore FROM=…` passes the folder as data (the Makefile's `$$FROM`): shell or make
    syntax in it is never run, and the command answers in one line that it is no backup."""
    import uuid

    from tests.test_cli_errors import _env, _make

    canary = Path(f"/tmp/sea_pwned_{uuid.uuid4().hex}")
    for value in (f'x"; touch {canary}; echo "', f"$(shell touch {canary})"):
        proc = _make("restore", "FROM", value, _env(tmp_path))
        assert not canary.exists(), "the value was run as a command"
        assert proc.returncode != 0
        ours = [line for line in proc.stderr.splitlines() if line.startswith("sea:")]
        assert len(ours) == 1 and value in ours[0], proc.stderr
        assert "n'est pas une sauvegarde de sea" in ours[0]
