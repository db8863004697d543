"""Building one evidence pack: read, protect, render (xlsx, HTML, PDF).

Called by `make evidence EVALUATION=<id>` and by the Dagster asset of the evidence packs. The
pack is for external evaluators, so every figure goes through statistical disclosure control
(`figures.py`), and the as-of date R of the data is printed on every page.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from common.quarters import Quarter
from common.warehouse import Warehouse, connect
from reports.catalogue import Catalogue
from reports.disclosure import DEFAULT_K, legend_fr
from reports.evidence.association import AssociationFigures, read_association
from reports.evidence.data import (
    Evaluation,
    LearningItems,
    QualityFacts,
    evaluations_needing_packs,
    evidence_quarters,
    read_evaluation,
    read_learning,
    read_quality,
)
from reports.evidence.figures import DELAY, CohortTable, Series, cohort_table, series_for
from reports.formatting import percent
from reports.inputs import load_inputs
from reports.publication import Publication, build_publication

log = logging.getLogger("sea.evidence")


@dataclass
class YearMedian:
    """A yearly median time to employment: medians are not additive, so only the primary rule
    applies (not shown when computed over fewer than k exits)."""

    label: str
    value: float | None
    shown: bool


@dataclass
class EvidenceContent:
    """Everything the renderers show; built once so the xlsx and the HTML/PDF agree."""

    evaluation: Evaluation
    as_of: date
    generated_on: date
    k: int
    quarters: list[Quarter]
    series: list[Series]
    cohorts: CohortTable
    delay: Series | None
    delay_years: list[YearMedian]
    learning: LearningItems
    quality: QualityFacts
    caveats: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    # costs (efficience), the participants' voice (pertinence, impact): association.py
    association: AssociationFigures = field(default_factory=AssociationFigures)

    @property
    def delay_in_series(self) -> bool:
        """The delay indicator is already shown with the evaluation's indicators."""
        return self.delay is not None and any(s is self.delay for s in self.series)

    @property
    def period_label(self) -> str:
        if not self.quarters:
            return "aucun trimestre complet"
        return f"{self.quarters[0].label_fr} – {self.quarters[-1].label_fr}"


@dataclass(frozen=True)
class EvidencePack:
    """The files written for one evaluation."""

    evaluation_id: str
    as_of: date
    xlsx: Path
    html: Path
    pdf: Path | None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "evaluation"


def _year_medians(wh: Warehouse, evaluation: Evaluation, quarters: list[Quarter], k: int,
                  as_of: date) -> list[YearMedian]:
    if not quarters:
        return []
    df = wh.fetch_df(
        "select period_start, value, population, denominator from marts.indicator_values "
        "where indicator_code = ? and period_type = 'year' and dimension = 'total' "
        "and programme = ? and antenna = ? and period_start >= ? and period_start <= ? "
        "order by period_start",
        [DELAY, evaluation.programme, evaluation.antenna, quarters[0].year_start(),
         quarters[-1].year_start()])
    out = []
    for r in df.to_dict("records"):
        start = pd.Timestamp(r["period_start"]).date()
        pop = r.get("population")
        if pop is None or (isinstance(pop, float) and math.isnan(pop)):
            pop = r.get("denominator")
        pop = 0.0 if pop is None or (isinstance(pop, float) and math.isnan(pop)) else pop
        value = r["value"]
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else float(value)
        label = str(start.year)
        if start.year == as_of.year:
            label += f" (jusqu'au {as_of:%d/%m/%Y})"
        out.append(YearMedian(label, value, shown=pop >= k and value is not None))
    return out


def _kind_label(kind: str) -> str:
    from connectors.sheets.kinds import KINDS_BY_NAME

    found = KINDS_BY_NAME.get(kind)
    return found.label if found else kind


def _caveats(content: EvidenceContent, pub: Publication,
             report_only_notes: list[str]) -> list[str]:
    """Reading precautions in French: method, coverage, data quality."""
    e, quality = content.evaluation, content.quality
    notes = [
        f"Les chiffres sont ceux de l'entrepôt à la date d'arrêté du {content.as_of:%d/%m/%Y} "
        "(R) : une saisie postérieure dans le CRM ou les tableurs peut encore les modifier.",
        "Seuls les trimestres complets sont présentés ; ils reprennent exactement les chiffres "
        "publiés (ou à publier) dans les rapports trimestriels, avec le même secret statistique.",
        "L'unité de compte est le parcours : une personne passée par deux programmes compte "
        "une fois dans chacun. Les taux de sortie portent sur les sorties du trimestre (hors "
        "motifs de sortie neutres) ; le taux à 6 mois porte sur les parcours dont la date à "
        "6 mois tombe dans le trimestre, avec au moins 45 jours de recul.",
    ]
    follow = content.cohorts.cells.get(("SUIVI_6M", "pooled"))
    if isinstance(follow, float) and follow < 1:
        notes.append(
            f"La situation à 6 mois n'est connue que pour {percent(follow, 0)} de la cohorte "
            "sur la période : le taux de sorties dynamiques à 6 mois est une borne basse "
            "(une situation inconnue compte comme non dynamique).")
    if e.programme != "ALL" and e.programme != "SOCLE_FEMMES":
        notes.append("Un programme comprend ses sous-programmes (le SOCLE inclut le SOCLE "
                     "Femmes).")
    worst = next((r for r in quality.rules if r["rate"] is not None and r["checked"] >= content.k
                  and r["rate"] >= 0.05), None)
    if worst is not None:
        notes.append(f"Qualité des données : la règle « {worst['label']} » est en anomalie pour "
                     f"{percent(worst['rate'])} des enregistrements contrôlés sur la période "
                     "(détail par règle ci-dessous).")
    quarantined = sum(int(r["rows"]) for r in quality.sheet_quarantine)
    if quarantined:
        kinds = ", ".join(f"{_kind_label(r['kind'])} ({int(r['rows'])})"
                          for r in quality.sheet_quarantine)
        notes.append(f"{quarantined} ligne(s) de tableurs sont en quarantaine à la date "
                     f"d'arrêté et ne comptent nulle part tant qu'elles ne sont pas corrigées : "
                     f"{kinds}.")
    if quality.stale_files:  # a count: file names are for the data lead, not for readers
        notes.append(f"{len(quality.stale_files)} tableur(s) périmé(s) : leur dernier "
                     "chargement réussi est conservé.")
    if quality.learning_issues:
        notes.append(f"{quality.learning_issues} ligne(s) des tableurs d'apprentissage sont "
                     "écartées ou signalées (doublons, dates incohérentes, sources introuvables).")
    if quality.missing:
        notes.append("Le tableau de bord qualité n'est pas disponible dans l'entrepôt : les "
                     "anomalies par règle ne sont pas détaillées.")
    notes.extend(n for n in pub.notes if n not in report_only_notes)
    if pub.unresolved:
        notes.append("Certaines valeurs n'ont pu être protégées qu'en masquant l'ensemble de "
                     "leur ligne.")
    return notes


