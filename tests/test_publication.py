"""Write – audit – publish (common/publication.py, orchestration/assets/publication.py,
orchestration/publication.py).

Readers (BI tools) see a published state of the marts that a refresh replaces atomically, and
only when no `error` check of the run failed: a reader holding the published DuckDB file open
during a refresh keeps its consistent previous state and the next connection gets the new one;
a refresh failing an `error` check leaves the published file untouched and says why, in
French, in the run; on PostgreSQL the reader role reads `published` and nothing else, and a
reader between two statements sees the previous state, then the new one.

Two small refreshes (8 participants) and one PostgreSQL database without dbt: about a minute.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import psycopg2.errors
import pytest
from dagster import DagsterEventType

from common.publication import (
    READER_SEEDS,
    PublicationError,
    drop_retired_schemas,
    erase_from_publication,
    publish,
    read_publication,
)
from common.settings import PROJECT_ROOT, SettingsError
from common.warehouse import connect
from connectors.crm.raw_tables import resource_columns
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.dashboard import dashboard_line, dashboard_path
from orchestration.instance import dagster_instance
from orchestration.publication import (
    PUBLISHED_KEY,
    check_verdict,
    publication_line,
    published_sources,
)
from orchestration.runs import RunFailed, run_nightly
from tests.conftest import make_settings
from tests.test_alerts import SmtpSink, WebhookReceiver, alert_env, body_of

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AS_OF = "2026-11-20"
PREVIOUS_AS_OF = date(2026, 11, 19)
BAD_CHECK = "staging.stg_crm__enrolments.end_not_before_start"


def _fake_previous_publication(path: Path) -> None:
    """A published file as an earlier night left it: one indicator row, its publication row."""
    con = duckdb.connect(str(path))
    con.execute("create table indicator_values as select 'ancien' as indicator_code, 1 as n")
    con.execute("create table publication (as_of date, published_at timestamp, run_id varchar)")
    con.execute("insert into publication values (?, ?, 'previous')",
                [PREVIOUS_AS_OF, datetime(2026, 11, 19, 3, 0)])
    con.close()


def _read_state(con) -> tuple:
    """What a reader gets in one statement: the publication row and the indicators' count."""
    return con.execute("select p.as_of, p.run_id, (select count(*) from indicator_values) "
                       "from publication p").fetchone()


