"""The collecteur export: the `.xlsx` workbook the Ministry of Labour receives (PIC IPR).

The layout belongs to the ministry and changes with its template, so everything about it — the
sheets, their layout, which catalogue indicator and breakdown goes in which column, headers,
labels, order — is read from a mapping file (`collecteur_mapping.yml` by default). This module
only knows how to lay out the two kinds of sheet the mapping can ask for, and refuses a mapping
that would leave a PIC indicator out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.quarters import date_fr
from reports import catalogue as labels
from reports.catalogue import Catalogue
from reports.disclosure import Suppressed, legend_fr
from reports.publication import ALL, Figure, Publication, category_label
from reports.targets import legend_lines

DEFAULT_MAPPING = Path(__file__).with_name("collecteur_mapping.yml")
MEASURES = ("value", "target", "achievement", "status")
LAYOUTS = ("long", "wide")
SCOPES = ("all", "programmes", "antennas", "total")
# `programme` and `antenna` are the names a reader knows (« SOCLE Femmes », « Bordeaux »);
# `programme_code` / `antenna_code` give the CRM codes, for a template that wants them beside.
KEY_FIELDS = ("programme", "antenna", "programme_code", "antenna_code", "breakdown", "value",
              "quarter")
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


class MappingError(ValueError):
    """The collecteur mapping is malformed or does not fit the catalogue."""


@dataclass(frozen=True)
class Column:
    indicator: str
    header: str
    breakdown: str | None = None  # wide layout only
    value: str | None = None
    # value (the figure), or the follow-up of its target: target, achievement, status
    measure: str = "value"


@dataclass(frozen=True)
class SheetSpec:
    name: str
    layout: str
    breakdown: str
    scopes: str
    values: dict[str, str] | None
    key_columns: tuple[tuple[str, str], ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class CollecteurMapping:
    path: Path
    sha256: str
    version: str
    title: str
    organisation: str
    required_breakdowns: tuple[str, ...]
    rate_format: str
    labels: dict[str, str]
    cover_sheet: str
    sheets: tuple[SheetSpec, ...] = field(default_factory=tuple)


def _req(obj: dict, key: str, where: str) -> Any:
    if key not in obj or obj[key] in (None, ""):
        raise MappingError(f"{where} : la clé « {key} » est obligatoire")
    return obj[key]


def load_mapping(path: Path | str | None = None) -> CollecteurMapping:
    """Read and shape-check a mapping file (catalogue checks come with `validate`)."""
    path = Path(path) if path else DEFAULT_MAPPING
    raw_bytes = path.read_bytes()
    try:
        raw = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as exc:
        raise MappingError(f"{path} : YAML illisible ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sheets"), list) or not raw["sheets"]:
        raise MappingError(f"{path} : le fichier doit contenir une liste « sheets » non vide")
    sheets = []
    for n, s in enumerate(raw["sheets"], 1):
        where = f"{path.name}, feuille {n}"
        layout = s.get("layout", "long")
        if layout not in LAYOUTS:
            raise MappingError(f"{where} : « layout » vaut l'une de {LAYOUTS}, pas {layout!r}")
        scopes = s.get("scopes", "all")
        if scopes not in SCOPES:
            raise MappingError(f"{where} : « scopes » vaut l'une de {SCOPES}, pas {scopes!r}")
        keys = []
        for kc in s.get("key_columns") or [{"field": "programme", "header": "Programme"},
                                           {"field": "antenna", "header": "Antenne"}]:
            fld = _req(kc, "field", where)
            if fld not in KEY_FIELDS:
                raise MappingError(f"{where} : une colonne clé vaut l'une de {KEY_FIELDS}, "
                                   f"pas {fld!r}")
            keys.append((fld, str(kc.get("header", fld))))
        cols = []
        for c in _req(s, "columns", where):
            measure = str(c.get("measure") or "value")
            if measure not in MEASURES:
                raise MappingError(f"{where} : « measure » vaut l'une de {MEASURES}, "
                                   f"pas {measure!r}")
            if measure != "value" and (c.get("value") or (c.get("breakdown") or "total")
                                       != "total" or (layout == "long"
                                                      and s.get("breakdown", "total")
                                                      != "total")):
                raise MappingError(f"{where} : un objectif ne porte que sur l'ensemble "
                                   "(pas de ventilation pour « measure: " + measure + " »)")
            cols.append(Column(str(_req(c, "indicator", where)).strip().upper(),
                               str(_req(c, "header", where)), c.get("breakdown"),
                               None if c.get("value") is None else str(c.get("value")),
                               measure))
            if layout == "long" and (c.get("breakdown") or c.get("value")):
                raise MappingError(f"{where} : dans une feuille « long », la ventilation est "
                                   "celle de la feuille, pas celle d'une colonne")
        values = s.get("values")
        sheets.append(SheetSpec(str(_req(s, "name", where))[:31], layout,
                                s.get("breakdown", "total"), scopes,
                                {str(k): str(v) for k, v in values.items()} if values else None,
                                tuple(keys), tuple(cols)))
    names = [s.name for s in sheets] + [raw.get("cover_sheet", "Informations")]
    if len(set(names)) != len(names):
        raise MappingError(f"{path.name} : deux feuilles portent le même nom : {names}")
    return CollecteurMapping(
        path=path, sha256=hashlib.sha256(raw_bytes).hexdigest(),
        version=str(raw.get("version", "")), title=str(raw.get("title", "Collecteur PIC IPR")),
        organisation=str(raw.get("organisation", "Action Emploi Réfugiés (AERé)")),
        required_breakdowns=tuple(raw.get("required_breakdowns") or ()),
        rate_format=str(raw.get("rate_format", "percent")),
        labels={"all_programmes": "Tous programmes", "all_antennas": "Toutes antennes",
                "not_computable": "–", **(raw.get("labels") or {})},
        cover_sheet=str(raw.get("cover_sheet", "Informations"))[:31],
        sheets=tuple(sheets),
    )


def _cells_of(mapping: CollecteurMapping) -> set[tuple[str, str]]:
    """(indicator, breakdown) pairs the workbook will contain."""
    out = set()
    for s in mapping.sheets:
        for c in s.columns:
            if c.measure != "value":
                continue  # a target column does not carry the indicator's figures
            out.add((c.indicator, (c.breakdown or "total") if s.layout == "wide" else s.breakdown))
    return out


def validate(mapping: CollecteurMapping, catalogue: Catalogue) -> None:
    """The workbook must carry every PIC indicator (and each disaggregated one in each required
    breakdown), and nothing that is not a PIC indicator: the ministry receives PIC data only."""
    problems = []
    mapped = _cells_of(mapping)
    for code, breakdown in sorted(mapped):
        ind = catalogue.get(code)
        if ind is None:
            problems.append(f"{code} n'est pas au catalogue des indicateurs")
        elif not ind.pic:
            problems.append(f"{code} n'est pas un indicateur PIC (pic = false au catalogue)")
        elif breakdown != "total" and not ind.disaggregated:
            problems.append(f"{code} n'est pas ventilé : pas de colonne par {breakdown}")
    for ind in catalogue.pic():
        needed = ["total"] + (list(mapping.required_breakdowns) if ind.disaggregated else [])
        for breakdown in needed:
            if (ind.code, breakdown) not in mapped:
                problems.append(f"l'indicateur PIC {ind.code} manque"
                                + ("" if breakdown == "total" else f" (par {breakdown})"))
    if problems:
        raise MappingError(f"correspondance du collecteur {mapping.path.name} : "
                           + " ; ".join(problems) + ". Corriger ce fichier.")


# -- writing -----------------------------------------------------------------------------------
def _scopes(pub: Publication, codes: list[str], which: str) -> list[tuple[str, str]]:
    found = set()
    for code in codes:
        for (p, a, d, _v) in pub.cubes.get((code, pub.quarter.code), {}):
            if d == "total":
                found.add((p, a))
    keep = {
        "all": lambda p, a: True,
        "programmes": lambda p, a: a == ALL,
        "antennas": lambda p, a: p == ALL,
        "total": lambda p, a: p == ALL and a == ALL,
    }[which]

    def order(s: tuple[str, str]) -> tuple:
        return tuple((0 if x == ALL else 1, x) for x in s)

    return sorted((s for s in found if keep(*s)), key=order)


def _write_target(cell, fig: Figure | None, measure: str, mapping: CollecteurMapping,
                  quarter_number: int) -> None:
    """A target column: the target (rates as the mapping's rate format), its achievement
    (withheld with the figure it was computed from) or its status, as the cover's legend says."""
    cell.alignment = Alignment(horizontal="right")
    if fig is None or fig.target is None:
        cell.value = None
        return
    if measure == "status":
        found = fig.target_status(quarter_number)
        cell.value = found.label if found is not None else None
        return
    if measure == "achievement":
        if isinstance(fig.achievement, Suppressed):
            cell.value = fig.achievement.display()
        elif fig.achievement is None:
            cell.value = mapping.labels["not_computable"]
        else:
            cell.value, cell.number_format = round(float(fig.achievement), 4), "0%"
        return
    target = float(fig.target)
    if fig.kind == "rate":  # rate targets are in %
        if mapping.rate_format == "points":
            cell.value, cell.number_format = target, "0.0"
        elif mapping.rate_format == "fraction":
            cell.value, cell.number_format = target / 100, "0.000"
        else:
            cell.value, cell.number_format = target / 100, "0.0%"
    else:
        cell.value = target
        cell.number_format = "0" if target.is_integer() else "0.0"


def _write_column(cell, fig: Figure | None, col: Column, pub: Publication,
                  mapping: CollecteurMapping) -> None:
    if col.measure == "value":
        _write_value(cell, fig, mapping)
    else:
        _write_target(cell, fig, col.measure, mapping, pub.quarter.number)


def _write_value(cell, fig: Figure | None, mapping: CollecteurMapping) -> None:
    if fig is None:
        cell.value = None
        return
    if isinstance(fig.value, Suppressed):
        cell.value = fig.value.display()
        cell.alignment = Alignment(horizontal="right")
        return
    if fig.value is None:
        cell.value = mapping.labels["not_computable"]
        cell.alignment = Alignment(horizontal="right")
        return
    v = float(fig.value)
    if fig.kind == "count":
        cell.value, cell.number_format = int(round(v)), "0"
    elif fig.kind == "rate":
        if mapping.rate_format == "points":
            cell.value, cell.number_format = round(v * 100, 1), "0.0"
        elif mapping.rate_format == "fraction":
            cell.value, cell.number_format = round(v, 4), "0.000"
        else:
            cell.value, cell.number_format = round(v, 4), "0.0%"
    else:
        cell.value = round(v, 1)
        cell.number_format = "0" if float(cell.value).is_integer() else "0.0"


def _header(ws, headers: list[str]) -> None:
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = _HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for i, h in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(h) * 0.9 + 2))


