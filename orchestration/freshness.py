"""Freshness: the CRM extraction and the publication for readers are not older than the delays
of `SEA_FRESHNESS_CRM_HOURS` and `SEA_FRESHNESS_PUBLISHED_HOURS` (docs/operations.md#freshness).

A night that did not run (daemon stopped, server down), a CRM that failed every night of a week,
or a publication withheld night after night leave no failed run to alert on the days after:
only the age of the data says it. One `warn` check, `freshness`, on each raw CRM asset and on
`publication/published_marts`, compares the time of the asset's latest materialisation with
the delay (a withheld publication records an observation, not a materialisation, so it does
not count as fresh).

Why not Dagster's `build_last_update_freshness_checks` and its sensor: the sensor executes the
checks in runs, and every run the daemon launches takes the warehouse's refresh lock
(orchestration/locked_executor.py) — a freshness run would then be refused during the night's
refresh, or refuse the night's refresh if it held the lock at 02:00. And a check in the nightly
job on `published_marts` would be planned but unrun when the publication's step reads the
run's verdict (orchestration/assets/publication.py), withholding the publication. So the checks
are evaluated without a run: the sensor `freshness_sensor` reads the latest materialisations
from the instance every `TICK_SECONDS` and records the check evaluations that changed
(runless, as Dagster's UI shows any other evaluation), and it alerts (orchestration/alerts.py)
when data becomes stale. The checks can still be executed from the UI (same code); the jobs
leave them out (`FRESHNESS_SELECTION`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    multi_asset_check,
    sensor,
)

from common.settings import PARIS, Settings
from orchestration.alerts import Alert, RunLog, deliver
from orchestration.assets.raw_crm import CRM_TABLES
from orchestration.checks import check_label
from orchestration.publication import PUBLISHED_KEY

CHECK_NAME = "freshness"
SENSOR_NAME = "freshness_sensor"
TICK_SECONDS = 300
CRM_KEYS = tuple(AssetKey(["raw", name]) for name in CRM_TABLES)
PUBLISHED = PUBLISHED_KEY
CHECK_KEYS = tuple(AssetCheckKey(key, CHECK_NAME) for key in (*CRM_KEYS, PUBLISHED))
# What the jobs leave out: these checks are evaluated by the sensor (module docstring).
FRESHNESS_SELECTION = AssetSelection.checks(*CHECK_KEYS)
SEVERITY = AssetCheckSeverity.WARN


def limits_of(settings: Settings) -> dict[AssetKey, timedelta]:
    """The delay each checked asset is held to."""
    crm = timedelta(hours=settings.freshness_crm_hours)
    return {**{key: crm for key in CRM_KEYS},
            PUBLISHED: timedelta(hours=settings.freshness_published_hours)}


def _what(key: AssetKey) -> str:
    return ("la publication pour les lecteurs" if key == PUBLISHED
            else f"l'extraction du CRM ({key.path[-1]})")


def _setting(key: AssetKey) -> str:
    return "SEA_FRESHNESS_PUBLISHED_HOURS" if key == PUBLISHED else "SEA_FRESHNESS_CRM_HOURS"


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h".replace(".", ",")


@dataclass(frozen=True)
class Verdict:
    """One asset's freshness at `now`: its latest materialisation (POSIX time, None if never)."""

    key: AssetKey
    last: float | None
    limit: timedelta
    now: float

    @property
    def passed(self) -> bool:
        return self.last is not None and self.now - self.last <= self.limit.total_seconds()

    @property
    def age(self) -> timedelta | None:
        return None if self.last is None else timedelta(seconds=self.now - self.last)

    def message(self) -> str:
        """The French sentence the UI and the alert show."""
        if self.last is None:
            return (f"{_what(self.key)[:1].upper()}{_what(self.key)[1:]} n'a encore jamais "
                    "eu lieu.")
        when = datetime.fromtimestamp(self.last, PARIS).strftime("%d/%m/%Y à %H:%M")
        state = "à jour" if self.passed else "trop ancienne"
        return (f"{_what(self.key)[:1].upper()}{_what(self.key)[1:]} date du {when} "
                f"(il y a {_hours(self.age)}) : {state}, le délai admis est de "
                f"{_hours(self.limit)} ({_setting(self.key)}).")

    def metadata(self) -> dict:
        meta: dict = {"délai admis (heures)": self.limit.total_seconds() / 3600,
                      "réglage": _setting(self.key)}
        if self.last is not None:
            meta["dernière mise à jour"] = datetime.fromtimestamp(
                self.last, PARIS).isoformat(sep=" ", timespec="seconds")
            meta["âge (heures)"] = round(self.age.total_seconds() / 3600, 2)
        return meta

    def result(self) -> AssetCheckResult:
        return AssetCheckResult(asset_key=self.key, check_name=CHECK_NAME, passed=self.passed,
                                severity=SEVERITY, description=self.message(),
                                metadata=self.metadata())

    def evaluation(self) -> AssetCheckEvaluation:
        return AssetCheckEvaluation(asset_key=self.key, check_name=CHECK_NAME,
                                    passed=self.passed, severity=SEVERITY,
                                    description=self.message(), metadata=self.metadata(),
                                    blocking=False)