def _state_in_new_process(path: str) -> tuple:
    """A reader that connects now (another process, as a BI tool)."""
    code = ("import duckdb, sys\ncon = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print(con.execute(\"select as_of, run_id, (select count(*) from indicator_values) "
            "from publication\").fetchone())\n"
            "print(sorted(r[0] for r in con.execute(\"select table_name || ':' || table_type "
            "from information_schema.tables\").fetchall()))\n")
    out = subprocess.run([sys.executable, "-c", code, path], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    return out[0], out[1]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _inject_inverted_enrolment(settings) -> None:
    """An enrolment ending before it starts (an `error` check of staging, which does not block
    the refresh), written to raw as extraction would write a new CRM record."""
    with connect(settings.warehouse) as wh:
        row = wh.fetch_df("select * from raw.crm_enrolments order by id limit 1").iloc[0].to_dict()
        injected = datetime(2026, 11, 22, 9, 0)
        row.update(id="E900001", programme="TEST_INVERSE", start_date="2026-03-10",
                   end_date="2026-03-05", exit_reason="completed", updated_at=injected,
                   _load_seq=10_000, _load_id="test-injection", _loaded_at=injected,
                   _payload_hash="test-enrolments-E900001")
        names = [c for c, _ in resource_columns("enrolments")]
        clean = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        wh.insert_df("raw.crm_enrolments", pd.DataFrame([{n: clean.get(n) for n in names}]))


class PublishedReader:
    """A BI tool polling the published marts from a thread — the read-only file on DuckDB, the
    reader role on PostgreSQL — each read one statement: (publication run id, journeys)."""

    SQL = ("select p.run_id, (select count(*) from participant_journeys) from publication p")

    def __init__(self, settings) -> None:
        self.settings = settings
        self.seen: list[tuple] = []
        self._stop = threading.Event()
        if settings.warehouse_is_postgres:
            self._con = psycopg2.connect(_as_role(settings.warehouse, settings.reader_role))
            self._con.autocommit = True
            self._read = lambda: _one(self._con, self.SQL)[0]
        else:
            self._con = duckdb.connect(settings.published, read_only=True)
            cursor = self._con.cursor()
            self._read = lambda: cursor.execute(self.SQL).fetchone()
        self.seen.append(self._read())
        self._thread = threading.Thread(target=self._poll)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.05):
            self.seen.append(self._read())

    def fresh(self) -> tuple:
        """What a reader connecting now gets."""
        if self.settings.warehouse_is_postgres:
            con = psycopg2.connect(_as_role(self.settings.warehouse, self.settings.reader_role))
            try:
                return _one(con, self.SQL)[0]
            finally:
                con.close()
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"attach '{self.settings.published}' as now (read_only)")
            con.execute("use now")
            return con.execute(self.SQL).fetchone()
        finally:
            con.close()

    def assert_old_then_new(self) -> None:
        """After a refresh that published: the reader saw the previous state, whole, then (on
        PostgreSQL, between two statements) the new one; a new connection gets the new one."""
        self._stop.set()
        self._thread.join()
        self.seen.append(self._read())
        self._con.close()
        old, new = self.seen[0], self.fresh()
        assert old != new
        assert set(self.seen) <= {old, new}, self.seen
        if self.settings.warehouse_is_postgres:
            assert self.seen[-1] == new
        else:  # the file it opened: the previous state until it reconnects
            assert set(self.seen) == {old}


def _as_role(url: str, role: str) -> str:
    return re.sub(r"//[^@/]*@", f"//{role}@", url, count=1)


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory):
    """A refresh that publishes while a reader holds the previous published file open (its
    reads recorded all along), then a refresh failing an `error` check; alerts go to a local
    SMTP sink and webhook receiver (tests/test_alerts.py), what each night sent recorded."""
    tmp = tmp_path_factory.mktemp("publication")
    with (FakeCRMServer(World(seed=6, participants=8, now=NOW), token="test-token") as server,
          SmtpSink() as sink, WebhookReceiver() as receiver):
        settings = make_settings(tmp, crm_url=server.base_url, as_of=AS_OF,
                                 **alert_env(sink, receiver))
        published = Path(settings.published)
        _fake_previous_publication(published)
        reader = duckdb.connect(str(published), read_only=True)
        seen: list[tuple] = []
        stop = threading.Event()

        def keep_reading() -> None:
            cursor = reader.cursor()
            while not stop.is_set():
                seen.append(_read_state(cursor))
                stop.wait(0.05)

        thread = threading.Thread(target=keep_reading)
        thread.start()
        try:
            first = run_nightly(settings)
        finally:
            stop.set()
            thread.join()
        state = {"settings": settings, "first": first, "seen": seen,
                 "alerts_first": (list(sink.messages), list(receiver.posts)),
                 "reader_after": _read_state(reader), "new_reader": _state_in_new_process(
                     settings.published)}
        with connect(settings.warehouse) as wh:
            state["indicators"] = wh.scalar("select count(*) from marts.indicator_values")
        reader.close()
        state["before_failure"] = (published.stat().st_ino, _digest(published))
        board = dashboard_path(settings)
        state["dashboard_first"] = _digest(board) if board.is_file() else None
        _inject_inverted_enrolment(settings)
        state["second"] = run_nightly(settings)  # the refresh itself succeeds
        state["alerts_second"] = (sink.messages[len(state["alerts_first"][0]):],
                                  receiver.posts[len(state["alerts_first"][1]):])
        state["after_failure"] = (published.stat().st_ino, _digest(published))
        state["dashboard_second"] = _digest(board) if board.is_file() else None
        yield state