def _key_value(fld: str, pub: Publication, mapping: CollecteurMapping, scope: tuple[str, str],
               breakdown: str, value: str, label: str) -> str:
    p, a = scope
    return {
        "programme": mapping.labels["all_programmes"] if p == ALL else labels.programme_label(p),
        "antenna": mapping.labels["all_antennas"] if a == ALL else labels.antenna_label(a),
        "programme_code": p,
        "antenna_code": a,
        "breakdown": breakdown,
        "value": label,
        "quarter": pub.quarter.label_fr,
    }[fld]


def _write_sheet(ws, spec: SheetSpec, pub: Publication, mapping: CollecteurMapping) -> None:
    _header(ws, [h for _, h in spec.key_columns] + [c.header for c in spec.columns])
    scopes = _scopes(pub, sorted({c.indicator for c in spec.columns}), spec.scopes)
    if spec.layout == "wide":
        for scope in scopes:
            row = [_key_value(f, pub, mapping, scope, "total", "total", "")
                   for f, _ in spec.key_columns]
            ws.append(row)
            for j, col in enumerate(spec.columns, len(row) + 1):
                fig = pub.figure(col.indicator, None, *scope, col.breakdown or "total",
                                 col.value or "total")
                _write_column(ws.cell(ws.max_row, j), fig, col, pub, mapping)
        return
    if spec.breakdown == "total":
        values = [("total", category_label("total", "total"))]
    elif spec.values:
        values = list(spec.values.items())
    else:
        values = [(v, category_label(spec.breakdown, v))
                  for v in pub.categories.get(spec.breakdown, [])]
    for scope in scopes:
        for value, label in values:
            row = [_key_value(f, pub, mapping, scope, spec.breakdown, value, label)
                   for f, _ in spec.key_columns]
            ws.append(row)
            for j, col in enumerate(spec.columns, len(row) + 1):
                fig = pub.figure(col.indicator, None, *scope, spec.breakdown, value)
                _write_column(ws.cell(ws.max_row, j), fig, col, pub, mapping)


