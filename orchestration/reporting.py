"""Quarterly deliverables behind the data-quality gate, without Dagster.

Used by the Dagster reporting asset, by `make report QUARTER=…` and by `make demo`. The gate is
evaluated here, on the data the deliverables read — not trusted from the last nightly run — so a
separate quarterly run is blocked as surely as a downstream asset.

A delivery written outside a Dagster run (`make report`, `make demo`) is recorded in the Dagster
instance `make ui` reads as a materialisation of the deliverables asset's quarter partition:
otherwise the UI says "never materialized" about a quarter that was delivered.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import pandas as pd
from dagster import AssetMaterialization, DagsterError, MetadataValue
from sqlalchemy.exc import SQLAlchemyError

from common.quarters import Quarter
from common.settings import Settings
from common.warehouse import connect
from connectors.run_lock import Notify, read_lock
from orchestration.gate import GateResult, evaluate_gate
from reports.delivery import MANIFEST, DeliveryResult, build_quarterly_deliverables
from reports.learning import LearningInputs
from reports.quality_annex import write_quality_annex

# Mart column → the spreadsheet name the report's learning sections read.
_LEARNING_ALIASES = {
    "lesson_id": "id", "lesson_date": "date", "lesson_type": "type",
    "recommendation_id": "id", "owner_role": "responsable",
    "last_status_change_on": "date_statut", "evaluation_id": "id",
    "evaluation_type": "type", "evaluation_mode": "mode",
}


class GateBlocked(RuntimeError):
    """The gate refused the quarter; the message lists the blocking checks (French)."""

    def __init__(self, gate: GateResult) -> None:
        super().__init__(gate.blocking_message())
        self.gate = gate


@dataclass(frozen=True)
class ReportRun:
    gate: GateResult
    delivery: DeliveryResult


def _mart(wh, name: str) -> pd.DataFrame | None:
    if not wh.table_exists(f"marts.{name}"):
        return None
    frame = wh.fetch_df(f"select * from marts.{name}")
    return frame.rename(columns={k: v for k, v in _LEARNING_ALIASES.items()
                                 if k in frame.columns and v not in frame.columns})


def learning_inputs(settings: Settings) -> LearningInputs:
    """The learning log, recommendations follow-up and evaluation plan marts, when built."""
    with connect(settings.warehouse) as wh:
        return LearningInputs(learning_log=_mart(wh, "learning_log"),
                              recommendations=_mart(wh, "recommendations"),
                              evaluation_plan=_mart(wh, "evaluation_plan"))


def delivery_metadata(run: ReportRun) -> dict:
    """What the UI shows about a delivery, for a data lead: version, folder, as-of date, how many
    figures were published or withheld — counts read from the sent manifest, never an id."""
    delivery = run.delivery
    manifest_path = delivery.directory / MANIFEST
    manifest = (json.loads(manifest_path.read_text(encoding="utf-8"))
                if manifest_path.is_file() else {})
    figures = manifest.get("figures", {})
    return {
        "trimestre": delivery.quarter,
        "version": delivery.version,
        "inchangé": delivery.unchanged,
        "dossier": MetadataValue.path(str(delivery.directory)),
        "date d'arrêté": run.gate.as_of.isoformat(),
        "chiffres publiés": int(figures.get("published", 0)),
        "chiffres masqués (secret statistique)": int(figures.get("primary", 0))
        + int(figures.get("secondary", 0)),
        "chiffres non calculables": int(figures.get("not_computable", 0)),
        "avertissements qualité": len(run.gate.warnings),
        "dérogations": len(run.gate.waived),
        "écarts": delivery.diff.summary_fr if delivery.diff else "—",  # a property
        **file_links(delivery),
    }


# the written files a data lead opens from the UI, by kind, with their French names
_FILE_LABELS = {"pdf": "rapport (PDF)", "html": "rapport (HTML)", "collecteur": "collecteur (xlsx)",
                "xlsx": "tableaux (xlsx)"}


def file_links(delivery: DeliveryResult, prefix: str = "") -> dict[str, MetadataValue]:
    """A clickable link per file a delivery wrote (the sent PDF, HTML and workbook)."""
    return {f"{prefix}{label}": MetadataValue.url(delivery.files[kind].resolve().as_uri())
            for kind, label in _FILE_LABELS.items() if kind in delivery.files}


def record_delivery(settings: Settings, run: ReportRun) -> None:
    """Record a delivery written outside Dagster as a materialisation of its quarter's partition
    of the deliverables asset, in the instance `make ui` reads.

    The files are already delivered when this runs: an instance that cannot be written (disk,
    permissions) is said on stderr in one line, it does not turn a delivery into a failure.
    """
    from orchestration.assets.reporting import DELIVERABLES_KEY, partition_key_of
    from orchestration.instance import opened_instance

    event = AssetMaterialization(
        asset_key=DELIVERABLES_KEY, partition=partition_key_of(run.delivery.quarter),
        description=f"Livrables {run.delivery.quarter} : {run.delivery.message}",
        metadata=delivery_metadata(run))
    try:
        with opened_instance(settings) as instance:
            instance.report_runless_asset_event(event)
    except (OSError, DagsterError, SQLAlchemyError) as exc:  # the delivery stands: say so
        print(f"sea: livrables écrits, mais non inscrits dans l'historique Dagster "
              f"({settings.dagster_home}) : {type(exc).__name__} — vérifiez que ce dossier est "
              "accessible en écriture (DAGSTER_HOME), puis relancez le rapport.", file=sys.stderr)


def _alert_blocked(settings: Settings, gate: GateResult) -> None:
    """A quarter refused outside a Dagster run (`make report`): alert it, as the run-failure
    sensor does for the quarterly job (orchestration/alerts.py)."""
    import logging

    from orchestration.alerts import FailedCheck, blocked_report_alert, deliver

    checks = [FailedCheck(o.key, o.check.rule, o.row_count, gate.antennas.get(o.key, ()))
              for o in gate.blocking]
    deliver(settings, blocked_report_alert(settings, gate.quarter, checks),
            logging.getLogger("sea.alerts"))


def run_quarterly_report(settings: Settings, quarter: str, *, pdf: bool = True,
                         notify: Notify | None = None, record: bool = True) -> ReportRun:
    """Gate, then deliverables of `quarter` (`YYYY-Qn`) in `SEA_OUTPUT_DIR`; raises GateBlocked.

    The gate and the deliverables must read one state of the warehouse: a refresh running
    when the report starts is waited for (at most `SEA_LOCK_WAIT_SECONDS`, said through
    `notify`, stderr by default), and none can start until the report is written.
    `record`: record the delivery in the Dagster instance (`record_delivery`) and alert a
    blocked quarter; the Dagster asset passes False: its run records the materialisation
    itself, and a failed quarterly run is alerted by the run-failure sensor.
    """
    waiting = {"notify": notify} if notify is not None else {}
    with read_lock(settings.warehouse, wait=settings.lock_wait_seconds, **waiting):
        gate = evaluate_gate(settings, quarter)
        if not gate.passed:
            blocked = GateBlocked(gate)
        else:
            blocked = None
            delivery = build_quarterly_deliverables(
                settings.warehouse, gate.quarter, as_of=settings.as_of,
                output_dir=settings.output_dir, k=settings.disclosure_k,
                quality=gate.quality_summary(), learning=learning_inputs(settings), pdf=pdf,
                internal_dir=settings.internal_dir)
    if blocked is not None:  # alerted after the lock is released: a slow channel holds nothing
        if record and settings.alerts.enabled:
            _alert_blocked(settings, gate)
        raise blocked
    if not delivery.unchanged:  # the data lead's detail of this version, never in the sent one
        write_quality_annex(settings.internal_dir, quarter=gate.quarter,
                            version=delivery.version, as_of=gate.as_of.isoformat(),
                            evaluated_at=gate.evaluated_at.isoformat(timespec="seconds"),
                            checks=gate.annex_checks())
    run = ReportRun(gate=gate, delivery=delivery)
    if record:
        record_delivery(settings, run)
    return run


def run_funder_report(settings: Settings, funder: str, period: str, *,
                      pdf: bool = True) -> tuple[GateResult, DeliveryResult]:
    """Gate, then one funder's report (`reports/funder.py`) for a year, half-year or quarter.

    The gate is the quarterly one, judged for the period's last ended quarter (its waivers
    apply): a funder report is sent from the same checked data as the quarter's deliverables.
    """
    from reports.funder import FunderReportError, ReportPeriod, build_funder_report

    per = ReportPeriod.parse(period)
    ended = [q for q in per.quarters if q.end < settings.as_of]
    if not ended:
        raise FunderReportError(f"{per.label_fr} : aucun trimestre n'est terminé au "
                                f"{settings.as_of.isoformat()}")
    with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
        gate = evaluate_gate(settings, ended[-1].code)
        if not gate.passed:
            raise GateBlocked(gate)
        delivery = build_funder_report(
            settings.warehouse, funder, period, as_of=settings.as_of,
            output_dir=settings.output_dir, k=settings.disclosure_k,
            quality=gate.quality_summary(), pdf=pdf)
    return gate, delivery


def due_period(frequency: str, quarter: str) -> str | None:
    """The period a funder reporting at `frequency` is due a report for once `quarter` has
    ended: the quarter (trimestrielle), the half-year it closes (semestrielle, after Q2 and
    Q4), the year it closes (annuelle, after Q4); None when nothing is due."""
    q = Quarter.parse(quarter)
    kind = (frequency or "annuelle").strip().lower()
    if kind.startswith("trim"):
        return q.code
    if kind.startswith("sem"):
        return f"{q.year}-S{q.number // 2}" if q.number in (2, 4) else None
    return str(q.year) if q.number == 4 else None


def period_of(frequency: str, quarter: str) -> str:
    """The reporting period of a funder at `frequency` that `quarter` belongs to (the quarter,
    its half-year or its year), whether or not it has ended."""
    q = Quarter.parse(quarter)
    kind = (frequency or "annuelle").strip().lower()
    if kind.startswith("trim"):
        return q.code
    if kind.startswith("sem"):
        return f"{q.year}-S{(q.number + 1) // 2}"
    return str(q.year)


def run_funder_reports(settings: Settings, quarter: str, *,
                       pdf: bool = True) -> tuple[GateResult, list[DeliveryResult]]:
    """Every funder report due once `quarter` has ended (`due_period`), behind one evaluation
    of the quarter's gate; a funder whose grants do not cover its period is skipped."""
    from reports.funder import FunderReportError, build_funder_report

    with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
        with connect(settings.warehouse, read_only=True) as wh:
            grants = (wh.fetch_df("select distinct funder_code, report_frequency "
                                  "from marts.funder_grants")
                      if wh.table_exists("marts.funder_grants") else pd.DataFrame())
        due = sorted({(r.funder_code, period) for r in grants.itertuples(index=False)
                      if (period := due_period(r.report_frequency, quarter))})
        gate = evaluate_gate(settings, quarter)
        if not gate.passed:
            raise GateBlocked(gate)
        out = []
        for funder, period in due:
            try:
                out.append(build_funder_report(
                    settings.warehouse, funder, period, as_of=settings.as_of,
                    output_dir=settings.output_dir, k=settings.disclosure_k,
                    quality=gate.quality_summary(), pdf=pdf))
            except FunderReportError:
                continue  # no grant of this funder covers the period
    return gate, out
