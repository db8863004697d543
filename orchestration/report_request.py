"""What `make report QUARTER=…` is asked, checked before anything runs.

A quarter typed wrong, not over yet, or absent from the warehouse used to surface deep inside
the deliverables as an English exception and a long traceback. Each is a request the person can
correct at once, so each is refused up front in French, with the quarter to ask for instead.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from common.quarters import Quarter, last_complete_quarter
from common.settings import Settings
from common.warehouse import connect


class QuarterRefused(ValueError):
    """The quarter cannot be reported: `cause` and `fix` are the two halves of the French line."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(f"{cause} — {fix}")
        self.cause, self.fix = cause, fix


def check_quarter(settings: Settings, text: str | None) -> Quarter:
    """The quarter named by `text`, refused when malformed, not over at the as-of date, or
    without indicator rows in the warehouse."""
    last = last_complete_quarter(settings.as_of)
    example = f"make report QUARTER={last.code}"
    shown = " ".join(str(text or "").split())
    try:
        quarter = Quarter.parse(text or "")
    except ValueError:
        raise QuarterRefused(f"trimestre invalide « {shown} »",
                             f"écrivez-le AAAA-Qn avec n de 1 à 4, par exemple {example}"
                             ) from None
    if quarter.end >= settings.as_of:
        raise QuarterRefused(
            f"le trimestre {quarter.label_fr} ({quarter.code}) n'est pas terminé à la date "
            f"d'arrêté du {settings.as_of:%d/%m/%Y}",
            f"un trimestre se publie une fois fini : le dernier terminé est {last.code} "
            f"({example})")
    _check_data(settings, quarter, example)
    return quarter


def _check_data(settings: Settings, quarter: Quarter, example: str) -> None:
    if not settings.warehouse_is_postgres and not Path(settings.warehouse).is_file():
        raise QuarterRefused(f"l'entrepôt {settings.warehouse_display} n'existe pas encore",
                             "lancez d'abord une actualisation (make refresh), ou make demo "
                             "pour essayer sur des données fictives")
    with connect(settings.warehouse) as wh:
        if not wh.table_exists("marts.indicator_values"):
            raise QuarterRefused("l'entrepôt n'a pas encore d'indicateurs",
                                 "lancez d'abord une actualisation (make refresh)")
        first, last, rows = wh.fetchone(
            "select min(period_start), max(period_end), "
            "count(case when period_start >= ? and period_end <= ? then 1 end) "
            "from marts.indicator_values where period_type = 'quarter'",
            [quarter.start, quarter.end])
    if rows:
        return
    if first is None:
        raise QuarterRefused("l'entrepôt n'a encore aucun indicateur trimestriel",
                             "lancez d'abord une actualisation (make refresh)")
    span = f"{Quarter.of(_day(first)).code} à {Quarter.of(_day(last)).code}"
    raise QuarterRefused(f"aucune donnée pour le trimestre {quarter.label_fr} ({quarter.code}) "
                         f"dans l'entrepôt, qui couvre {span}",
                         f"choisissez un trimestre de cette période, par exemple {example}")


def _day(value: object) -> date:
    """A date from what either warehouse returns (a date, a timestamp or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
