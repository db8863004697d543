"""An indicator of an existing shape is added by a catalogue row alone (issue 25; the worked
example of docs/indicators.md, "Adding an indicator (worked example)").

The dbt project is copied with one more row in `seeds/indicator_catalogue.csv` — `REL`, the share
of exits for relocation, a rate over `sor` with `numerator_filter = exit_reason = relocation`,
the line docs/indicators.md shows — and nothing else changed: no model, no macro. The marts are
built on a small synthetic CRM and REL's rows are checked against a pandas computation from the
staged enrolments, written from docs/indicators.md (which enrolments count, the effective exit
date), not from the SQL.
"""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster_dbt import DbtProject

from common.warehouse import connect
from connectors.crm.raw_tables import ensure_raw_crm_tables
from connectors.crm.schema import RESOURCES
from connectors.pseudonyms import rebuild_pseudonyms
from connectors.sheets.schema import ensure_tables
from devtools.fake_crm.world import World
from orchestration.dbt_in_process import in_process_dbt
from tests.test_marts import KEY, _frame

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
AS_OF = date(2026, 5, 20)
REASON = "relocation"
DOCS = Path(__file__).resolve().parent.parent / "docs/indicators.md"


def _worked_example_row() -> str:
    """The catalogue line of the worked example in docs/indicators.md, as a reader copies it:
    the test adds what the documentation says to add, so the two cannot drift apart."""
    lines = [line.strip() for line in DOCS.read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("REL,")]
    assert len(lines) == 1, "docs/indicators.md shows one REL catalogue line"
    return lines[0]


def _copy_project_with_rel(work: Path) -> Path:
    """The dbt project with REL appended to the catalogue: the only difference."""
    project = work / "dbt_project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "indicator_catalogue.csv"
    with seed.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    line = _worked_example_row()
    row = dict(zip(header, next(csv.reader([line])), strict=True))
    assert (row["numerator"], row["numerator_filter"], row["denominator"]) == (
        "sor", f"exit_reason = {REASON}", "sor")
    with seed.open("a", encoding="utf-8", newline="") as handle:
        handle.write(line + "\n")
    return project


def _write_raw(path: Path) -> None:
    """A small synthetic CRM (with relocation exits) in raw, as the connector leaves it."""
    world = World(seed=5, participants=250)
    with connect(path) as wh:
        ensure_raw_crm_tables(wh)
        ensure_tables(wh, "raw")
        for resource in RESOURCES:
            records = [{k: (None if v is None else str(v).lower() if isinstance(v, bool)
                            else str(v)) for k, v in record.items()}
                       for record in world.records(resource)]
            wh.insert_df(f"raw.crm_{resource}", _frame(resource, records))
        rebuild_pseudonyms(wh, KEY)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("rel_indicator")
    project = _copy_project_with_rel(work)
    path = work / "warehouse.duckdb"
    _write_raw(path)
    env = {"SEA_DBT_TARGET": "duckdb", "SEA_DUCKDB_PATH": str(path),
           "SEA_AS_OF": AS_OF.isoformat()}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        dbt = in_process_dbt(DbtProject(project_dir=project, profiles_dir=project,
                                        target="duckdb"))
        # Models only: the data tests of the project are not what this test is about.
        invocation = dbt.cli(
            ["build", "--quiet", "--no-partial-parse", "--select", "+indicator_values",
             "--exclude", "resource_type:test resource_type:unit_test"],
            target_path=work / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    return path


def _reference(con: duckdb.DuckDBPyConnection, periods: pd.DataFrame) -> dict:
    """REL for programme ALL, every antenna scope and ALL, totals and by sex, from staging.

    Counted enrolments (docs/indicators.md#2-which-records-count): a staged participant, a start
    date on or before R and an end date not before the start; an end date after R is no exit yet.
    REL(P) = exits in P with the reason / exits in P; total rows for every scope and period,
    disaggregated rows where P has exits.
    """
    enrolments = con.execute(
        "select e.enrolment_id, e.antenna, e.start_date, e.end_date, e.exit_reason, p.sex, "
        "p.participant_key is not null as known "
        "from staging.stg_crm__enrolments as e "
        "left join staging.stg_crm__participants as p on p.participant_key = e.participant_key"
    ).df()
    for column in ("start_date", "end_date"):
        enrolments[column] = pd.to_datetime(enrolments[column]).dt.date
    as_of = AS_OF
    counted = enrolments[
        enrolments["known"] & enrolments["start_date"].notna()
        & enrolments["start_date"].map(lambda d: d is not None and d <= as_of)
        & ~enrolments.apply(lambda r: r["end_date"] is not None and not pd.isna(r["end_date"])
                            and r["end_date"] < r["start_date"], axis=1)
    ]
    exits = counted[counted["end_date"].map(lambda d: d is not None and not pd.isna(d)
                                            and d <= as_of)].copy()
    exits["sex"] = exits["sex"].where(exits["sex"].isin(["F", "M", "X"]), "unknown")
    antennas = ["ALL", *sorted(counted["antenna"].dropna().unique())]
    out: dict = {}
    for period in periods.itertuples():
        in_period = exits[(exits["end_date"] >= period.period_start)
                          & (exits["end_date"] <= period.period_end)]
        for antenna in antennas:
            scoped = in_period if antenna == "ALL" else in_period[in_period["antenna"] == antenna]
            key = (period.period_type, period.period_start, antenna)
            out[(*key, "total", "total")] = (int((scoped["exit_reason"] == REASON).sum()),
                                             len(scoped))
            for sex, group in scoped.groupby("sex"):
                out[(*key, "sex", sex)] = (int((group["exit_reason"] == REASON).sum()), len(group))
    return out


def test_rel_added_by_a_catalogue_row_matches_staging(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mart = con.execute(
            "select period_type, period_start, period_end, antenna, dimension, dimension_value, "
            "numerator, denominator, value, label_fr, indicator_type, pic "
            "from marts.indicator_values where indicator_code = 'REL' and programme = 'ALL' "
            "and dimension in ('total', 'sex')").df()
        measures = [c for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'intermediate' "
            "and table_name = 'int_indicator_period_measures'").fetchall()]
        for column in ("period_start", "period_end"):
            mart[column] = pd.to_datetime(mart[column]).dt.date
        periods = mart[["period_type", "period_start", "period_end"]].drop_duplicates()
        expected = _reference(con, periods)

    assert "rel_num" in measures  # the measure the catalogue row asked for, named after it
    assert set(mart["label_fr"]) == {"Taux de sorties pour déménagement"}
    assert set(mart["indicator_type"]) == {"rate"} and not mart["pic"].any()
    assert set(periods["period_type"]) == {"month", "quarter", "year", "cumulative"}

    actual = {(r.period_type, r.period_start, r.antenna, r.dimension, r.dimension_value):
              (r.numerator, r.denominator, r.value) for r in mart.itertuples()}
    assert set(actual) == set(expected), (sorted(set(expected) - set(actual))[:5],
                                          sorted(set(actual) - set(expected))[:5])
    for key, (numerator, denominator) in expected.items():
        got_num, got_den, got_value = actual[key]
        assert (got_num, got_den) == (numerator, denominator), key
        if denominator:
            assert math.isclose(got_value, numerator / denominator), key
        else:
            assert pd.isna(got_value), key
    # Something to compare: relocation exits exist and are a strict part of the exits.
    cumulative = expected[next(k for k in expected
                               if k[0] == "cumulative" and k[2:] == ("ALL", "total", "total"))]
    assert 0 < cumulative[0] < cumulative[1]
