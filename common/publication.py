"""Write – audit – publish: the state of the marts BI readers are given
(docs/outputs.md#7-publication-for-readers).

A refresh writes the warehouse (raw → staging → intermediate → marts) and checks it; only when
no `error` check failed does the orchestration call `publish`, which copies the marts and the
reference data readers need into a *published* state and swaps it in atomically:

- DuckDB: every published table is written, as data, into a new file beside the published one,
  checkpointed and closed, then renamed onto it (`os.replace`, atomic on one file system). A
  reader that opened the previous file keeps reading it (its inode) until it reconnects; a new
  connection opens the new one; the pipeline never waits for a reader, since readers never open
  the warehouse.
- PostgreSQL: the tables are built in a schema of their own, granted to the reader role, then
  renamed to `published` in one transaction (the previous schema renamed aside, dropped
  afterwards when no reader holds it). A reader between two statements sees the previous state
  or the new one, never a mix. The reader role (`SEA_READER_ROLE`) is created if missing and
  may read `published` and nothing else.

Views of the marts are published as tables (their data), since the layers they read
(intermediate) are never published. The table `publication` says what readers see: the as-of
date, when it was published and by which run.

Here, not in `orchestration/`, because readers of the published state (a dashboard, the
reports) may not import the orchestration; nothing here knows Dagster.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from common.warehouse import (
    DUCKDB_ROW_GROUP_SIZE,
    DuckDBWarehouse,
    PostgresWarehouse,
    Warehouse,
    duckdb_catalog_name,
    is_postgres_url,
)

PUBLISHED_SCHEMA = "published"  # PostgreSQL; on DuckDB the published file's `main`
PUBLICATION_TABLE = "publication"
# The reference seeds readers need beside the marts: labels, codes, breakdowns, axes, logframe,
# programmes.
READER_SEEDS = ("indicator_catalogue", "code_lists", "disaggregations", "axes", "logframe",
                "programme_reference")
# Layers a reader never sees (the reader role is refused on each that exists).
UNPUBLISHED_SCHEMAS = ("raw", "staging", "intermediate", "marts", "reference", "snapshots")
# How long the PostgreSQL swap waits for a lock before giving up (a reader's DDL, a backup).
SWAP_LOCK_TIMEOUT = "10s"

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_STAGING_PREFIX = "published_new_"
_RETIRED_PREFIX = "published_old_"


class PublicationError(RuntimeError):
    """Publication could not be completed; the previous published state is untouched."""


@dataclass(frozen=True)
class Publication:
    """One published state: what readers see after it, and where."""

    as_of: date
    published_at: datetime
    run_id: str
    tables: tuple[str, ...]
    location: str  # the DuckDB file, or `published` in the PostgreSQL database

    def message(self) -> str:
        """One French line for the run and the command's output."""
        return (f"Publication pour les lecteurs : {len(self.tables)} tables, date d'arrêté "
                f"{self.as_of}, dans {self.location}.")


def _name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(wh: Warehouse, sources: Sequence[tuple[str, str]], *, as_of: date, run_id: str,
            published: str = "", reader_role: str = "sea_reader") -> Publication:
    """Publish `sources` (`(schema, table)` of the warehouse `wh`) for readers, atomically.

    `published`: the DuckDB file to replace (`Settings.published`); `reader_role`: the
    PostgreSQL role given read access to the published schema. Table names must be unique
    across sources: readers see them in one schema. Raises `PublicationError` (French) when it
    cannot complete; the previous published state is then what readers still see.
    """
    names = [_name(table) for _, table in sources]
    for schema, _ in sources:
        _name(schema)
        if schema in ("raw", "staging", "intermediate", "snapshots"):
            raise ValueError(f"the {schema} layer is never published")
    if len(set(names)) != len(names) or PUBLICATION_TABLE in names:
        raise ValueError(f"published table names must be unique: {names}")
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if isinstance(wh, DuckDBWarehouse):
        if not published:
            raise ValueError("the published DuckDB file is not set")
        location = _publish_duckdb(wh, sources, Path(published), as_of, published_at, run_id)
    elif isinstance(wh, PostgresWarehouse):
        location = _publish_postgres(wh, sources, _name(reader_role), as_of, published_at,
                                     run_id)
    else:
        raise TypeError(f"unknown warehouse {type(wh).__name__}")
    return Publication(as_of=as_of, published_at=published_at, run_id=run_id,
                       tables=tuple(names), location=location)


