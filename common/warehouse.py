"""One small interface over the two warehouses `sea` can write to.

The raw layer is written from Python (the dbt models read it), and it must land in DuckDB (the
embedded default) or PostgreSQL (the shared warehouse) with the same code. This module hides the
few differences that matter to the loaders: parameter style, bulk loading and transactions.
SQL passed here must be portable: `?` placeholders, standard types (`text`, `bigint`, `integer`,
`double precision`, `boolean`, `date`, `timestamp`).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def _check_identifier(name: str) -> str:
    """Table and column names are interpolated into SQL: accept only plain identifiers."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


class Warehouse:
    """A connection to the warehouse; use `connect()` to get the right subclass."""

    dialect: str = ""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- to implement -------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        raise NotImplementedError

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        raise NotImplementedError

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Append every row of `df` (columns named as the table's) to `table`; returns the count."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    def close(self) -> None:
        raise NotImplementedError

    def reopen(self) -> Warehouse:
        """Another connection to the same warehouse (one per thread)."""
        raise NotImplementedError

    # -- shared helpers -----------------------------------------------------------------------
    def fetchone(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def ensure_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {_check_identifier(schema)}")

    def table_exists(self, qualified: str) -> bool:
        schema, table = _check_identifier(qualified).split(".")
        return bool(
            self.scalar(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            )
        )

    def columns(self, qualified: str) -> list[str]:
        return list(self.column_types(qualified))

    def column_types(self, qualified: str) -> dict[str, str]:
        """Each column's type as the database names it (`VARCHAR`, `text`, `DATE`…)."""
        schema, table = _check_identifier(qualified).split(".")
        rows = self.fetchall(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
        return {r[0]: str(r[1]) for r in rows}

    def insert_new_rows(self, table: str, df: pd.DataFrame, key: Sequence[str]) -> int:
        """Append the rows of `df` whose `key` is not in `table` yet: idempotent appends.

        Goes through a temporary table so both engines do the anti-join in SQL.
        Returns how many rows were new.
        """
        _check_identifier(table)
        if df.empty:
            return 0
        tmp = "sea_tmp_" + table.replace(".", "_")
        cols = ", ".join(_check_identifier(c) for c in df.columns)
        self.execute(f"drop table if exists {tmp}")
        self.execute(f"create temporary table {tmp} as select {cols} from {table} where false")
        self.insert_df(tmp, df)
        match = " and ".join(f"t.{_check_identifier(k)} = s.{k}" for k in key)
        before = self.scalar(f"select count(*) from {table}")
        self.execute(
            f"insert into {table} ({cols}) select {cols} from {tmp} s "
            f"where not exists (select 1 from {table} t where {match})"
        )
        after = self.scalar(f"select count(*) from {table}")
        self.execute(f"drop table {tmp}")
        return int(after) - int(before)


# Rows per row group of the DuckDB warehouse, for every connection that writes it: dbt's (the
# `row_group_size` of the attach in dbt_project/profiles.yml, which must say the same) and this
# module's. DuckDB's default, 122 880, leaves a table of ≈ 100 000 rows — every intermediate
# at 100 000 participants — in one row group: written twice (log, then checkpoint) and scanned
# on one thread. A connection with another size rewrites the row groups it finds "too small"
# at its first checkpoint (seconds on a large warehouse, for a three-row delete), hence one
# size for every writer.
DUCKDB_ROW_GROUP_SIZE = 16_384


def duckdb_catalog_name(path: str | Path) -> str:
    """The catalog name DuckDB gives a database file: the first non-empty dot-separated part of
    its name (`warehouse.duckdb` → `warehouse`). Views store names qualified with it."""
    return Path(path).name.lstrip(".").split(".")[0]


class DuckDBWarehouse(Warehouse):
    dialect = "duckdb"

    def __init__(self, path: str | Path, read_only: bool = False,
                 config: Mapping[str, Any] | None = None) -> None:
        """`config`: DuckDB connection options (`duckdb.connect(config=...)`), as
        dagster-duckdb's `connection_config` (orchestration/resources.py)."""
        import duckdb

        path = Path(path)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._read_only = read_only
        # Attached rather than opened, to give it its row group size (not stored in the file),
        # under the catalog name opening it would give (the views' SQL names it). The in-memory
        # database it is attached to is named after the file, so that the process's connections
        # to one file share it (as DuckDB shares one instance per opened file) and see only it.
        file = str(path.resolve())
        catalog = duckdb_catalog_name(path).replace('"', '""')
        options = f"ROW_GROUP_SIZE {DUCKDB_ROW_GROUP_SIZE}" + (", READ_ONLY" if read_only else "")
        self._con = duckdb.connect(":memory:sea-" + hashlib.sha256(file.encode()).hexdigest(),
                                   config=dict(config or {}))
        self._config = dict(config or {})
        try:
            self._con.execute(f"attach if not exists '{file.replace(chr(39), chr(39) * 2)}' "
                              f'as "{catalog}" ({options})')
            self._con.execute(f'use "{catalog}"')
        except BaseException:
            self._con.close()
            raise
        self._in_transaction = False

    def reopen(self) -> Warehouse:
        return DuckDBWarehouse(self.path, read_only=self._read_only, config=self._config)

    @property
    def connection(self) -> Any:
        """The underlying `duckdb.DuckDBPyConnection` (the warehouse file is its catalog)."""
        return self._con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._con.execute(sql, list(params) if params is not None else None)

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self._con.execute(sql, list(params) if params is not None else None).fetchall()

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self._con.execute(sql, list(params) if params is not None else None).df()

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        if df.empty:
            return 0
        cols = ", ".join(_check_identifier(c) for c in df.columns)
        self._con.register("sea_batch", df)
        try:
            self._con.execute(f"insert into {_check_identifier(table)} ({cols}) "
                              f"select {cols} from sea_batch")
        finally:
            self._con.unregister("sea_batch")
        return len(df)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; an inner `transaction()` joins the outer one."""
        if self._in_transaction:
            yield
            return
        self._con.execute("begin transaction")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._con.execute("rollback")
            raise
        else:
            self._con.execute("commit")
        finally:
            self._in_transaction = False

    def close(self) -> None:
        self._con.close()


# Session settings of every connection `sea` opens to PostgreSQL (libpq `options`). JIT
# compilation off: PostgreSQL compiles a query to machine code once its estimated cost passes
# `jit_above_cost`, and the project's unions of a few dozen branches (the indicator models, the
# quality rules) are compiled function by function — seconds per query, ten times the query
# itself at the tests' size and still most of it at 100 000 participants, for plans run once
# (docs/performance.md#postgresql). dbt's sessions get the same default from the project's
# `on-run-start` (dbt_project/macros/sea_session.sql).
POSTGRES_SESSION_OPTIONS = "-c jit=off"


class PostgresWarehouse(Warehouse):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg2

        self._url = url
        # Keyword arguments are merged into the URL's parameters: an `options` the URL gives
        # itself is replaced, hence the settings are prepended to it.
        self._con = psycopg2.connect(url, options=_session_options(url))
        self._con.autocommit = True
        self._in_transaction = False

    def reopen(self) -> Warehouse:
        return PostgresWarehouse(self._url)

    @property
    def connection(self) -> Any:
        """The underlying psycopg2 connection (autocommit outside `transaction()`)."""
        return self._con

    @staticmethod
    def _sql(sql: str, params: Sequence[Any] | None) -> str:
        if params is None:
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._con.cursor() as cur:
            cur.execute(self._sql(sql, params), params)

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self._con.cursor() as cur:
            cur.execute(self._sql(sql, params), params)
            return cur.fetchall()

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with self._con.cursor() as cur:
            cur.execute(self._sql(sql, params), params)
            names = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        """Bulk append with COPY (CSV), the fast path of PostgreSQL."""
        if df.empty:
            return 0
        buf = io.StringIO()
        df.to_csv(buf, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S.%f")
        buf.seek(0)
        cols = ", ".join(_check_identifier(c) for c in df.columns)
        with self._con.cursor() as cur:
            cur.copy_expert(
                f"copy {_check_identifier(table)} ({cols}) from stdin "
                "with (format csv, null '\\N')",
                buf,
            )
        return len(df)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        self._con.autocommit = False
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        else:
            self._con.commit()
        finally:
            self._in_transaction = False
            self._con.autocommit = True

    def close(self) -> None:
        self._con.close()


def _session_options(url: str) -> str:
    """`POSTGRES_SESSION_OPTIONS`, then the `options` the URL asks for (they win on conflict)."""
    from psycopg2.extensions import parse_dsn

    own = parse_dsn(url).get("options")
    return f"{POSTGRES_SESSION_OPTIONS} {own}" if own else POSTGRES_SESSION_OPTIONS


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def connect(target: str | Path, read_only: bool = False) -> Warehouse:
    """Open the warehouse named by `SEA_WAREHOUSE`: a DuckDB path or a `postgresql://` URL."""
    target = str(target)
    if is_postgres_url(target):
        return PostgresWarehouse(target)
    return DuckDBWarehouse(target, read_only=read_only)
