"""What an evidence pack reads from the warehouse, besides the protected indicator figures.

The evaluation plan, the learning log and the recommendations come from the learning marts
(dbt_project/models/marts/learning); the data-quality caveats from the quality marts and the
spreadsheet bookkeeping when they exist (a pack is still produced without them, and says so).
Everything here is either about the programmes (texts, plans) or counts of records: no person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from common.quarters import Quarter
from common.warehouse import Warehouse

PROJECT_START = date(2019, 5, 1)


class EvaluationNotFound(LookupError):
    """The evaluation id is not in the plan; the message lists the ids that are (French)."""


@dataclass(frozen=True)
class Evaluation:
    """One row of marts.evaluation_plan with its criteria, questions and indicators."""

    evaluation_id: str
    programme: str
    antenna: str
    programme_label: str
    antenna_label: str
    type_label: str
    mode_label: str
    planned_start: date
    planned_end: date
    status_label: str
    is_due_within_90_days: bool
    is_late: bool
    as_of: date
    criteria: list[tuple[str, str]]  # (code, label)
    questions: list[str]
    indicator_codes: list[str]


@dataclass
class LearningItems:
    """Lessons and recommendations linked to one evaluation."""

    lessons: list[dict] = field(default_factory=list)
    recommendations: list[dict] = field(default_factory=list)

    def lessons_for(self, indicator_code: str) -> list[dict]:
        """The lessons tagged to an indicator: what shows in that indicator's evidence."""
        return [lesson for lesson in self.lessons if indicator_code in lesson["indicators"]]


def _date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _codes(value: object) -> list[str]:
    return [c.strip() for c in _text(value).split(",") if c.strip()]


def _records(wh: Warehouse, sql: str, params: list | None = None) -> list[dict]:
    return wh.fetch_df(sql, params).to_dict("records")


# -- the evaluation ----------------------------------------------------------------------------
def read_evaluation(wh: Warehouse, evaluation_id: str) -> Evaluation:
    if not wh.table_exists("marts.evaluation_plan"):
        raise EvaluationNotFound("le plan d'évaluation (marts.evaluation_plan) n'est pas encore "
                                 "construit : lancer une actualisation d'abord")
    rows = _records(wh, "select * from marts.evaluation_plan where evaluation_id = ?",
                    [evaluation_id])
    if not rows:
        known = [r[0] for r in wh.fetchall(
            "select evaluation_id from marts.evaluation_plan order by planned_start, 1")]
        listed = ", ".join(known) if known else "aucune"
        raise EvaluationNotFound(f"évaluation « {evaluation_id} » absente du plan d'évaluation "
                                 f"(évaluations connues : {listed})")
    row = rows[0]
    criteria = [(r["criterion"], r["criterion_label_fr"]) for r in _records(
        wh, "select criterion, criterion_label_fr from marts.evaluation_plan_criteria "
            "where evaluation_id = ? order by criterion_order", [evaluation_id])]
    questions = [r["question_fr"] for r in _records(
        wh, "select question_fr from marts.evaluation_plan_questions where evaluation_id = ? "
            "order by question_number", [evaluation_id])]
    indicators = [r["indicator_code"] for r in _records(
        wh, "select indicator_code from marts.evaluation_plan_indicators "
            "where evaluation_id = ? order by indicator_position", [evaluation_id])]
    return Evaluation(
        evaluation_id=evaluation_id, programme=row["programme"], antenna=row["antenna"],
        programme_label=_text(row["programme_label_fr"]),
        antenna_label=_text(row["antenna_label_fr"]),
        type_label=_text(row["evaluation_type_label_fr"]),
        mode_label=_text(row["evaluation_mode_label_fr"]) or "non précisé",
        planned_start=_date(row["planned_start"]), planned_end=_date(row["planned_end"]),
        status_label=_text(row["status_label_fr"]),
        is_due_within_90_days=bool(row["is_due_within_90_days"]), is_late=bool(row["is_late"]),
        as_of=_date(row["as_of"]), criteria=criteria, questions=questions,
        indicator_codes=indicators,
    )


def evidence_quarters(evaluation: Evaluation, count: int = 12) -> list[Quarter]:
    """The complete quarters the pack shows, oldest first.

    Up to the last quarter ended before R (the quarterly deliverables publish complete quarters
    only: a partial quarter published here could be differenced against the full one later)
    and not beyond the quarter of the evaluation's planned end; `count` quarters back, not
    before the project start.
    """
    last = min(Quarter.of(evaluation.as_of).previous(), Quarter.of(evaluation.planned_end))
    first = max(last.shift(-(count - 1)), Quarter.of(PROJECT_START))
    quarters, q = [], first
    while q <= last:
        quarters.append(q)
        q = q.next()
    return quarters


