"""`make bench`'s throw-away PostgreSQL database: created on the server it is given, and dropped
whatever happens to the benchmark — a stage that raises, Ctrl-C. Unit-level, no pipeline run."""

from __future__ import annotations

import psycopg2
import pytest

from devtools import benchmark
from devtools.benchmark import BENCH_DATABASE_PREFIX, database_url, main, throwaway_database
from tests.conftest import PG_ADMIN_URL, _pg_available


def _bench_databases() -> set[str]:
    con = psycopg2.connect(PG_ADMIN_URL)
    try:
        with con.cursor() as cur:
            cur.execute("select datname from pg_database where datname like %s",
                        [BENCH_DATABASE_PREFIX + "%"])
            return {name for (name,) in cur.fetchall()}
    finally:
        con.close()


def test_database_url_keeps_the_server_and_changes_only_the_database() -> None:
    assert (database_url("postgresql://bob:p%40ss@db.local:6543/postgres?sslmode=require",
                         "sea_bench_0a1b")
            == "postgresql://bob:p%40ss@db.local:6543/sea_bench_0a1b?sslmode=require")


def test_an_unknown_warehouse_is_refused_in_one_line(capsys) -> None:
    assert main(["--participants", "10", "--warehouse", "mysql://x@y/z"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "BENCH_WAREHOUSE invalide" in err


@pytest.mark.postgres
@pytest.mark.parametrize("failure", [RuntimeError("a stage failed"), KeyboardInterrupt()])
def test_the_throwaway_database_is_dropped_when_a_stage_fails(failure: BaseException) -> None:
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    before = _bench_databases()
    with pytest.raises(type(failure)), throwaway_database(PG_ADMIN_URL) as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith(BENCH_DATABASE_PREFIX) and name not in before
        # a connection the failing stage left open does not keep the database alive
        left_open = psycopg2.connect(url)
        with left_open.cursor() as cur:
            cur.execute("create table t as select 1 as x")
        left_open.commit()
        assert name in _bench_databases()
        raise failure
    assert _bench_databases() == before
    left_open.close()


def test_sigterm_unwinds_like_ctrl_c() -> None:
    with pytest.raises(KeyboardInterrupt):
        benchmark._raise_interrupt(15, None)
