"""A refresh skips reading the spreadsheets only when reading them again would change nothing
(connectors/sheets/unchanged.py): no file changed and no participant they name became known to
the CRM or was erased. Goes on from a copy of the shared published night (its first read of the
demo folder recorded what the next refresh compares with)."""

from __future__ import annotations

import csv

import pytest

from common.warehouse import connect
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
        before = _tables(wh)
        report = load_sheets(wh, night)
        assert report.unchanged_since is not None
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
def test_a_night_with_unchanged_spreadsheets_skips_them_and_gates_as_always(night_copy):
    """The CRM moves on, the spreadsheets do not: the night does not read them again, says so
    on each raw sheet asset, rebuilds and checks everything else, and publishes — every
    blocking check of what it materialised reporting a result."""
    from dataclasses import replace
    from datetime import timedelta

    from devtools.fake_crm import FakeCRMServer
    from orchestration.publication import PUBLISHED_KEY
    from tests.conftest import published_world, run_nightly_in_memory
    from tests.test_check_results import _missing_blocking_results, _of_result

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
    assert ("staging", "stg_sheets__budget") in metadata
    assert tuple(PUBLISHED_KEY.path) in metadata  # published: nothing withheld the night
    materialised, evaluated = _of_result(result)
    assert _missing_blocking_results(later, materialised, evaluated) == []
