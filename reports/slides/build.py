"""The training deck (« présentation / formation ») on the Plan SEA and the tools, in French,
generated from the current data: one HTML page of 16:9 slides, printed one slide per PDF page
(CSS `@page`).

It reuses what the Plan SEA reads and computes (`reports.plan_sea`): the logframe, the
evaluation calendar, the learning tools and their rhythm, the action plan's resources. The
indicators' latest values are those of the last complete quarter for the whole association,
taken from the quarterly report's protected table (`build_publication`), so the deck never shows
a figure the report would withhold. Who does what is `roles.yml`. The hands-on exercise asks
questions on the data the team has in front of it, with the answers on the last slide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from common.quarters import Quarter, date_fr, last_complete_quarter
from common.warehouse import Warehouse, connect
from reports.disclosure import DEFAULT_K
from reports.formatting import number
from reports.guide.build import french_spacing
from reports.guide.figures import CurrentFigures
from reports.inputs import load_inputs
from reports.plan_sea import build as plan
from reports.plan_sea.data import PlanInputs, read_inputs
from reports.plan_sea.labels import antenna_fr, role_fr
from reports.publication import _target_display, build_publication

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLES_FILE = Path(__file__).resolve().parent / "roles.yml"
HTML_NAME, PDF_NAME = "presentation_plan_sea.html", "presentation_plan_sea.pdf"
# rows per slide, so that no slide overflows its page
LOGFRAME_ROWS, INDICATOR_ROWS, EVALUATION_ROWS = 4, 12, 6
_CSS_SLOT = "/* feuille de style */"
TASKS = (("saisit", "Saisit"), ("verifie", "Vérifie"), ("deroge", "Déroge"),
         ("valide", "Valide"), ("envoie", "Envoie"))


@dataclass(frozen=True)
class Deck:
    html: Path
    pdf: Path | None
    slides: int
    pages: int
    quarter: Quarter


def _chunks(rows: list, size: int) -> list[list]:
    """`rows` over as few slides as hold at most `size` each, evenly (10 + 9 + 9, not
    12 + 12 + 4: a slide with one lone row reads as a mistake)."""
    if not rows:
        return [[]]
    slides = -(-len(rows) // size)
    base, extra = divmod(len(rows), slides)
    out, start = [], 0
    for i in range(slides):
        end = start + base + (1 if i < extra else 0)
        out.append(rows[start:end])
        start = end
    return out


def read_roles(path: Path = ROLES_FILE) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        roles = yaml.safe_load(handle).get("roles", [])
    return [{"role": role_fr(r["role"]), **{key: r.get(key, "") for key, _ in TASKS}}
            for r in roles]


def indicator_values(warehouse: str, quarter: Quarter, k: int) -> list[dict]:
    """Each indicator of the quarter, whole association, as the quarterly report shows it."""
    inputs = load_inputs(warehouse, [Quarter(quarter.year, n)
                                     for n in range(1, quarter.number + 1)])
    pub = build_publication(inputs, quarter, k, trend_quarters=1)
    rows = []
    for ind in pub.indicators():
        fig = pub.figure(ind.code, record=False)
        if fig is None:
            continue
        status = fig.target_status(quarter.number)
        rows.append({"code": ind.code, "label": ind.label_fr, "value": fig.display(ind.unit),
                     "target": "" if fig.target is None else _target_display(fig.target,
                                                                             fig.kind),
                     "achievement": "" if fig.target is None else fig.achievement_display(),
                     "status": status.label if status else "", "css": status.css if status
                     else ""})
    return rows


def _lowest_quality(wh: Warehouse, as_of: date) -> dict | None:
    """The antenna with the lowest quality score over the last complete month (exercise)."""
    if not wh.table_exists("marts.data_quality_scorecard"):
        return None
    month = (pd.Timestamp(as_of).to_period("M") - 1).to_timestamp().date()
    rows = wh.fetchall("select antenna, quality_score from marts.data_quality_scorecard "
                       "where month_start = ? and quality_score is not null "
                       "order by quality_score, antenna limit 1", [month])
    if not rows:
        return None
    return {"month": month, "antenna": antenna_fr(rows[0][0]),
            "score": number(float(rows[0][1]) * 100, 1) + "\u00a0%",
            "perfect": float(rows[0][1]) >= 1.0}


def exercise(inputs: PlanInputs, indicators: list[dict], quarter: Quarter,
             lowest: dict | None) -> list[dict]:
    """Questions to answer with the dashboard, the report and the spreadsheets, each with its
    answer from the same data."""
    by_code = {r["code"]: r for r in indicators}
    questions = []
    if "ACT" in by_code:
        questions.append({
            "question": f"Dans le tableau de bord, choisissez {quarter.label_fr} et toute "
                        "l'association : quelle est la file active ?",
            "answer": f"{by_code['ACT']['value']} parcours ({by_code['ACT']['label']})."})
    if "SD_SORTIE" in by_code:
        row = by_code["SD_SORTIE"]
        answer = f"{row['value']}"
        answer += (f" pour une cible de {row['target']} : {row['status']}" if row["target"]
                   else " ; pas de cible pour ce trimestre")
        questions.append({
            "question": "Dans le rapport du trimestre (§ 2), quel est le taux de sorties "
                        "dynamiques, et la cible est-elle atteinte ?", "answer": answer + "."})
    if lowest:
        questions.append({
            "question": "Dans « Qualité des données par antenne », quelle antenne a le score le "
                        f"plus bas en {lowest['month'].strftime('%m/%Y')} ? Que corriger d'abord ?",
            "answer": f"{lowest['antenna']} ({lowest['score']}) ; la liste « À corriger en "
                      "priorité » donne les règles qui coûtent le plus." if not lowest["perfect"]
            else "Aucune : toutes les antennes sont à 100 % ce mois-là ; regardez les mois "
                 "précédents et la liste « À corriger en priorité »."})
    recs = plan.recommendation_summary(inputs)
    if recs.get("total"):
        questions.append({
            "question": "Combien de recommandations sont en retard ? Qui doit mettre à jour "
                        "leur statut, et dans quel tableur ?",
            "answer": f"{recs['overdue']} en retard sur {recs['open']} ouvertes ; la "
                      "chargée ou le chargé de suivi-évaluation, dans « recommandations »."})
    questions.append({
        "question": f"Dans le modèle « objectifs », saisissez une cible annuelle "
                    f"{quarter.year + 1} d'entrées pour votre antenne. Que mettre dans "
                    "« trimestre » et « financeur » ?",
        "answer": "Rien : vide pour une cible annuelle, vide pour un objectif de l'association."})
    return questions


def deck_context(warehouse: str, k: int = DEFAULT_K,
                 figures: CurrentFigures | None = None) -> dict:
    with connect(warehouse, read_only=True) as wh:
        inputs = read_inputs(wh)
        lowest = _lowest_quality(wh, inputs.as_of)
    quarter = last_complete_quarter(inputs.as_of)
    indicators = indicator_values(warehouse, quarter, k)
    evaluations = plan.evaluations(inputs)
    actions = plan.actions(inputs)
    charts = plan._charts([], evaluations, inputs.as_of)
    return {
        "as_of": date_fr(inputs.as_of), "quarter": quarter, "k": k,
        "programmes": plan._programme_list(inputs.programmes),
        "logframe": _chunks(plan.logframe(inputs), LOGFRAME_ROWS),
        "logframe_count": len(inputs.logframe),
        "indicators": _chunks(indicators, INDICATOR_ROWS),
        "indicator_count": len(inputs.catalogue),
        "evaluations": _chunks(evaluations, EVALUATION_ROWS), "evaluation_count":
        len(evaluations),
        "calendar": plan._svg_image(charts["evaluations"]) if "evaluations" in charts else "",
        "tools": plan.learning_tools(inputs), "resources": plan.resources(actions),
        "roles": read_roles(), "tasks": TASKS,
        "exercise": exercise(inputs, indicators, quarter, lowest),
        "figures": figures,
    }


def render_deck(context: dict) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["number"] = number
    css = (TEMPLATES / "slides.css").read_text(encoding="utf-8")
    # typography on the text only: the style sheet goes in after
    html = french_spacing(env.get_template("slides.html.j2").render(css=_CSS_SLOT, **context))
    return html.replace(_CSS_SLOT, css, 1)


def build_deck(warehouse: str, output_dir: Path, *, k: int = DEFAULT_K,
               figures: CurrentFigures | None = None, pdf: bool = True) -> Deck:
    """Write the deck's HTML and PDF into `output_dir`; returns the files and the counts."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    context = deck_context(str(warehouse), k, figures)
    html = render_deck(context)
    html_path = folder / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    slides = html.count('<section class="slide')
    if not pdf:
        return Deck(html_path, None, slides, 0, context["quarter"])
    from reports.pdf import write_pdf

    pages = write_pdf(folder / PDF_NAME, string=html, base_url=folder)
    return Deck(html_path, folder / PDF_NAME, slides, pages, context["quarter"])
