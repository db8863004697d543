"""Headless runs of the jobs, in-process, recorded in the Dagster instance."""

from __future__ import annotations

from dagster import DagsterInstance, ExecuteInProcessResult

from orchestration.definitions import NIGHTLY_JOB, build_definitions
from orchestration.instance import dagster_instance
from orchestration.settings import Settings

# Headless runs print INFO and above; the full DEBUG event log stays in the instance (UI).
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class RunFailed(RuntimeError):
    """A job finished unsuccessfully; the message lists the failed steps and why."""


def _failure_summary(result: ExecuteInProcessResult) -> str:
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            message = event.step_failure_data.error.message.strip().splitlines()
            lines.append(f"- {event.step_key}: {message[0] if message else ''}")
    return "\n".join(lines) or "(no step failure recorded)"


def run_nightly(settings: Settings, instance: DagsterInstance | None = None
                ) -> ExecuteInProcessResult:
    """One nightly refresh: extraction, spreadsheets, pseudonyms, dbt build."""
    defs = build_definitions(settings)
    job = defs.resolve_job_def(NIGHTLY_JOB)
    result = job.execute_in_process(
        instance=instance or dagster_instance(settings), raise_on_error=False,
        run_config=QUIET_CONSOLE,
    )
    if not result.success:
        raise RunFailed(f"nightly refresh failed:\n{_failure_summary(result)}")
    return result
