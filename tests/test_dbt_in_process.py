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