def _cover(ws, pub: Publication, mapping: CollecteurMapping, *, as_of: date, version: int,
           created_at: datetime, notes: list[str]) -> None:
    q = pub.quarter
    ws["A1"] = mapping.title
    ws["A1"].font = Font(bold=True, size=14)
    rows = [
        ("Organisation", mapping.organisation),
        ("Trimestre", f"{q.label_fr} (du {date_fr(q.start)} au {date_fr(q.end)})"),
        ("Données arrêtées au (date R)", date_fr(as_of)),
        ("Version de la livraison", f"v{version}"),
        ("Produit le", created_at.strftime("%d/%m/%Y %H:%M UTC")),
        ("Seuil du secret statistique (k)", pub.k),
        ("Table de correspondance", f"{mapping.path.name} (version {mapping.version})"),
        ("Taux", {"percent": "en pourcentage", "points": "en points de pourcentage",
                  "fraction": "en fraction (0 à 1)"}.get(mapping.rate_format, "")),
    ]
    r = 3
    for label, value in rows:
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 2, value)
        r += 1
    r += 1
    ws.cell(r, 1, "Légende").font = Font(bold=True, size=12)
    r += 1
    for symbol, meaning in legend_fr(pub.k):
        ws.cell(r, 1, symbol).alignment = Alignment(horizontal="right")
        ws.cell(r, 2, meaning)
        r += 1
    if any(c.measure != "value" for spec in mapping.sheets for c in spec.columns):
        r += 1
        ws.cell(r, 1, "Statut des objectifs").font = Font(bold=True, size=12)
        for line in legend_lines(q.number, q.label_fr):
            r += 1
            ws.cell(r, 2, line)
        r += 1
    if notes:
        r += 1
        ws.cell(r, 1, "Notes").font = Font(bold=True, size=12)
        for note in notes:
            r += 1
            ws.cell(r, 2, note)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 110


def write_collecteur(pub: Publication, mapping: CollecteurMapping, path: Path, *, as_of: date,
                     version: int, created_at: datetime, notes: list[str] | None = None) -> Path:
    """Write the workbook; every figure written is recorded in the publication."""
    validate(mapping, pub.catalogue)
    wb = Workbook()
    cover = wb.active
    cover.title = mapping.cover_sheet
    _cover(cover, pub, mapping, as_of=as_of, version=version, created_at=created_at,
           notes=notes or [])
    for spec in mapping.sheets:
        _write_sheet(wb.create_sheet(spec.name), spec, pub, mapping)
    wb.properties.title = f"{mapping.title} — {pub.quarter.label_fr}"
    wb.properties.creator = "sea"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