@pytest.mark.slow
def test_a_reader_keeps_the_previous_state_while_a_refresh_publishes(refreshes):
    settings, first = refreshes["settings"], refreshes["first"]
    previous = (PREVIOUS_AS_OF, "previous", 1)
    # During the refresh and after it, the open reader saw only the previous state, whole.
    assert len(refreshes["seen"]) > 10
    assert set(refreshes["seen"]) == {previous}
    assert refreshes["reader_after"] == previous
    # A reader connecting now gets the new state: this run's marts and reference data.
    row, tables = refreshes["new_reader"]
    assert row == str((date(2026, 11, 20), first.run_id, refreshes["indicators"]))
    names = {t.split(":")[0] for t in eval(tables)}  # noqa: S307 - our own subprocess' print
    assert names == {table for _, table in published_sources()} | {"publication"}
    assert set(READER_SEEDS) <= names and "indicator_values" in names
    assert {t.split(":")[1] for t in eval(tables)} == {"BASE TABLE"}  # noqa: S307 - views as data
    assert not names & {"crm_enrolments", "stg_crm__enrolments", "int_enrolments",
                        "dq_check_failures"}
    published = read_publication(settings.warehouse, settings.published)
    assert published is not None and published.run_id == first.run_id
    # The publication step ran after every check of the run had been evaluated.
    instance = dagster_instance(settings)
    logs = instance.all_logs(first.run_id)
    start = next(i for i, e in enumerate(logs) if e.dagster_event and e.step_key
                 == "publication__published_marts"
                 and e.dagster_event.event_type == DagsterEventType.STEP_START)
    last_check = max(i for i, e in enumerate(logs) if e.dagster_event and
                     e.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION)
    assert last_check < start
    assert publication_line(instance, first.run_id).startswith(
        "Publication pour les lecteurs : date d'arrêté 2026-11-20")
    # The dashboard was regenerated from that publication, after it.
    assert refreshes["dashboard_first"] is not None
    assert first.asset_materializations_for_node("publication__dashboard")
    assert dashboard_line(instance, first.run_id, settings) == (
        f"Tableau de bord (double-cliquez pour l'ouvrir) : {dashboard_path(settings)}")


@pytest.mark.slow
def test_a_refresh_failing_an_error_check_leaves_the_publication_as_it_was(refreshes):
    settings, first, second = refreshes["settings"], refreshes["first"], refreshes["second"]
    assert second.success
    assert refreshes["after_failure"] == refreshes["before_failure"]  # same file, same bytes
    assert read_publication(settings.warehouse, settings.published).run_id == first.run_id
    instance = dagster_instance(settings)
    failed, unrun = check_verdict(instance, second.run_id)
    assert failed == [BAD_CHECK] and unrun == []
    # The run says so, in French, naming the check; the asset is observed, not materialised.
    errors = [e.user_message for e in instance.all_logs(second.run_id)
              if e.step_key == "publication__published_marts" and e.level >= 40]
    assert errors == [f"Publication retenue : 1 contrôle(s) de sévérité erreur en échec "
                      f"({BAD_CHECK}) ; les lecteurs gardent la publication du 2026-11-20."]
    assert not second.asset_materializations_for_node("publication__published_marts")
    observed = [e for e in second.all_events
                if e.event_type == DagsterEventType.ASSET_OBSERVATION
                and e.asset_key == PUBLISHED_KEY]
    assert len(observed) == 1
    line = publication_line(instance, second.run_id)
    assert line.startswith("Publication retenue : 1 contrôle(s) de sévérité erreur en échec")
    assert BAD_CHECK in line and "2026-11-20" in line
    # The dashboard is left as it was, and the run says so, in French.
    assert refreshes["dashboard_second"] == refreshes["dashboard_first"] is not None
    assert not second.asset_materializations_for_node("publication__dashboard")
    kept = (f"Tableau de bord inchangé (publication retenue) : {dashboard_path(settings)} "
            "montre toujours les données au 2026-11-20.")
    assert [e.user_message for e in instance.all_logs(second.run_id)
            if e.step_key == "publication__published_marts" and e.level == 30] == [kept]
    assert dashboard_line(instance, second.run_id, settings) == kept