def _publication_rows_sql(target: str, as_of: date, published_at: datetime,
                          run_id: str) -> list[str]:
    return [
        f"create table {target} (as_of date, published_at timestamp, run_id varchar(64))",
        f"insert into {target} values ({_sql_string(as_of.isoformat())}, "
        f"{_sql_string(published_at.isoformat(sep=' '))}, {_sql_string(run_id)})",
    ]


# -- DuckDB -----------------------------------------------------------------------------------
def _publish_duckdb(wh: DuckDBWarehouse, sources: Sequence[tuple[str, str]], path: Path,
                    as_of: date, published_at: datetime, run_id: str) -> str:
    """Write the new file beside `path`, then rename it onto `path` (module docstring)."""
    path = path.resolve()
    if path == Path(wh.path).resolve():
        raise ValueError("the published file cannot be the warehouse")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.building")
    alias = "sea_publishing_" + uuid.uuid4().hex[:8]
    try:
        # The warehouse's row group size (a full row group per batch of the copy: below)
        wh.execute(f"attach {_sql_string(str(building))} as {alias} "
                   f"(ROW_GROUP_SIZE {DUCKDB_ROW_GROUP_SIZE})")
        try:
            _copy_duckdb_tables(wh, sources, alias)
            for sql in _publication_rows_sql(f"{alias}.main.{PUBLICATION_TABLE}", as_of,
                                             published_at, run_id):
                wh.execute(sql)
            wh.execute(f"checkpoint {alias}")
        finally:
            wh.execute(f"detach {alias}")
        _swap_in(building, path)
    except Exception as exc:
        raise PublicationError(
            f"publication impossible dans {path} : {exc} ; les lecteurs gardent la "
            "publication précédente") from exc
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return str(path)


