"""Headless runs of the jobs, in-process, recorded in the Dagster instance."""

from __future__ import annotations

import logging

from dagster import DagsterInstance, ExecuteInProcessResult

from common.settings import Settings
from connectors.run_lock import refresh_lock
from orchestration.alerts import ALERTED_BY_COMMAND, ALERTED_TAG, deliver, failed_run_alert
from orchestration.definitions import NIGHTLY_JOB, build_definitions
from orchestration.instance import dagster_instance
from orchestration.unrun_checks import withdraw_unrun_checks

# Headless runs print INFO and above; the full DEBUG event log stays in the instance (UI).
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# A failed alert delivery is said on stderr (a warning), never raised.
log = logging.getLogger("sea.alerts")


class RunFailed(RuntimeError):
    """A job finished unsuccessfully; the message is one French line (cause, fix, log path).
    `publication`: for a refresh, what became of the publication for readers (withheld, and
    why), one French line of its own."""

    def __init__(self, message: str, publication: str = "") -> None:
        super().__init__(message)
        self.publication = publication


def _failure_summary(result: ExecuteInProcessResult, settings: Settings, command: str) -> str:
    """One French line naming the first failed step's cause and its fix; every failed step's
    full error (stack traces) goes to the log file the line names (orchestration/failures.py)."""
    from orchestration.failures import explain_step_failures

    failures = [(event.step_key or "?", event.step_failure_data.error)
                for event in result.all_events
                if event.is_step_failure and event.step_failure_data]
    return explain_step_failures(settings, command, result.run_id, failures)


def run_nightly(settings: Settings, instance: DagsterInstance | None = None, *,
                origin: str = "make refresh") -> ExecuteInProcessResult:
    """One nightly refresh: extraction, spreadsheets, pseudonyms, dbt build, checks, then the
    publication for readers when no `error` check failed (orchestration/assets/publication.py).

    The warehouse's refresh lock is taken first and held to the end (`origin` says how this
    refresh was started, for whoever is refused meanwhile); raises `RefreshRunning` at once
    when another refresh holds it. A failed run is alerted (orchestration/alerts.py) before
    `RunFailed` is raised; the run is tagged so that the UI's run-failure sensor, if its daemon
    runs beside, does not alert it a second time.
    """
    with refresh_lock(settings.warehouse, origin, wait=settings.lock_wait_seconds):
        defs = build_definitions(settings)
        job = defs.resolve_job_def(NIGHTLY_JOB)
        instance = instance or dagster_instance(settings)
        result = job.execute_in_process(instance=instance, raise_on_error=False,
                                        run_config=QUIET_CONSOLE,
                                        tags={ALERTED_TAG: ALERTED_BY_COMMAND})
    if not result.success:
        # checks the failure kept from running show as not run, not failed
        withdraw_unrun_checks(instance, result.run_id)
        from orchestration.publication import publication_line

        summary = _failure_summary(result, settings, "refresh")
        if settings.alerts.enabled:
            deliver(settings, failed_run_alert(settings, instance, result.run_id, NIGHTLY_JOB,
                                               summary=summary, origin=origin), log)
        raise RunFailed(summary, publication=publication_line(instance, result.run_id))
    return result