@pytest.mark.slow
def test_a_withheld_night_alerts_once_naming_the_check_and_a_clean_night_never(refreshes):
    """Alerts (orchestration/alerts.py): the clean night sent nothing; the night failing an
    `error` check sent one e-mail and one webhook message, naming the check and its antenna."""
    settings, second = refreshes["settings"], refreshes["second"]
    assert refreshes["alerts_first"] == ([], [])
    mails, posts = refreshes["alerts_second"]
    assert len(mails) == 1 and len(posts) == 1
    subject, body = mails[0]["Subject"], body_of(mails[0])
    with connect(settings.warehouse, read_only=True) as wh:
        antenna = wh.scalar("select antenna from marts.dq_issues where record_id = 'E900001' "
                            "and gate_check = ?", [BAD_CHECK])
    assert antenna  # the injected enrolment's antenna, as the scorecard counts it
    assert subject == ("[sea] Publication retenue : 1 contrôle(s) « erreur » en échec — "
                       f"antenne(s) {antenna}")
    assert ("- « La date de sortie n'est pas antérieure à la date d'entrée » : non respectée "
            f"par 1 enregistrement(s) ; antenne(s) : {antenna} (1) [{BAD_CHECK}]"
            ) in body.splitlines()
    assert "les lecteurs gardent la publication du 2026-11-20" in body
    assert f"{settings.alerts.ui_url}/runs/{second.run_id}" in body
    assert "E900001" not in body  # counts and antennas, never a record id
    assert posts[0][1] == {"text": f"{subject}\n\n{body}"}


@pytest.mark.slow
def test_erasure_reaches_a_publication_readers_keep(refreshes, tmp_path):
    """A withheld night keeps readers on the previous state: an erased participant's rows
    leave it all the same, atomically, and nothing else changes."""
    settings = refreshes["settings"]
    path = tmp_path / "published.duckdb"
    shutil.copy(settings.published, path)
    reader = duckdb.connect(str(path), read_only=True)
    before = {t: reader.execute(f"select count(*) from {t}").fetchone()[0]
              for (t,) in reader.execute("select table_name from information_schema.tables")
              .fetchall()}
    key, rows = reader.execute("select participant_key, count(*) from participant_journeys "
                               "group by 1 order by 1 limit 1").fetchone()
    with connect(settings.warehouse, read_only=True) as wh:
        assert erase_from_publication(wh, [key, "p_nobody"], published=str(path)) == rows
        assert erase_from_publication(wh, [key], published=str(path)) == 0  # idempotent
    assert reader.execute("select count(*) from participant_journeys where participant_key = ?",
                          [key]).fetchone()[0] == rows  # an open reader: previous state
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{path}' as now (read_only)")
    after = {t: con.execute(f"select count(*) from now.main.{t}").fetchone()[0] for t in before}
    assert after == {**before, "participant_journeys": before["participant_journeys"] - rows}
    assert con.execute("select run_id from now.main.publication").fetchone() == (
        refreshes["first"].run_id,)
    con.close()
    reader.close()


