"""Checks a failed run never got to are shown as not run, not as failed.

Dagster records every check of a run as *planned* when the run is created, and shows a check
still only planned when its run ends in failure as "execution failed" — red, counted with the
failing checks — even when its step never started because an asset upstream failed. A night
whose CRM extraction fails (token refused, CRM down) would paint every staging and mart check
red although none ran, hiding the one real cause among a hundred false alarms.

After a failed run, the planned records of the checks whose step never started are withdrawn
from the instance's check index: the UI then shows each check's last real evaluation (or none
yet), while the run's own event log still says what was planned and that those steps were
skipped. A check whose step started and crashed keeps "execution failed": that is what happened.
Dagster has no public call for this, so it is done on the index table its own storage keeps.
"""

from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

PLANNED = "PLANNED"  # AssetCheckExecutionRecordStatus.PLANNED, as stored


def _unrun_checks(instance: DagsterInstance, run_id: str) -> set[tuple[str, str]]:
    """(asset key string, check name) of the run's planned checks whose step never started."""
    started = {entry.step_key for entry in
               instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)}
    unrun = set()
    for entry in instance.all_logs(run_id,
                                   of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED):
        event = entry.dagster_event
        if event is None or event.step_key in started:
            continue
        planned = event.event_specific_data
        unrun.add((planned.asset_key.to_string(), planned.check_name))
    return unrun


def run_had_failure(instance: DagsterInstance, run_id: str) -> bool:
    """Whether a step of the run failed (the run will end as failed)."""
    return bool(instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE))


def withdraw_unrun_checks(instance: DagsterInstance, run_id: str) -> int:
    """Withdraw the planned records of the checks a failed run never started; how many.

    A run that did not fail is left alone: Dagster already shows its unrun checks as skipped.
    """
    storage = instance.event_log_storage
    if not isinstance(storage, SqlEventLogStorage) or not run_had_failure(instance, run_id):
        return 0
    unrun = _unrun_checks(instance, run_id)
    if not unrun:
        return 0
    table = AssetCheckExecutionsTable
    withdrawn = 0
    with storage.index_connection() as conn:
        for asset_key, check_name in sorted(unrun):
            withdrawn += conn.execute(table.delete().where(
                (table.c.run_id == run_id) & (table.c.asset_key == asset_key)
                & (table.c.check_name == check_name)
                & (table.c.execution_status == PLANNED))).rowcount
    return withdrawn
