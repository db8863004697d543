"""A refresh skips reading the spreadsheets only when reading them again would change nothing
(connectors/sheets/unchanged.py): no file changed and no participant they name became known to
the CRM or was erased. Goes on from a copy of the shared published night (its first read of the
demo folder recorded what the next refresh compares with)."""

from __future__ import annotations

import csv
import shutil

import pytest

from common.warehouse import connect
from connectors.sheets.unchanged import loads
from orchestration.assets.raw_sheets import SHEET_TABLES, load_sheets

RAW_SHEETS = [t for t in SHEET_TABLES if t not in ("sheet_load_log", "sheet_files")]


def _tables(wh) -> dict[str, list[tuple]]:
    """Every raw sheet table's rows, the read's time stamps left out."""
    out = {}
    for table in SHEET_TABLES:
        columns = [c for c in wh.columns(f"raw.{table}") if c not in ("loaded_at",
                                                                       "last_good_load_at")]
        out[table] = sorted(wh.fetchall(f"select {', '.join(columns)} from raw.{table}"),
                            key=repr)
    return out


@pytest.fixture
def night(night_copy):
    return night_copy(crm_url="http://127.0.0.1:9")  # no CRM is called: spreadsheets only


def test_nothing_changed_skips_the_read_and_keeps_the_same_tables(night):
    with connect(night.warehouse) as wh:
        before, count = _tables(wh), loads(wh)
        report = load_sheets(wh, night)
        assert report.unchanged_since is not None and loads(wh) == count
        assert "lecture sautée" in report.summary()
        assert sum(report.rows_loaded.values()) > 0  # the last read's figures, for the UI
        assert _tables(wh) == before
        # reading again by force gives the same tables: skipping lost nothing
        wh.execute("delete from raw.sheet_load_state")
        forced = load_sheets(wh, night)
        assert forced.unchanged_since is None
        assert _tables(wh) == before
        assert load_sheets(wh, night).unchanged_since is not None


def test_a_changed_file_is_read_again(night):
    path = sorted(night.sheets_dir.glob("emargements*"))[0]
    with connect(night.warehouse) as wh:
        read = ("select rows_loaded + rows_quarantined from raw.sheet_files "
                "where source_file = ?")
        rows = int(wh.scalar(read, [path.name]))
        assert load_sheets(wh, night).unchanged_since is not None
        assert path.suffix == ".csv"
        with path.open(encoding="cp1252") as handle:
            lines = list(csv.reader(handle, delimiter=";"))
        with path.open("w", encoding="cp1252", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(lines[:-1])  # last row removed
        report = load_sheets(wh, night)
        assert report.unchanged_since is None
        assert int(wh.scalar(read, [path.name])) == rows - 1


def test_an_erased_participant_they_name_makes_the_next_refresh_read_again(night):
    with connect(night.warehouse) as wh:
        victim, rows = wh.fetchall(
            "select participant_id, count(*) from raw.sheet_emargements "
            "group by participant_id order by 2 desc, 1 limit 1")[0]
        assert load_sheets(wh, night).unchanged_since is not None
        # what the CRM erasure leaves in raw: the record gone, the erasure logged
        wh.execute("delete from raw.crm_participants where id = ?", [victim])
        wh.execute("insert into raw.deletion_log (resource, id) values ('participants', ?)",
                   [victim])
        report = load_sheets(wh, night)
        assert report.unchanged_since is None and report.erased_rows_dropped >= rows
        assert wh.scalar("select count(*) from raw.sheet_emargements "
                         "where participant_id = ?", [victim]) == 0


def test_a_named_participant_arriving_in_the_crm_makes_the_next_refresh_read_again(night):
    with connect(night.warehouse) as wh:
        arriving, = wh.fetchall(
            "select participant_id from raw.sheet_emargements order by 1 limit 1")[0]
        count = int(wh.scalar("select count(*) from raw.sheet_emargements "
                              "where participant_id = ?", [arriving]))
        # As if the CRM had not known them at the first read: they leave raw, the spreadsheets
        # are read (their rows quarantined), then their record arrives in a later load.
        kept = wh.fetch_df("select * from raw.crm_participants where id = ?", [arriving])
        wh.execute("delete from raw.crm_participants where id = ?", [arriving])
        wh.execute("delete from raw.sheet_load_state")  # that first read
        assert load_sheets(wh, night).unchanged_since is None
        assert wh.scalar("select count(*) from raw.sheet_emargements "
                         "where participant_id = ?", [arriving]) == 0
        assert load_sheets(wh, night).unchanged_since is not None  # nothing new yet
        kept["_load_seq"] = int(wh.scalar("select max(_load_seq) from raw.crm_participants")) + 1
        wh.insert_df("raw.crm_participants", kept)
        assert load_sheets(wh, night).unchanged_since is None
        assert wh.scalar("select count(*) from raw.sheet_emargements "
                         "where participant_id = ?", [arriving]) == count


@pytest.mark.slow
def test_a_night_with_unchanged_spreadsheets_keeps_their_models_as_a_rebuild_would(
        night_copy, tmp_path):
    """The CRM moves on, the spreadsheets do not: the night skips reading them, leaves the models
    that read only them as they are (orchestration/sheet_models.py) — and those tables are the
    ones a full rebuild gives."""
    from dataclasses import replace
    from datetime import timedelta

    from devtools.fake_crm import FakeCRMServer
    from orchestration.dbt_in_process import in_process_dbt
    from orchestration.dbt_project import sea_dbt_project
    from orchestration.publication import PUBLISHED_KEY
    from orchestration.sheet_models import current_manifest, sheet_only_models
    from tests.conftest import published_world, run_nightly_in_memory
    from tests.test_incremental import _differences

    kept = set(sheet_only_models(current_manifest()))
    assert {"stg_sheets__budget", "funder_targets", "int_targets"} <= kept
    assert not kept & {"stg_sheets__emargements", "stg_crm__participants", "indicator_values"}
    world = published_world()
    with FakeCRMServer(world, token="test-token") as server:
        settings = night_copy(crm_url=server.base_url, world=world)
        world.advance(2)
        later = replace(settings, as_of=settings.as_of + timedelta(days=2))
        result = run_nightly_in_memory(later)
    assert result.success
    metadata = {tuple(event.asset_key.path): event.materialization.metadata
                for event in result.get_asset_materialization_events()}
    assert "lecture sautée" in metadata[("raw", "sheet_budget")]
    for model in kept:  # reported to the run as kept, not rebuilt
        schema = "staging" if model.startswith("stg_") else (
            "intermediate" if model.startswith("int_") else "marts")
        assert "inchangé" in metadata[(schema, model)], model
    assert "inchangé" not in metadata[("marts", "indicator_values")]
    assert tuple(PUBLISHED_KEY.path) in metadata  # published: nothing withheld the night
    # The kept models rebuilt from scratch on a copy give the tables the night kept: nothing
    # they read moved (a model reading R or the CRM in the set would differ here).
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(later.warehouse, copy)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in replace(later, warehouse=str(copy)).dbt_env().items():
            patch.setenv(name, value)
        invocation = in_process_dbt(sea_dbt_project("duckdb")).cli(
            ["run", "--full-refresh", "--quiet", "--select", " ".join(sorted(kept))],
            target_path=tmp_path / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    assert _differences(later.warehouse, str(copy)) == {}