# -- lessons and recommendations ---------------------------------------------------------------
def read_learning(wh: Warehouse, evaluation_id: str, until: date | None = None) -> LearningItems:
    """Lessons linked to the evaluation (scope or shared indicator) dated up to `until` (the
    end of its window, for an evaluation already done), most recent first, and the
    recommendations linked to it (marts.evaluation_recommendations) with their current
    follow-up, open and overdue first."""
    items = LearningItems()
    if not wh.table_exists("marts.evaluation_lessons"):
        return items
    for r in _records(wh, """
            select l.*, e.matches_scope, e.shared_indicator_codes
            from marts.evaluation_lessons as e
            inner join marts.learning_log as l on l.lesson_id = e.lesson_id
            where e.evaluation_id = ? and l.lesson_date <= ?
            order by l.lesson_date desc, l.lesson_id""", [evaluation_id, until or date.max]):
        items.lessons.append({
            "id": r["lesson_id"], "date": _date(r["lesson_date"]),
            "type": _text(r["lesson_type_label_fr"]),
            "programme": r["programme"], "antenna": r["antenna"],
            "title": _text(r["title"]), "context": _text(r["context"]),
            "findings": _text(r["findings"]), "lessons": _text(r["lessons"]),
            "indicators": _codes(r["indicator_codes"]),
            "matches_scope": bool(r["matches_scope"]),
        })
    if wh.table_exists("marts.evaluation_recommendations"):
        sql = """
            select r.* from marts.recommendations as r
            inner join marts.evaluation_recommendations as e
                on e.recommendation_id = r.recommendation_id
            where e.evaluation_id = ?
            order by r.is_open desc, r.is_overdue desc, r.due_date, r.recommendation_id"""
        params = [evaluation_id]
    else:  # older warehouse: the evaluation's own and its lessons' recommendations
        params = [evaluation_id, *(lesson["id"] for lesson in items.lessons)]
        sql = f"""
            select * from marts.recommendations
            where source_id in ({", ".join("?" for _ in params)})
            order by is_open desc, is_overdue desc, due_date, recommendation_id"""
    for r in _records(wh, sql, params):
        items.recommendations.append({
            "id": r["recommendation_id"], "source_id": _text(r["source_id"]),
            "text": _text(r["recommendation"]), "owner_role": _text(r["owner_role"]),
            "priority": _text(r["priority_label_fr"]), "due_date": _date(r["due_date"]),
            "status": _text(r["status_label_fr"]), "is_open": bool(r["is_open"]),
            "is_overdue": bool(r["is_overdue"]), "is_stale": bool(r["is_stale"]),
            "last_change": _date(r["last_status_change_on"]), "done_on": _date(r["done_on"]),
            "indicators": _codes(r["indicator_codes"]),
        })
    return items


# -- data-quality caveats ----------------------------------------------------------------------
@dataclass
class QualityFacts:
    """Counts behind the caveats (records and spreadsheet rows, never persons' attributes)."""

    rules: list[dict] = field(default_factory=list)  # rule label, checked, failed, rate
    sheet_quarantine: list[dict] = field(default_factory=list)  # kind, rows
    stale_files: list[str] = field(default_factory=list)
    learning_issues: int = 0
    missing: list[str] = field(default_factory=list)  # tables not found


def read_quality(wh: Warehouse, evaluation: Evaluation, quarters: list[Quarter]) -> QualityFacts:
    facts = QualityFacts()
    start, end = quarters[0].start, quarters[-1].end
    if wh.table_exists("marts.dq_rule_results"):
        antenna_filter = "" if evaluation.antenna == "ALL" else "and antenna = ?"
        params: list = [start, end] + ([] if evaluation.antenna == "ALL" else [evaluation.antenna])
        for r in _records(wh, f"""
                select rule_label_fr, dimension, sum(records_checked) as checked,
                       sum(records_failed) as failed
                from marts.dq_rule_results
                where month_start between ? and ? {antenna_filter}
                group by rule_label_fr, dimension
                having sum(records_failed) > 0
                order by sum(records_failed) desc, rule_label_fr""", params):
            checked, failed = float(r["checked"] or 0), float(r["failed"] or 0)
            facts.rules.append({"label": _text(r["rule_label_fr"]),
                                "dimension": _text(r["dimension"]), "checked": checked,
                                "failed": failed, "rate": failed / checked if checked else None})
    else:
        facts.missing.append("marts.dq_rule_results")
    if wh.table_exists("raw.sheet_quarantine"):
        facts.sheet_quarantine = _records(wh, """
            select kind, count(distinct source_file || '|' || source_sheet || '|'
                               || cast(source_row as varchar)) as rows
            from raw.sheet_quarantine group by kind order by kind""")
    if wh.table_exists("raw.sheet_files"):
        facts.stale_files = [r[0] for r in wh.fetchall(
            "select source_file from raw.sheet_files where status = 'stale' order by 1")]
    if wh.table_exists("marts.learning_sheet_issues"):
        facts.learning_issues = int(wh.scalar("select count(*) from marts.learning_sheet_issues"))
    return facts


def evaluations_needing_packs(wh: Warehouse) -> list[str]:
    """Evaluations an evidence pack is due for: running, or starting or ending within 90 days
    of R; external ones first (their evaluators are the readers packs are made for), then by
    planned start."""
    if not wh.table_exists("marts.evaluation_plan"):
        return []
    return [r[0] for r in wh.fetchall("""
        select evaluation_id from marts.evaluation_plan
        where is_due_within_90_days or status = 'en_cours'
        order by case when evaluation_mode = 'externe' then 0 else 1 end, planned_start,
                 evaluation_id""")]
