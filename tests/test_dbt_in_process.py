"""dbt run inside the pipeline's process (orchestration/dbt_in_process.py): a failure is named,
the run folder is written, and the warehouse file is let go of after each command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_in_process import DbtBuildFailed, InProcessDbtResource, in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.conftest import make_settings


@pytest.fixture
def dbt_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = make_settings(tmp_path)
    for name, value in settings.dbt_env().items():
        monkeypatch.setenv(name, value)
    return Path(settings.warehouse)


def _resource() -> InProcessDbtResource:
    return in_process_dbt(sea_dbt_project("duckdb"))


def _writable_from_another_process(path: Path) -> bool:
    """DuckDB locks a file against other processes while one holds it open for writing."""
    code = f"import duckdb; duckdb.connect({str(path)!r}).execute('select 1')"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_a_seed_builds_and_the_run_folder_is_written(dbt_env: Path, tmp_path: Path) -> None:
    target = tmp_path / "run"
    invocation = _resource().cli(["build", "--select", "age_bands", "--quiet"],
                                 target_path=target).wait()
    assert invocation.is_successful()
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    built = {r["unique_id"]: r["status"] for r in results["results"]}
    assert built["seed.sea.age_bands"] == "success"
    assert len(built) > 1, "the seed's tests run in the same build"
    assert (target / "dbt.log").exists()
    # dbt was not asked to write its JSON artifacts (twice the manifest's megabytes per
    # command): run_results.json comes from its result, manifest.json is the prepared one
    assert "--no-write-json" in invocation.args
    assert results["metadata"]["invocation_id"] and results["elapsed_time"] > 0
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert "seed.sea.age_bands" in manifest["nodes"]
    with duckdb.connect(str(dbt_env)) as con:
        assert con.execute("select count(*) from reference.age_bands").fetchone()[0] > 0
    assert _writable_from_another_process(dbt_env)


def test_a_failing_model_is_named_and_nothing_is_left_open(dbt_env: Path,
                                                           tmp_path: Path) -> None:
    # An empty warehouse: the staging model's raw table does not exist.
    duckdb.connect(str(dbt_env)).close()
    invocation = _resource().cli(["build", "--select", "stg_crm__employers", "--quiet"],
                                 target_path=tmp_path / "run")
    with pytest.raises(DbtBuildFailed) as failure:
        invocation.wait()
    message = str(failure.value)
    assert "stg_crm__employers" in message and "crm_employers" in message
    assert not invocation.is_successful()
    assert _writable_from_another_process(dbt_env)
    # Without raise_on_error the caller decides.
    quiet = _resource().cli(["build", "--select", "stg_crm__employers", "--quiet"],
                            target_path=tmp_path / "again", raise_on_error=False).wait()
    assert not quiet.is_successful() and "stg_crm__employers" in quiet.failure_message()


def test_secrets_are_masked_in_what_dbt_reports(dbt_env: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt hands its events to the callback unmasked: the errors kept for the UI and the logs
    must mask every DBT_ENV_SECRET_ value, as dbt's own log lines do."""
    duckdb.connect(str(dbt_env)).close()
    # A "secret" the failure's lines are sure to contain: the failing model's name, which dbt
    # itself masks in its exceptions but not in the event naming the node.
    monkeypatch.setenv("DBT_ENV_SECRET_SEA_TEST", "stg_crm__employers")
    invocation = _resource().cli(["build", "--select", "stg_crm__employers", "--quiet"],
                                 target_path=tmp_path / "run", raise_on_error=False).wait()
    message = invocation.failure_message()
    assert "ERROR" in message and "*****" in message
    assert "stg_crm__employers" not in message