def test_published_file_setting(tmp_path):
    settings = make_settings(tmp_path)
    assert settings.published == str(tmp_path / "published.duckdb")
    assert make_settings(tmp_path, SEA_PUBLISHED=str(tmp_path / "bi" / "sea.duckdb")
                         ).published == str(tmp_path / "bi" / "sea.duckdb")
    for bad in (str(tmp_path / "warehouse.duckdb"), "postgresql://h/db", str(tmp_path)):
        with pytest.raises(SettingsError, match="^SEA_PUBLISHED=.* invalide : attendu"):
            make_settings(tmp_path, SEA_PUBLISHED=bad)
    with pytest.raises(SettingsError, match="^SEA_PUBLISHED=.* invalide : avec un entrepôt"):
        make_settings(tmp_path, warehouse="postgresql://u@h/db", SEA_PUBLISHED="x.duckdb")
    assert make_settings(tmp_path, warehouse="postgresql://u@h/db").published == ""
    with pytest.raises(SettingsError, match="^SEA_READER_ROLE='BI; drop' invalide"):
        make_settings(tmp_path, SEA_READER_ROLE="BI; drop")


# -- PostgreSQL: the reader role ----------------------------------------------------------------
LAYERS = ("raw", "staging", "intermediate", "marts", "reference")


def _small_warehouse(wh) -> None:
    """One table per layer, a mart view over intermediate, the seeds readers need."""
    for schema in LAYERS:
        wh.execute(f"create schema {schema}")
    wh.execute("create table raw.crm_participants as select 'P1' as id, 'Nom' as last_name")
    wh.execute("create table staging.stg_participants as select 'p_1' as participant_key")
    wh.execute("create table intermediate.int_outcomes as select 'p_1' as participant_key, "
               "1 as n")
    wh.execute("create table marts.indicator_values as select 'O1' as indicator_code, 1 as n")
    wh.execute("create view marts.cohorts as select participant_key, n "
               "from intermediate.int_outcomes")
    wh.execute("create table marts.participant_journeys as select 'p_1' as participant_key "
               "union all select 'p_9'")
    for seed in READER_SEEDS:
        wh.execute(f"create table reference.{seed} as select 'x' as code")


PG_SOURCES = [("marts", "indicator_values"), ("marts", "cohorts"),
              ("marts", "participant_journeys"),
              *[("reference", seed) for seed in READER_SEEDS]]


def test_duckdb_copies_tables_at_once_and_a_failed_copy_keeps_the_previous_file(tmp_path):
    """The DuckDB copy runs several tables at once (common/publication.py,
    `_copy_duckdb_tables`): every source arrives with its rows, a view as its data; the
    warehouse gets its thread setting back; one copy failing fails the publication, leaves the
    previous file as it was and no file beside it."""
    published = tmp_path / "published.duckdb"
    with connect(str(tmp_path / "warehouse.duckdb")) as wh:
        _small_warehouse(wh)
        wh.execute("set threads = 2")
        done = publish(wh, PG_SOURCES, as_of=date(2026, 3, 31), run_id="r1",
                       published=str(published))
        assert wh.scalar("select current_setting('threads')") == 2
        wh.execute("create table intermediate.gone as select 'p_1' as participant_key")
        wh.execute("create view marts.broken as select participant_key from intermediate.gone")
        wh.execute("drop table intermediate.gone")
        with pytest.raises(PublicationError, match="les lecteurs gardent la publication"):
            publish(wh, [*PG_SOURCES, ("marts", "broken")], as_of=date(2026, 4, 30),
                    run_id="r2", published=str(published))
        assert wh.scalar("select current_setting('threads')") == 2
    assert sorted(done.tables) == sorted(t for _s, t in PG_SOURCES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.duckdb",
                                                          "warehouse.duckdb"]
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select run_id, as_of from publication").fetchall() == [
            ("r1", date(2026, 3, 31))]
        assert con.execute("select participant_key, n from cohorts").fetchall() == [("p_1", 1)]
        assert sorted(con.execute("select participant_key from participant_journeys")
                      .fetchall()) == [("p_1",), ("p_9",)]
        assert {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()} == {t for _s, t in PG_SOURCES} | {"publication"}
    finally:
        con.close()


