"""The executor of every job the Dagster UI, daemon or schedules launch: in one process, under
the warehouse's run lock (connectors/run_lock.py).

Why an executor rather than a resource: a resource is set up only for the steps that ask for it,
and under a multi-process executor once per step process — a lock taken per step would be
released between steps (letting another refresh or a report in half-way) or, held by one step
process, block the next step of the same run. The executor runs once per run, in the run's own
process, around all its steps: the lock is taken before the first step and released after the
last. Steps run in that same process, which DuckDB needs anyway (one writing process per file).

`job.execute_in_process` (the headless commands, tests) replaces the executor with Dagster's
own: those callers take the lock themselves (orchestration/runs.py, orchestration/reporting.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from dagster import ExecutorDefinition, executor
from dagster._core.events import DagsterEvent
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.in_process import InProcessExecutor

from common.settings import Settings
from connectors.run_lock import RunLockError, read_lock, refresh_lock
from orchestration.unrun_checks import withdraw_unrun_checks

# Jobs that only read the warehouse: they share it with each other, and wait for a refresh.
READ_ONLY_JOBS = frozenset({"quarterly_reporting"})


class LockedInProcessExecutor(InProcessExecutor):
    """Dagster's in-process executor, with the run lock held around the whole run."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(retries=RetryMode.ENABLED)
        self._settings = settings

    def _lock(self, plan_context: PlanOrchestrationContext) -> AbstractContextManager:
        job_name = plan_context.dagster_run.job_name
        wait = self._settings.lock_wait_seconds

        def notify(line: str) -> None:
            plan_context.log.warning(line.removeprefix("sea: "))

        if job_name in READ_ONLY_JOBS:
            return read_lock(self._settings.warehouse, wait=wait, notify=notify)
        origin = f"Dagster (job {job_name}, run {plan_context.run_id[:8]})"
        return refresh_lock(self._settings.warehouse, origin, wait=wait, notify=notify)

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
                ) -> Iterator[DagsterEvent]:
        lock = self._lock(plan_context)
        try:
            lock.__enter__()
        except RunLockError as exc:
            # The run fails before any step, its failure naming the French cause.
            plan_context.log.error(str(exc))
            raise
        try:
            yield from super().execute(plan_context, execution_plan)
            # checks the failure kept from running show as not run, not failed
            withdraw_unrun_checks(plan_context.instance, plan_context.run_id)
        finally:
            lock.__exit__(None, None, None)


def locked_in_process_executor(settings: Settings) -> ExecutorDefinition:
    @executor(name="sea_in_process_locked")
    def sea_in_process_locked(_init_context) -> LockedInProcessExecutor:
        """Toutes les étapes dans un seul processus, sous le verrou de l'entrepôt (une seule
        actualisation à la fois ; les rapports attendent la fin d'une actualisation)."""
        return LockedInProcessExecutor(settings)

    return sea_in_process_locked