def _copy_duckdb_tables(wh: DuckDBWarehouse, sources: Sequence[tuple[str, str]],
                        alias: str) -> None:
    """Copy every source into the attached file `alias`: one table per query, each query on
    one thread, as many queries at once as DuckDB has threads (docs/performance.md).

    A copy is mostly compression. One table copied on several threads cost twice the CPU of
    one thread at 100 000 participants (each thread wrote partial row groups, merged and
    compressed again at the end) for a file 40 % larger; one thread per table, two tables at
    once, halves the CPU and keeps both cores busy. The three views (`indicator_values`,
    `participant_journeys`, `dq_issues`, computed while copied) are most of the work: they
    start first, the small tables fill in the other thread meanwhile. The tables and rows are
    those of one query after the other; only the file's layout differs.
    """
    con = wh.connection
    name = duckdb_catalog_name(wh.path)
    catalog = name.replace('"', '""')
    threads = int(con.execute("select current_setting('threads')").fetchone()[0])
    kinds = dict(((schema, table), kind == "VIEW") for schema, table, kind in con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_catalog = ?", [name]).fetchall())
    # views first, then tables: the longest copies start first
    queue = sorted(sources, key=lambda s: not kinds.get(s, False))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        cursor = con.cursor()
        try:
            # One transaction per thread: one commit (one flush of the new file's log) for its
            # tables rather than one per table.
            cursor.execute("begin transaction")
            while True:
                with lock:
                    if failures or not queue:
                        break
                    schema, table = queue.pop(0)
                cursor.execute(f'create table {alias}.main.{table} as '
                               f'select * from "{catalog}".{schema}.{table}')
            cursor.execute("commit")
        except BaseException as exc:  # the first failure stops the others; publish reports it
            with lock:
                failures.append(exc)
        finally:
            cursor.close()  # rolls back what was not committed

    con.execute("set threads = 1")
    try:
        workers = [threading.Thread(target=worker, name=f"sea-publish-{n}")
                   for n in range(max(1, min(threads, len(queue))))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        con.execute(f"set threads = {threads}")
    if failures:
        raise failures[0]


def _swap_in(building: Path, path: Path) -> None:
    """Rename the complete new file onto the published one, durably."""
    with open(building, "rb+") as handle:  # on disk before it is named
        os.fsync(handle.fileno())
    os.replace(building, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


# -- PostgreSQL -------------------------------------------------------------------------------
def ensure_reader_role(wh: PostgresWarehouse, role: str) -> None:
    """Create the reader role if missing (LOGIN, so a BI tool can connect; its password is set
    by an administrator: docs/outputs.md#7-publication-for-readers), make `published` its
    search path, and take back anything it was granted on the unpublished layers. Idempotent;
    needs the CREATEROLE privilege the first time only."""
    role = _name(role)
    exists = wh.scalar("select count(*) from pg_roles where rolname = ?", [role])
    if not exists:
        try:
            wh.execute(f"create role {role} login")
        except Exception:  # created meanwhile by a concurrent refresh of another database
            if not wh.scalar("select count(*) from pg_roles where rolname = ?", [role]):
                raise
    database = wh.scalar("select current_database()")
    # Only when missing: ALTER ROLE needs CREATEROLE, which a pipeline user may have lost
    # once an administrator created the role.
    settings = wh.scalar(
        "select array_to_string(s.setconfig, ',') from pg_db_role_setting s "
        "join pg_roles r on r.oid = s.setrole join pg_database d on d.oid = s.setdatabase "
        "where r.rolname = ? and d.datname = ?", [role, database]) or ""
    if f"search_path={PUBLISHED_SCHEMA}" not in settings.split(","):
        wh.execute(f'alter role {role} in database "{database}" '
                   f"set search_path = {PUBLISHED_SCHEMA}")
    for (schema,) in wh.fetchall(
            "select nspname from pg_namespace where nspname = any(?)",
            [list(UNPUBLISHED_SCHEMAS)]):
        wh.execute(f"revoke all on all tables in schema {schema} from {role}")
        wh.execute(f"revoke all on schema {schema} from {role}")


def _publish_postgres(wh: PostgresWarehouse, sources: Sequence[tuple[str, str]], role: str,
                      as_of: date, published_at: datetime, run_id: str) -> str:
    """Build a schema aside, grant it, rename it to `published` in one transaction."""
    ensure_reader_role(wh, role)
    building = _STAGING_PREFIX + uuid.uuid4().hex[:8]
    retired = _RETIRED_PREFIX + uuid.uuid4().hex[:8]
    try:
        wh.execute(f"create schema {building}")
        try:
            for schema, table in sources:
                wh.execute(f"create table {building}.{table} as select * from {schema}.{table}")
            for sql in _publication_rows_sql(f"{building}.{PUBLICATION_TABLE}", as_of,
                                             published_at, run_id):
                wh.execute(sql)
            wh.execute(f"grant usage on schema {building} to {role}")
            wh.execute(f"grant select on all tables in schema {building} to {role}")
            with wh.transaction():
                # Renaming a schema takes no lock on its tables: a reader's open transaction
                # does not hold the swap back (the bounded wait is for a concurrent DDL).
                wh.execute(f"set local lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                if wh.scalar("select count(*) from pg_namespace where nspname = ?",
                             [PUBLISHED_SCHEMA]):
                    wh.execute(f"alter schema {PUBLISHED_SCHEMA} rename to {retired}")
                wh.execute(f"alter schema {building} rename to {PUBLISHED_SCHEMA}")
        except BaseException:
            wh.execute(f"drop schema if exists {building} cascade")
            raise
    except Exception as exc:
        raise PublicationError(
            f"publication impossible dans le schéma {PUBLISHED_SCHEMA} : {exc} ; les lecteurs "
            "gardent la publication précédente") from exc
    drop_retired_schemas(wh)
    return f"le schéma {PUBLISHED_SCHEMA} de la base {wh.scalar('select current_database()')}"


def drop_retired_schemas(wh: PostgresWarehouse, lock_timeout: str = "2s") -> list[str]:
    """Drop the previous published states no reader holds any more; the names still held.

    A reader whose transaction read a retired table holds a lock on it until it ends: its
    schema stays, harmless (nobody else sees it), and is dropped by a later publication.
    """
    held = []
    for (schema,) in wh.fetchall(
            "select nspname from pg_namespace where nspname like ? or nspname like ? "
            "order by nspname", [_RETIRED_PREFIX + "%", _STAGING_PREFIX + "%"]):
        try:
            with wh.transaction():
                wh.execute(f"set local lock_timeout = '{lock_timeout}'")
                wh.execute(f"drop schema {_name(schema)} cascade")
        except Exception:
            held.append(schema)
    return held


# -- erasure reaches a withheld publication ---------------------------------------------------
def erase_from_publication(wh: Warehouse, participant_keys: Sequence[str], *,
                           published: str = "") -> int:
    """Take the erased participants out of the published state; how many rows went.

    A refresh that withholds publication keeps readers on the previous state — which may hold
    a participant erased since (docs/crm-api.md#deletions-and-erasure): the erasure must
    reach it all the same. Only their rows go (tables with a `participant_key`); everything
    else, the `publication` row included, stays as published. Atomic like a publication: on
    DuckDB a filtered copy of the published file renamed onto it, on PostgreSQL one
    transaction of deletes (readers see the rows before or after, never half).
    """
    keys = sorted(set(participant_keys))
    if not keys:
        return 0
    if isinstance(wh, PostgresWarehouse):
        tables = [t for (t,) in wh.fetchall(
            "select table_name from information_schema.columns where table_schema = ? "
            "and column_name = 'participant_key' order by 1", [PUBLISHED_SCHEMA])]
        removed = 0
        with wh.transaction():
            for table in tables:
                before = wh.scalar(f"select count(*) from {PUBLISHED_SCHEMA}.{_name(table)}")
                wh.execute(f"delete from {PUBLISHED_SCHEMA}.{table} "
                           "where participant_key = any(?)", [keys])
                removed += before - wh.scalar(
                    f"select count(*) from {PUBLISHED_SCHEMA}.{table}")
        return removed
    import duckdb

    path = Path(published).resolve()
    if not published or not path.is_file():
        return 0
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {_sql_string(str(path))} as current_state (read_only)")
        columns = con.execute(
            "select table_name, bool_or(column_name = 'participant_key') from "
            "information_schema.columns where table_catalog = 'current_state' "
            "group by 1 order by 1").fetchall()
        con.execute("create temporary table erased (participant_key varchar)")
        con.executemany("insert into erased values (?)", [[k] for k in keys])
        found = sum(con.execute(
            f"select count(*) from current_state.main.{_name(table)} "
            "where participant_key in (select participant_key from erased)").fetchone()[0]
            for table, keyed in columns if keyed)
        if not found:
            return 0
        building = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.building")
        try:
            con.execute(f"attach {_sql_string(str(building))} as next_state")
            for table, keyed in columns:
                keep = (" where participant_key not in (select participant_key from erased)"
                        if keyed else "")
                con.execute(f"create table next_state.main.{table} as "
                            f"select * from current_state.main.{table}{keep}")
            con.execute("checkpoint next_state")
            con.execute("detach next_state")
            con.execute("detach current_state")
            _swap_in(building, path)
        except Exception as exc:
            raise PublicationError(
                f"effacement impossible dans la publication {path} : {exc}") from exc
        finally:
            for leftover in (building, building.with_name(building.name + ".wal")):
                leftover.unlink(missing_ok=True)
        return found
    finally:
        con.close()


# -- reading what is published ----------------------------------------------------------------
def read_publication(target: str, published: str = "") -> Publication | None:
    """What readers see now (the `publication` row), or None when nothing was published yet.

    `target`: the warehouse (`SEA_WAREHOUSE`); `published`: the DuckDB published file.
    """
    if is_postgres_url(target):
        with PostgresWarehouse(target) as wh:
            if not wh.table_exists(f"{PUBLISHED_SCHEMA}.{PUBLICATION_TABLE}"):
                return None
            row = wh.fetchone(f"select as_of, published_at, run_id from "
                              f"{PUBLISHED_SCHEMA}.{PUBLICATION_TABLE}")
            tables = [r[0] for r in wh.fetchall(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_name <> ? order by 1", [PUBLISHED_SCHEMA, PUBLICATION_TABLE])]
            database = wh.scalar("select current_database()")
        location = f"le schéma {PUBLISHED_SCHEMA} de la base {database}"
    else:
        import duckdb

        path = Path(published)
        if not published or not path.is_file():
            return None
        # A fresh in-memory database attaching the file: never a cached instance of a file
        # this process opened before the last swap.
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"attach {_sql_string(str(path))} as sea_published (read_only)")
            if not con.execute(
                    "select count(*) from information_schema.tables where table_catalog = "
                    "'sea_published' and table_name = ?", [PUBLICATION_TABLE]).fetchone()[0]:
                return None
            row = con.execute(f"select as_of, published_at, run_id from "
                              f"sea_published.main.{PUBLICATION_TABLE}").fetchone()
            tables = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = "
                "'sea_published' and table_name <> ? order by 1",
                [PUBLICATION_TABLE]).fetchall()]
        finally:
            con.close()
        location = str(path.resolve())
    if row is None:
        return None
    return Publication(as_of=row[0], published_at=row[1], run_id=str(row[2]),
                       tables=tuple(tables), location=location)