@pytest.fixture
def reader_role(pg_url):
    """A reader role of its own (roles are shared by the databases of the test server)."""
    role = f"sea_reader_{uuid.uuid4().hex[:8]}"
    yield role
    con = psycopg2.connect(pg_url)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"drop owned by {role}")
        cur.execute(f"drop role if exists {role}")
    con.close()


def _as(pg_url: str, role: str):
    con = psycopg2.connect(_as_role(pg_url, role))
    con.autocommit = True
    return con


def _one(con, sql: str):
    with con.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.mark.postgres
def test_postgres_reader_role_reads_published_only_and_sees_old_then_new(pg_url, reader_role):
    with connect(pg_url) as wh:
        _small_warehouse(wh)
        publish(wh, PG_SOURCES, as_of=PREVIOUS_AS_OF, run_id="first", reader_role=reader_role)
        publish(wh, PG_SOURCES, as_of=PREVIOUS_AS_OF, run_id="first", reader_role=reader_role)
    reader = _as(pg_url, reader_role)
    assert _one(reader, "select run_id from publication") == [("first",)]  # search_path
    assert _one(reader, "select count(*) from published.cohorts") == [(1,)]
    for schema, table in (("raw", "crm_participants"), ("staging", "stg_participants"),
                          ("intermediate", "int_outcomes"), ("marts", "indicator_values")):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
            _one(reader, f"select * from {schema}.{table}")
    # A reader in the middle of a transaction holds the published tables it read: the swap
    # does not wait for it; it and an autocommit reader see the new state at their next query.
    busy = _as(pg_url, reader_role)
    busy.autocommit = False
    assert _one(busy, "select n from published.indicator_values") == [(1,)]
    with connect(pg_url) as wh:
        wh.execute("update marts.indicator_values set n = 2")
        wh.execute("insert into intermediate.int_outcomes values ('p_2', 1)")
        started = datetime.now()
        publish(wh, PG_SOURCES, as_of=date(2026, 11, 20), run_id="second",
                reader_role=reader_role)
        assert (datetime.now() - started).total_seconds() < 8
    assert _one(reader, "select p.run_id, (select n from published.indicator_values), "
                        "(select count(*) from published.cohorts) from publication p"
                ) == [("second", 2, 2)]
    busy.rollback()
    assert _one(busy, "select n from published.indicator_values") == [(2,)]
    busy.close()
    reader.close()
    current = read_publication(pg_url)
    assert current is not None and current.run_id == "second"
    assert set(current.tables) == {table for _, table in PG_SOURCES}
    with connect(pg_url) as wh:  # no schema left aside once no reader holds it
        assert drop_retired_schemas(wh) == []
        assert wh.scalar("select count(*) from pg_namespace where nspname like 'published%'") == 1
        # erasure reaches the published state even when no publication follows
        assert erase_from_publication(wh, ["p_9", "p_nobody"]) == 1
    reader = _as(pg_url, reader_role)
    assert _one(reader, "select participant_key from participant_journeys") == [("p_1",)]
    assert _one(reader, "select run_id from publication") == [("second",)]
    reader.close()


@pytest.mark.slow
def test_a_failed_refresh_says_publication_is_withheld(tmp_path):
    """The CRM refuses the token: nothing is built, nothing published, and `make refresh`
    says so beside the failure's cause."""
    with FakeCRMServer(World(seed=5, participants=5, now=NOW), token="another-token") as crm:
        settings = make_settings(tmp_path, crm_url=crm.base_url, as_of=AS_OF)
        with pytest.raises(RunFailed, match="401") as failed:
            run_nightly(settings)
    assert failed.value.publication == (
        "Publication retenue : l'étape de publication n'a pas tourné (contrôle bloquant ou "
        "étape en amont en échec) ; les lecteurs gardent la publication précédente.")
    assert not Path(settings.published).exists()