def test_a_run_of_a_few_assets_builds_only_those(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What a data lead's run of chosen assets in the UI does: dagster-dbt's selection reaches
    the in-process dbt, only the chosen models are built, and their tests are asset checks.
    dbt's environment is the process's, set at start-up: a run whose settings name another
    warehouse than that environment stops before dbt, naming what differs."""
    from dagster import AssetKey, materialize

    from orchestration.assets.dbt_build import sea_dbt_models
    from orchestration.assets.dbt_models import dbt_resource
    from orchestration.resources import SeaSettingsResource, warehouse_resource

    settings = make_settings(tmp_path)
    chosen = [AssetKey(["reference", "age_bands"]), AssetKey(["reference", "level_bands"])]
    resources = {"dbt": dbt_resource(settings), "warehouse": warehouse_resource(settings),
                 "sea_settings": SeaSettingsResource.from_settings(settings)}
    monkeypatch.setenv("SEA_DUCKDB_PATH", str(tmp_path / "another.duckdb"))
    refused = materialize([sea_dbt_models], selection=chosen, resources=resources,
                          raise_on_error=False)
    assert not refused.success
    failure = next(e for e in refused.all_events if e.is_step_failure)
    assert "SEA_DUCKDB_PATH" in failure.step_failure_data.user_failure_data.description
    assert not (tmp_path / "another.duckdb").exists()
    for name, value in settings.dbt_env().items():  # what `make refresh` / `defs()` do
        monkeypatch.setenv(name, value)
    result = materialize([sea_dbt_models], selection=chosen, resources=resources)
    assert result.success
    built = {m.asset_key for m in result.get_asset_materialization_events()}
    assert built == set(chosen)
    checks = [e.asset_check_evaluation_data
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert checks and {c.asset_key for c in checks} <= set(chosen)
    assert all(c.passed for c in checks)
    with duckdb.connect(settings.warehouse, read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables").fetchall()}
    assert {"age_bands", "level_bands"} <= tables and "code_lists" not in tables


def test_a_table_model_is_replaced_in_one_statement_and_kept_when_its_rebuild_fails(
        dbt_env: Path, tmp_path: Path) -> None:
    """The project's DuckDB table materialization (macros/materializations/sea_table.sql):
    a rebuild replaces the table, a view of the same name gives way to the table, and a
    failing rebuild leaves the previous table as it was."""
    for command, node in (("seed", "sea_parameters"), ("run", "int_periods")):
        first = _resource().cli([command, "--select", node, "--quiet"],
                                target_path=tmp_path / command).wait()
        assert first.is_successful()
    with duckdb.connect(str(dbt_env)) as con:
        periods = con.execute("select count(*) from intermediate.int_periods").fetchone()[0]
        assert periods > 0
        con.execute("drop table intermediate.int_periods")
        con.execute("create view intermediate.int_periods as select 1 as leftover")
    again = _resource().cli(["run", "--select", "int_periods", "--quiet",
                             "--log-level-file", "debug"],  # its SQL in dbt.log
                            target_path=tmp_path / "again").wait()
    assert again.is_successful()
    with duckdb.connect(str(dbt_env)) as con:
        kind = con.execute("select table_type from information_schema.tables "
                           "where table_schema = 'intermediate' "
                           "and table_name = 'int_periods'").fetchone()[0]
        assert kind == "BASE TABLE"
        assert con.execute("select count(*) from intermediate.int_periods").fetchone()[0] \
            == periods
        con.execute("alter table reference.sea_parameters rename to sea_parameters_away")
    failing = _resource().cli(["run", "--select", "int_periods", "--quiet"],
                              target_path=tmp_path / "failing", raise_on_error=False).wait()
    assert not failing.is_successful() and "int_periods" in failing.failure_message()
    with duckdb.connect(str(dbt_env)) as con:
        assert con.execute("select count(*) from intermediate.int_periods").fetchone()[0] \
            == periods
    log = (tmp_path / "again" / "dbt.log").read_text(encoding="utf-8")
    assert "create or replace table" in log and "__dbt_backup" not in log


def test_a_row_diff_table_writes_only_the_rows_that_changed(dbt_env: Path,
                                                            tmp_path: Path) -> None:
    """`row_diff: true` (macros/materializations/sea_table.sql), on int_situations_classified
    over the view of the situations it classes: once the table exists, a
    rebuild computes the query's rows into a temporary table, deletes the rows the query no
    longer gives and inserts the ones the table lacks (a full refresh, or a first build,
    creates the table whole). The table ends up with exactly the query's rows — an edited row,
    a removed one, a new one — and a table whose columns are not the query's is replaced."""
    with duckdb.connect(str(dbt_env)) as con:
        con.execute("create schema staging")
        con.execute("""create table staging.stg_crm__situations as
            select 'S' || i as situation_id, 'p' || i as participant_key,
                   cast(null as varchar) as enrolment_id, 'employment' as kind,
                   'CDI' as contract, cast(null as varchar) as training_type,
                   date '2025-01-01' + cast(i as integer) as start_date,
                   cast(null as date) as end_date
            from range(1, 6) as r(i)""")
        con.execute("""create table staging.stg_crm__participants as
            select 'p' || i as participant_key from range(1, 10) as r(i)""")
        con.execute("""create table staging.stg_sheets__suivi_post_parcours as
            select 'R1' as survey_row_id, 'p9' as participant_key, true as reached,
                   'emploi' as situation, 'CDD' as contract,
                   cast(null as varchar) as training_type_fr,
                   date '2025-03-01' as situation_start_date,
                   date '2025-09-30' as situation_end_date,
                   date '2025-10-01' as contact_date, 'suivi.xlsx' as source_file,
                   2 as source_row, false as situation_quarantined""")

    seeds = ["seed", "--select", "situation_class_mapping situation_classes", "--quiet"]
    assert _resource().cli(seeds, target_path=tmp_path / "seeds").wait().is_successful()

    def build(name: str) -> str:
        models = "int_situations_unioned int_situations_classified"
        done = _resource().cli(["run", "--select", models, "--quiet",
                                "--log-level-file", "debug"],  # its SQL in dbt.log
                               target_path=tmp_path / name).wait()
        assert done.is_successful()
        return (tmp_path / name / "dbt.log").read_text(encoding="utf-8")

    def held(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
        return dict(con.execute("select situation_id, end_date "
                                "from intermediate.int_situations_classified").fetchall())

    assert "__sea_rows_" not in build("first")  # no table yet: built whole
    with duckdb.connect(str(dbt_env)) as con:
        before = held(con)
        assert set(before) == {"S1", "S2", "S3", "S4", "S5", "R1"} and before["S2"] is None
        con.execute("update staging.stg_crm__situations set end_date = date '2026-01-31' "
                    "where situation_id = 'S2'")
        con.execute("delete from staging.stg_crm__situations where situation_id = 'S3'")
        con.execute("insert into staging.stg_crm__situations select 'S6', 'p6', null, "
                    "'training', null, 'qualifying', date '2025-02-01', null")
    log = build("second")
    assert "__sea_rows_" in log and "delete from" in log and "create or replace table" not in log
    with duckdb.connect(str(dbt_env)) as con:
        after = held(con)
        assert set(after) == {"S1", "S2", "S4", "S5", "S6", "R1"}
        assert str(after["S2"]) == "2026-01-31"
        assert con.execute("select count(*) "
                           "from intermediate.int_situations_classified").fetchone()[0] == 6
        # a table whose columns differ from the query's is replaced, not patched
        con.execute("alter table intermediate.int_situations_classified add column stray integer")
    build("third")
    with duckdb.connect(str(dbt_env)) as con:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'intermediate' and table_name = 'int_situations_classified'").fetchall()]
        assert "stray" not in columns
        assert {r[0] for r in con.execute(
            "select situation_id from intermediate.int_situations_classified").fetchall()} \
            == {"S1", "S2", "S4", "S5", "S6", "R1"}


def test_dbt_and_python_write_duckdb_in_the_same_row_groups(tmp_path: Path) -> None:
    """dbt's profile and common.warehouse attach the file with one row group size: a
    connection with another would rewrite the row groups it finds too small at its first
    checkpoint. A table of 40 000 rows is then three row groups, not one."""
    import yaml

    from common.warehouse import DUCKDB_ROW_GROUP_SIZE, connect, duckdb_catalog_name
    from orchestration.dbt_project import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    (attach,) = profile["sea"]["outputs"]["duckdb"]["attach"]
    assert attach["options"]["row_group_size"] == DUCKDB_ROW_GROUP_SIZE

    path = tmp_path / "my.warehouse.duckdb"
    with connect(path) as wh:
        wh.execute("create schema s")
        wh.execute("create table s.t as select range as i from range(40000)")
        wh.execute("create view s.v as select * from s.t")
        assert wh.scalar("select count(distinct row_group_id) "
                         "from pragma_storage_info('s.t')") == 3
    assert duckdb_catalog_name(path) == "my"
    with duckdb.connect(str(path), read_only=True) as con:  # opened as BI tools open it
        assert con.execute("select count(*) from s.v").fetchone()[0] == 40000
    with connect(path, read_only=True) as wh:
        assert wh.scalar("select count(*) from s.v") == 40000
