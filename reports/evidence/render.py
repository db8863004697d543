"""Rendering an evidence pack: HTML (Jinja2), PDF (weasyprint, from that HTML) and xlsx.

The three outputs are drawn from the same `EvidenceContent`, whose figures are already
protected: a renderer never sees an exact withheld value, only its marker.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.quarters import date_fr
from reports.catalogue import list_labels
from reports.charts import line_chart
from reports.disclosure import Suppressed
from reports.evidence.build import EvidenceContent
from reports.evidence.figures import Series
from reports.formatting import number
from reports.plan_sea.labels import DAC_CRITERIA_FR, antenna_fr, programme_fr, role_fr, scope_fr
from reports.targets import BASIS_FR, legend_lines

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment(*extra: Path) -> Environment:
    """The Jinja2 environment of the learning documents (evidence packs, Plan SEA)."""
    env = Environment(loader=FileSystemLoader([str(p) for p in (*extra, TEMPLATES)]),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(
        date_fr=lambda d: date_fr(d) if d else "",
        short_date=lambda d: d.strftime("%d/%m/%Y") if d else "",
        role_fr=role_fr, programme_fr=programme_fr, antenna_fr=antenna_fr,
        number=lambda v, decimals=0: number(v, decimals) if v is not None else "–",
    )
    env.globals.update(scope_fr=scope_fr, dac=DAC_CRITERIA_FR,
                       dq_dimensions=list_labels("dq_dimension"))
    return env


def _chart(series: Series) -> str | None:
    """A line of the published values with the targets, or None when nothing is shown."""
    values = [p.value for p in series.points]
    if all(v is None for v in values):
        return None
    lines = {"Valeur publiée": values}
    if series.has_targets:
        lines["Cible"] = series.targets()
    labels = [f"T{q.number}\n{q.year}" for q in (p.quarter for p in series.points)]
    return line_chart(labels, lines, percent=series.indicator.type == "rate")


def write_html(content: EvidenceContent, path: Path) -> Path:
    charts = {s.indicator.code: _chart(s) for s in content.series}
    if content.delay is not None and content.delay.indicator.code not in charts:
        charts[content.delay.indicator.code] = _chart(content.delay)
    html = environment().get_template("evidence.html.j2").render(
        c=content, charts=charts, target_legend=legend_lines())
    path.write_text(html, encoding="utf-8")
    return path


def write_pdf(html_path: Path, path: Path) -> Path:
    from reports.pdf import write_pdf as paginate

    paginate(path, filename=html_path, base_url=html_path.parent)
    return path


# -- the workbook ------------------------------------------------------------------------------
_HEADER = Font(bold=True, color="FFFFFF")
_FILL = PatternFill("solid", fgColor="1F4E79")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[object]],
           widths: list[int]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = _HEADER, _FILL, _WRAP
    for row in rows:
        sheet.append(row)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = _WRAP
    sheet.freeze_panes = "A2"


def _marker(value: object) -> str:
    """What a withheld or missing figure shows instead of a number."""
    if isinstance(value, Suppressed):
        return value.display()
    return "–" if value is None else ""


# number formats by indicator type: a figure stays a number a reader can compute with (the
# thousands separator follows the reader's locale: a space in French Excel)
_FORMATS = {"count": "#,##0", "sum": '#,##0" h"', "rate": "0.0%", "median": '0" j"',
            "ratio": "0%", "cost": '#,##0" €"'}


def _number(cell, value: object, kind: str) -> None:
    """Write a number with its format, or the marker (text) of a withheld figure."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = float(value)
        cell.number_format = _FORMATS.get(kind, "General")
        cell.alignment = Alignment(horizontal="right", vertical="top")
    else:
        cell.value = _marker(value) if not isinstance(value, str) else value
        cell.alignment = Alignment(horizontal="right", vertical="top")


def _indicator_rows(content: EvidenceContent) -> list[tuple[list[object], dict[int, tuple]]]:
    """Rows of the Indicateurs sheet, and the number cells of each (column -> value, kind)."""
    out = []
    for s in content.series:
        kind = s.indicator.type
        for p in s.points:
            fig = p.figure
            value = None if fig is None else fig.value
            has_target = fig is not None and fig.target is not None
            withheld = _marker(value) if isinstance(value, Suppressed) else ""
            basis = BASIS_FR.get(fig.basis or "quarter", "") if has_target else ""
            compared = fig.compared if has_target and fig.ytd else None
            if has_target and fig.ytd and isinstance(fig.achievement, Suppressed):
                compared = fig.achievement
            row = [s.indicator.code, s.indicator.label_fr, scope_fr(s.programme, s.antenna),
                   p.quarter.label_fr, None, withheld, None, basis, None, None,
                   s.status_label(p)]
            numbers = {5: (value, kind)}
            if has_target:
                numbers[7] = (s.target_number(p), kind)
                numbers[10] = (fig.achievement, "ratio")
                if fig.ytd:
                    numbers[9] = (compared, kind)
            out.append((row, numbers))
    return out


