"""How a target is followed: what a figure is compared with, its status, and the French legend.

One module for the rule and for the words that state it, so every deliverable that shows a
status (report, evidence pack, collecteur) computes it exactly as its legend says.

A target reaches a quarter figure in one of three ways (its *basis*):
* `quarter`: a quarterly target, compared with the quarter's value;
* `year_to_date`: an annual target of a count or a sum, compared with the value cumulated from
  1 January to the quarter's end (the mart's achievement); judged against the share of the year
  elapsed (n/4 at quarter n), since a volume builds up over the year;
* `year`: an annual target of a rate or a median, which is a level, not a volume: it applies to
  every quarter of its year and is compared with the quarter's own value, without pro-rata.
Achievement = value / target (rates: value x 100 / target because rate targets are in %); for
a lower-is-better indicator, target / value. At or above 1 the target is met.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.formatting import NBSP, number

ON_TRACK = 0.9  # "en bonne voie" from 90 % of what is expected
BASES = ("quarter", "year_to_date", "year")
BASIS_FR = {
    "quarter": "objectif du trimestre",
    "year_to_date": "objectif annuel, suivi en cumul",
    "year": "objectif annuel, appliqué au trimestre",
}


@dataclass(frozen=True)
class TargetStatus:
    css: str  # ok, watch, late, na
    label: str


MET = TargetStatus("ok", "atteint")
ON_TRACK_STATUS = TargetStatus("watch", "en bonne voie")
LATE = TargetStatus("late", "en retard")
WITHHELD = TargetStatus("na", "non publiable")
NOT_COMPUTABLE = TargetStatus("na", "non calculable")
LABELS = (MET.label, ON_TRACK_STATUS.label, LATE.label)


def expected_share(basis: str, quarter_number: int) -> float:
    """What achievement is expected by the end of the quarter: the share of the year elapsed
    for a cumulated annual target, the whole target otherwise."""
    return quarter_number / 4 if basis == "year_to_date" else 1.0


def achievement(value: float | None, target: float | None, kind: str,
                lower_is_better: bool) -> float | None:
    """The indicators' achievement formula (null for a zero target, or a zero value of a
    lower-is-better indicator)."""
    if value is None or target is None or target == 0:
        return None
    scaled = value * 100 if kind == "rate" else value
    if lower_is_better:
        return None if scaled == 0 else target / scaled
    return scaled / target


def status(ratio: float | None, basis: str, quarter_number: int) -> TargetStatus:
    """Atteint: achievement of at least 100 %. Otherwise, compared with what is expected by the
    quarter's end (100 %, or n/4 for a cumulated annual target): en bonne voie from 90 % of it,
    en retard below."""
    if ratio is None:
        return NOT_COMPUTABLE
    if ratio >= 1:
        return MET
    if ratio >= ON_TRACK * expected_share(basis, quarter_number):
        return ON_TRACK_STATUS
    return LATE


def percent_text(ratio: float) -> str:
    return number(ratio * 100, 0) + NBSP + "%"


def legend_lines(quarter_number: int | None = None, quarter_label: str | None = None
                 ) -> list[str]:
    """The status rule in French, stated where statuses are shown (for one quarter, or in
    general for a table of several quarters)."""
    if quarter_number is not None:
        share = quarter_number / 4
        pace = (f"Au {quarter_label}, {percent_text(share)} de l'année est écoulée (prorata "
                f"{quarter_number}/4) : « atteint » quand l'objectif annuel est déjà atteint "
                f"(100 % ou plus), « en bonne voie » à partir de "
                f"{percent_text(ON_TRACK * share)} ({percent_text(ON_TRACK)} du prorata), "
                "« en retard » en dessous.")
    else:
        pace = ("Au trimestre n, n/4 de l'année est écoulée (T1 : 25 %, T2 : 50 %, T3 : 75 %, "
                "T4 : 100 %) : « atteint » quand l'objectif annuel est déjà atteint (100 % ou "
                f"plus), « en bonne voie » à partir de {percent_text(ON_TRACK)} de cette part, "
                "« en retard » en dessous.")
    return [
        "Réalisation = valeur ÷ objectif (pour un indicateur dont la baisse est souhaitée "
        "selon le catalogue, comme le délai d'accès à l'emploi : objectif ÷ valeur) ; 100 % ou "
        "plus : objectif atteint.",
        "Objectif du trimestre, et objectif annuel d'un taux ou d'un délai (appliqué à chaque "
        f"trimestre, sans prorata) : « atteint » à 100 % ou plus, « en bonne voie » de "
        f"{percent_text(ON_TRACK)} à 100 %, « en retard » en dessous de "
        f"{percent_text(ON_TRACK)}.",
        "Objectif annuel d'un effectif ou d'une somme : comparé au cumul depuis le 1er janvier "
        "jusqu'à la fin du trimestre. " + pace,
    ]
