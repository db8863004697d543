"""Quarterly deliverables behind the data-quality gate, without Dagster.

Used by the Dagster reporting asset, by `make report QUARTER=…` and by `make demo`. The gate is
evaluated here, on the data the deliverables read — not trusted from the last nightly run — so a
separate quarterly run is blocked as surely as a downstream asset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from connectors.run_lock import Notify, read_lock
from connectors.warehouse import connect
from orchestration.gate import GateResult, evaluate_gate
from orchestration.settings import Settings
from reports.delivery import DeliveryResult, build_quarterly_deliverables
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


def run_quarterly_report(settings: Settings, quarter: str, *, pdf: bool = True,
                         notify: Notify | None = None) -> ReportRun:
    """Gate, then deliverables of `quarter` (`YYYY-Qn`) in `SEA_OUTPUT_DIR`; raises GateBlocked.

    The gate and the deliverables must read one state of the warehouse: a refresh running
    when the report starts is waited for (at most `SEA_LOCK_WAIT_SECONDS`, said through
    `notify`, stderr by default), and none can start until the report is written.
    """
    waiting = {"notify": notify} if notify is not None else {}
    with read_lock(settings.warehouse, wait=settings.lock_wait_seconds, **waiting):
        gate = evaluate_gate(settings, quarter)
        if not gate.passed:
            raise GateBlocked(gate)
        delivery = build_quarterly_deliverables(
            settings.warehouse, gate.quarter, as_of=settings.as_of,
            output_dir=settings.output_dir, k=settings.disclosure_k,
            quality=gate.quality_summary(), learning=learning_inputs(settings), pdf=pdf,
            internal_dir=settings.internal_dir)
    if not delivery.unchanged:  # the data lead's detail of this version, never in the sent one
        write_quality_annex(settings.internal_dir, quarter=gate.quarter,
                            version=delivery.version, as_of=gate.as_of.isoformat(),
                            evaluated_at=gate.evaluated_at.isoformat(timespec="seconds"),
                            checks=gate.annex_checks())
    return ReportRun(gate=gate, delivery=delivery)