def _figure_sheet(book: Workbook, title: str, tables: list) -> None:
    """One row per indicator, scope and period of protected figure tables (numbers stay
    numbers; a withheld figure is its marker)."""
    rows: list[list[object]] = []
    numbers: list[tuple[object, str]] = []
    for t in tables:
        for key, label in t.rows:
            for p in t.periods:
                rows.append([t.label, label, p.label, None])
                numbers.append((t.cells.get((key, p.key)), t.kind))
    _sheet(book, title, ["Indicateur", "Périmètre", "Période", "Valeur"], rows, [40, 44, 14, 14])
    sheet = book[title]
    for r, (value, kind) in enumerate(numbers, start=2):
        _number(sheet.cell(r, 4), value, kind)


def _association_sheets(book: Workbook, content: EvidenceContent) -> None:
    """Costs (efficience) and the participants' voice (pertinence, impact), when the
    evaluation examines them."""
    a = content.association
    if a.shows_costs:
        _figure_sheet(book, "Efficience", a.costs)
    if a.shows_voice:
        _figure_sheet(book, "Parole des participants", a.voice)
        _sheet(book, "Témoignages", ["Date", "Thème", "Témoignage (anonymisé, consenti)"],
               [[t["date"], t["theme"], t["text"]] for t in a.testimonies], [12, 18, 100])


def write_xlsx(content: EvidenceContent, path: Path) -> Path:
    e = content.evaluation
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Évaluation", ["Rubrique", "Contenu"], [
        ["Évaluation", e.evaluation_id],
        ["Périmètre", scope_fr(e.programme, e.antenna)],
        ["Type", e.type_label], ["Mode", e.mode_label],
        ["Fenêtre prévue", f"du {e.planned_start:%d/%m/%Y} au {e.planned_end:%d/%m/%Y}"],
        ["Statut", e.status_label],
        ["Date d'arrêté des données (R)", content.as_of.strftime("%d/%m/%Y")],
        ["Période couverte", content.period_label],
        ["Seuil du secret statistique (k)", content.k],
        ["Critères (CAD de l'OCDE)", ", ".join(label for _, label in e.criteria)],
        *[[f"Question {n}", q] for n, q in enumerate(e.questions, start=1)],
    ], [32, 100])
    indicator_rows = _indicator_rows(content)
    _sheet(book, "Indicateurs", ["Code", "Indicateur", "Périmètre", "Trimestre", "Valeur",
                                 "Secret statistique", "Cible", "Nature de la cible",
                                 "Cumul annuel comparé à la cible", "Atteinte", "Statut"],
           [row for row, _ in indicator_rows], [12, 44, 30, 11, 12, 12, 12, 30, 16, 10, 16])
    sheet = book["Indicateurs"]
    for r, (_, numbers) in enumerate(indicator_rows, start=2):
        for column, (value, kind) in numbers.items():
            _number(sheet.cell(r, column), value, kind)
    cohorts = content.cohorts
    _sheet(book, "Cohortes", ["Trimestre de sortie", *[h for _, h, _ in cohorts.columns]],
           [[label] for _, label in cohorts.rows], [24] + [16] * len(cohorts.columns))
    sheet = book["Cohortes"]
    for r, (key, _label) in enumerate(cohorts.rows, start=2):
        for c, (code, _h, kind) in enumerate(cohorts.columns, start=2):
            _number(sheet.cell(r, c), cohorts.cells.get((code, key)), kind)
    delay_rows: list[tuple[str, object]] = []
    if content.delay is not None:
        delay_rows += [(p.quarter.label_fr, None if p.figure is None else p.figure.value)
                       for p in content.delay.points]
    delay_rows += [(f"Année {y.label}",
                    y.value if y.shown else Suppressed("primary", "median", content.k))
                   for y in content.delay_years]
    _sheet(book, "Délai d'accès à l'emploi", ["Période", "Délai médian (jours)"],
           [[label] for label, _ in delay_rows], [30, 22])
    sheet = book["Délai d'accès à l'emploi"]
    for r, (_, value) in enumerate(delay_rows, start=2):
        _number(sheet.cell(r, 2), value, "median")
    _association_sheets(book, content)
    _sheet(book, "Statut des objectifs", ["Règle"],
           [[line] for line in legend_lines()], [120])
    _sheet(book, "Précautions", ["Précaution de lecture"], [[n] for n in content.caveats], [120])
    _sheet(book, "Enseignements", ["ID", "Date", "Type", "Périmètre", "Titre", "Contexte",
                                   "Constats", "Enseignements", "Indicateurs"],
           [[x["id"], x["date"], x["type"], scope_fr(x["programme"], x["antenna"]), x["title"],
             x["context"], x["findings"], x["lessons"], ", ".join(x["indicators"])]
            for x in content.learning.lessons], [10, 12, 22, 28, 36, 50, 50, 50, 22])
    _sheet(book, "Recommandations", ["ID", "Source", "Recommandation", "Responsable", "Priorité",
                                     "Échéance", "Statut", "En retard",
                                     "Sans évolution depuis 90 jours", "Dernier changement"],
           [[r["id"], r["source_id"], r["text"], role_fr(r["owner_role"]), r["priority"],
             r["due_date"], r["status"], "oui" if r["is_overdue"] else "",
             "oui" if r["is_stale"] else "", r["last_change"]]
            for r in content.learning.recommendations],
           [10, 22, 60, 28, 10, 12, 12, 10, 16, 16])
    _sheet(book, "Légende", ["Symbole", "Signification"],
           [[sym, text] for sym, text in content.legend], [10, 110])
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if hasattr(cell.value, "year") and not isinstance(cell.value, str):
                    cell.number_format = "DD/MM/YYYY"
    book.save(path)
    return path
