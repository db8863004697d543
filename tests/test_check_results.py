"""Every blocking check of an asset a night materialises reports a result.

A blocking check without a result gates nothing: Dagster lets the downstream assets run ("will
proceed without gating") as if the check had passed. The incremental night leaves the seeds out
of its dbt build; the tests between a model and a seed (a mart's codes must exist in the
reference catalogue) must still run with their model.
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterEventType, RunsFilter

from devtools.fake_crm import FakeCRMServer
from orchestration.definitions import NIGHTLY_JOB, build_definitions
from orchestration.instance import opened_instance
from tests.conftest import published_world, run_nightly_in_memory

SEED = AssetKey(["reference", "indicator_catalogue"])


def _missing_blocking_results(settings, materialised: set[AssetKey],
                              evaluated: set[AssetCheckKey]) -> list[str]:
    """The blocking checks of the assets a night materialised that report no result."""
    graph = build_definitions(settings).resolve_asset_graph()
    blocking = {key for key in graph.get_check_keys_for_assets(materialised)
                if graph.get_check_spec(key).blocking}
    assert blocking, "the night materialised assets with blocking checks"
    return sorted(key.to_user_string() for key in blocking - evaluated)


def _of_result(result) -> tuple[set[AssetKey], set[AssetCheckKey]]:
    """What a night materialised and the checks that reported, from its in-process result."""
    return ({event.asset_key for event in result.get_asset_materialization_events()},
            {evaluation.asset_check_key for evaluation in result.get_asset_check_evaluations()})


def _of_recorded_night(settings) -> tuple[set[AssetKey], set[AssetCheckKey]]:
    """The same, from the run history Dagster recorded of the (only) night in the instance."""
    with opened_instance(settings) as instance:
        runs = instance.get_runs(RunsFilter(job_name=NIGHTLY_JOB))
        assert len(runs) == 1 and runs[0].is_success
        events = [record.dagster_event for record in instance.all_logs(runs[0].run_id)
                  if record.dagster_event is not None]
    return ({e.asset_key for e in events
             if e.event_type == DagsterEventType.ASSET_MATERIALIZATION},
            {e.event_specific_data.asset_check_key for e in events
             if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION})


@pytest.mark.slow
def test_incremental_night_reports_every_blocking_check(night_copy):
    # The first night (a full build, seeds included): the published night, from its history.
    world = published_world()
    with FakeCRMServer(world, token="test-token") as server:
        settings = night_copy(server.base_url, world=world)
        materialised, evaluated = _of_recorded_night(settings)
        assert SEED in materialised, "the first night is a full build"
        assert _missing_blocking_results(settings, materialised, evaluated) == []
        world.advance(2)
        night = run_nightly_in_memory(settings)
    materialised, evaluated = _of_result(night)
    assert SEED not in materialised, "the second night should be incremental (seeds left out)"
    assert AssetKey(["marts", "indicator_values"]) in materialised
    assert _missing_blocking_results(settings, materialised, evaluated) == []