def verdicts(instance: DagsterInstance, limits: Mapping[AssetKey, timedelta],
             now: float | None = None) -> list[Verdict]:
    """Each asset of `limits` judged on its latest materialisation in `instance`."""
    now = time.time() if now is None else now
    latest = instance.get_latest_materialization_events(list(limits))
    return [Verdict(key, latest[key].timestamp if latest.get(key) else None, limit, now)
            for key, limit in limits.items()]


def build_freshness_checks(settings: Settings) -> AssetChecksDefinition:
    """The checks as the UI lists them (one per asset), executable from it."""
    limits = limits_of(settings)
    specs = [AssetCheckSpec(
        CHECK_NAME, asset=key, blocking=False,
        description=(f"[{check_label('warn', False)}] Données à jour : {_what(key)} date de "
                     f"moins de {_hours(limit)} ({_setting(key)}) ; évalué toutes les "
                     f"{TICK_SECONDS // 60} minutes par le capteur {SENSOR_NAME}."))
        for key, limit in limits.items()]

    @multi_asset_check(name="freshness_checks", specs=specs,
                       description="Fraîcheur de l'extraction du CRM et de la publication.")
    def freshness_checks(context) -> Iterable[AssetCheckResult]:  # annotated context refused
        for verdict in verdicts(context.instance, limits):
            yield verdict.result()

    return freshness_checks


# ---------------------------------------------------------------------------------------------
# The sensor: evaluations without a run, and the alert


def stale_alert(settings: Settings, stale: Sequence[Verdict]) -> Alert:
    """One message for the assets that just became stale."""
    ui = settings.alerts.ui_url
    lines = ["Des données de sea ne sont plus à jour :", ""]
    lines += [f"- {v.message()}" for v in stale]
    lines += ["", "Cause probable : l'actualisation nocturne n'a pas tourné (démon Dagster "
              "arrêté, serveur éteint), a échoué, ou sa publication a été retenue par un "
              "contrôle de sévérité erreur.", "", "Où regarder :",
              f"- les dernières exécutions dans l'interface Dagster : {ui}/runs"]
    lines += [f"- le contrôle de fraîcheur de {_what(v.key)} : "
              f"{ui}/assets/{v.key.to_user_string()}?view=checks" for v in stale[:3]]
    return Alert(f"[sea] Données trop anciennes : {len(stale)} élément(s)", "\n".join(lines))


def evaluate_freshness(settings: Settings, instance: DagsterInstance, cursor: str | None,
                       log: RunLog, now: float | None = None) -> SensorResult:
    """One tick: the evaluations that changed since the last one (state, or a newer
    materialisation), recorded as check evaluations; an alert for the assets that turned stale.
    Cursor: `{check key: [passed, last materialisation]}`."""
    before: dict[str, list] = json.loads(cursor) if cursor else {}
    found = verdicts(instance, limits_of(settings), now)
    changed, stale = [], []
    for verdict in found:
        key = AssetCheckKey(verdict.key, CHECK_NAME).to_user_string()
        if before.get(key) != [verdict.passed, verdict.last]:
            changed.append(verdict)
            if not verdict.passed and (before.get(key) or [True])[0]:
                stale.append(verdict)
    if stale:
        deliver(settings, stale_alert(settings, stale), log)
    after = {AssetCheckKey(v.key, CHECK_NAME).to_user_string(): [v.passed, v.last]
             for v in found}
    failing = sum(not v.passed for v in found)
    return SensorResult(
        asset_events=[v.evaluation() for v in changed],
        skip_reason=None if changed else (
            f"Fraîcheur inchangée : {failing} élément(s) trop ancien(s) sur {len(found)}."),
        cursor=json.dumps(after, sort_keys=True))


def build_freshness_sensor(settings: Settings) -> SensorDefinition:
    """Evaluates the freshness checks every `TICK_SECONDS` with the daemon (`make ui`)."""

    @sensor(name=SENSOR_NAME, minimum_interval_seconds=TICK_SECONDS,
            default_status=DefaultSensorStatus.RUNNING,
            description=("Évalue la fraîcheur de l'extraction du CRM et de la publication "
                         "(SEA_FRESHNESS_CRM_HOURS, SEA_FRESHNESS_PUBLISHED_HOURS) et alerte "
                         "(courriel, webhook) quand elles deviennent trop anciennes."))
    def freshness_sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate_freshness(settings, context.instance, context.cursor, context.log)

    return freshness_sensor