def collect(target: str, evaluation_id: str, *, k: int = DEFAULT_K,
            generated_on: date | None = None, window_quarters: int = 12) -> EvidenceContent:
    """Read and protect everything the pack shows (no file written)."""
    with connect(target, read_only=True) as wh:
        evaluation = read_evaluation(wh, evaluation_id)
        quarters = evidence_quarters(evaluation, window_quarters)
        learning = read_learning(wh, evaluation_id,
                                 until=min(evaluation.as_of, evaluation.planned_end))
        quality = read_quality(wh, evaluation, quarters) if quarters else QualityFacts()
        delay_years = _year_medians(wh, evaluation, quarters, k, evaluation.as_of)
    as_of = evaluation.as_of
    if not quarters:
        raise ValueError(f"aucun trimestre complet avant le {as_of:%d/%m/%Y} : pas de dossier")
    inputs = load_inputs(target, quarters)
    pub = build_publication(inputs, quarters[-1], k, trend_quarters=len(quarters))
    catalogue: Catalogue = inputs.catalogue
    codes = [c for c in evaluation.indicator_codes if c in catalogue]
    series = [series_for(pub, catalogue[c], quarters, evaluation.programme, evaluation.antenna)
              for c in codes]
    delay = None
    if DELAY in catalogue:
        delay = next((s for s in series if s.indicator.code == DELAY), None) or series_for(
            pub, catalogue[DELAY], quarters, evaluation.programme, evaluation.antenna)
    cohorts = cohort_table(pub, inputs.indicators, catalogue, quarters, evaluation.programme,
                           evaluation.antenna, k)
    with connect(target, read_only=True) as wh:
        association = read_association(
            wh, catalogue, [code for code, _ in evaluation.criteria], quarters, k,
            programme=evaluation.programme, antenna=evaluation.antenna,
            until=min(evaluation.as_of, evaluation.planned_end), pub=pub,
            parents=inputs.programme_parents)
    content = EvidenceContent(
        evaluation=evaluation, as_of=as_of, generated_on=generated_on or as_of, k=k,
        quarters=quarters, series=series, cohorts=cohorts, delay=delay,
        delay_years=delay_years, learning=learning, quality=quality, legend=legend_fr(k),
        association=association)
    unknown = [c for c in evaluation.indicator_codes if c not in catalogue]
    # notes about sections of the quarterly report this pack does not have are left out
    content.caveats = _caveats(content, pub, inputs.notes) + association.notes
    if unknown:
        content.caveats.append("Indicateurs du plan absents du catalogue (ignorés) : "
                               + ", ".join(unknown) + ".")
    return content


def build_evidence_pack(warehouse_target: str, evaluation_id: str, *, as_of: date | None = None,
                        output_dir: Path | str, k: int = DEFAULT_K, pdf: bool = True,
                        window_quarters: int = 12) -> EvidencePack:
    """Write the evidence pack of one evaluation of the plan under `output_dir/<id>/`.

    `as_of` is the run's date, printed as the generation date when it differs from the data's
    as-of date R (the marts' `as_of`, which is what the figures are). Raises
    `EvaluationNotFound` (French message listing the known ids) for an unknown id.
    """
    from reports.evidence.render import write_html, write_pdf, write_xlsx

    content = collect(str(warehouse_target), evaluation_id, k=k, generated_on=as_of,
                      window_quarters=window_quarters)
    folder = Path(output_dir) / _safe_name(evaluation_id)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"dossier_preuves_{_safe_name(evaluation_id)}_{content.as_of.isoformat()}"
    xlsx = write_xlsx(content, folder / f"{stem}.xlsx")
    html = write_html(content, folder / f"{stem}.html")
    pdf_path = write_pdf(html, folder / f"{stem}.pdf") if pdf else None
    log.info("dossier de preuves %s écrit dans %s", evaluation_id, folder)
    return EvidencePack(evaluation_id, content.as_of, xlsx, html, pdf_path)


def due_evaluations(warehouse_target: str) -> list[str]:
    """Ids of the evaluations that need a pack now (see `evaluations_needing_packs`)."""
    with connect(warehouse_target, read_only=True) as wh:
        return evaluations_needing_packs(wh)
