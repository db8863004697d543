"""The Dagster instance folder (run history, schedules) with telemetry switched off."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import DagsterInstance

from common.settings import Settings

DAGSTER_YAML = """\
# Written by sea (orchestration/instance.py). Telemetry would try the network.
telemetry:
  enabled: false
"""


def _write_config(settings: Settings) -> None:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")


def prepare_dagster_home(settings: Settings) -> None:
    _write_config(settings)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ.update(settings.dbt_env())


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The persistent instance, so headless runs show up in the UI's run history."""
    prepare_dagster_home(settings)
    return DagsterInstance.get()


@contextmanager
def opened_instance(settings: Settings) -> Iterator[DagsterInstance]:
    """The instance `make ui` reads (`DAGSTER_HOME`), opened for one write and closed again.

    For work done outside a Dagster run (`make report`, `make demo`) that must still show in the
    UI; unlike `dagster_instance` it leaves this process's environment alone.
    """
    _write_config(settings)
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        yield instance
