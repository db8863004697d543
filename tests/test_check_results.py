"""Every blocking check of an asset a night materialises reports a result.

A blocking check without a result gates nothing: Dagster lets the downstream assets run ("will
proceed without gating") as if the check had passed. The incremental night leaves the seeds out
of its dbt build; the tests between a model and a seed (a mart's codes must exist in the
reference catalogue) must still run with their model.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dagster import AssetKey

from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.definitions import build_definitions
from orchestration.runs import run_nightly
from tests.conftest import make_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEED = AssetKey(["reference", "indicator_catalogue"])


def _missing_blocking_results(settings, result) -> list[str]:
    graph = build_definitions(settings).resolve_asset_graph()
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    evaluated = {evaluation.asset_check_key
                 for evaluation in result.get_asset_check_evaluations()}
    blocking = {key for key in graph.get_check_keys_for_assets(materialised)
                if graph.get_check_spec(key).blocking}
    assert blocking, "the night materialised assets with blocking checks"
    return sorted(key.to_user_string() for key in blocking - evaluated)


@pytest.mark.slow
def test_incremental_night_reports_every_blocking_check(tmp_path):
    world = World(seed=7, participants=60, now=NOW)
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp_path, crm_url=server.base_url, as_of="2026-11-20")
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world),
                                as_of=date(2026, 11, 20))
        first = run_nightly(settings)
        assert _missing_blocking_results(settings, first) == []
        world.advance(2)
        night = run_nightly(settings)
    materialised = {event.asset_key for event in night.get_asset_materialization_events()}
    assert SEED not in materialised, "the second night should be incremental (seeds left out)"
    assert AssetKey(["marts", "indicator_values"]) in materialised
    assert _missing_blocking_results(settings, night) == []
