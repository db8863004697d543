"""Collection templates: one blank workbook per spreadsheet kind, written from `kinds.py`.

Staff who type into a template cannot type what the loader would quarantine for a closed list:
every column whose values are listed (the `code_lists` seed, the programmes, antennas and axes
seeds, the indicator catalogue, yes/no, quarters) gets a drop-down list, dates a date check and
numbers a range check. The headers are the kind's own (`Kind.headers`, in its order), required
ones in bold; a second sheet, `Aide`, explains each column in French and holds the lists the
drop-downs point to. See `docs/spreadsheets.md#collection-templates`.

Nothing here knows a kind by name: headers, types, ranges and lists come from `KINDS`; only the
French meaning of each column is written here (`MEANINGS`), and a missing one fails loudly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from common.code_lists import code_labels, labels
from connectors.sheets.kinds import AXES_CSV, HELP_SHEET, KINDS, Column, Kind
from connectors.sheets.names import normalise_name
from connectors.sheets.values import ALL_CODE, parse_choice

DATA_ROWS = 5000  # rows (after the header) that carry the drop-downs and checks
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the dates a date cell accepts
LIST_FIRST_COLUMN = 8  # the help sheet's lists start in column H, right of the help table
PROGRAMMES_CSV = AXES_CSV.parent / "programme_reference.csv"
ALL_PROGRAMMES, ALL_ANTENNAS = "TOUS", "TOUTES"
YES_NO = ("oui", "non")
QUARTERS = ("T1", "T2", "T3", "T4")

REQUIRED_FILL = PatternFill("solid", fgColor="FFE2EFDA")
HEADER_FILL = PatternFill("solid", fgColor="FFF2F2F2")
TITLE_FONT = Font(bold=True, size=13)
WRAP = Alignment(wrap_text=True, vertical="top")


# -- what each column means, in French -------------------------------------------------------------
# By header, for the headers several kinds share with one meaning; then by kind for the rest. A
# column with no meaning here stops the writer (and the test), so a new header cannot ship
# without its help line.
SHARED_MEANINGS: dict[str, str] = {
    "programme": "Programme concerné.",
    "antenne": "Antenne concernée.",
    "id_crm": "Identifiant de la personne dans le CRM (tel qu'affiché dans sa fiche).",
    "responsable": "Rôle qui en a la charge (ex. Direction, Responsable antenne, "
                   "Chargé suivi-évaluation).",
    "priorite": "Niveau de priorité.",
    "indicateurs": "Codes des indicateurs du catalogue concernés, séparés par des virgules "
                   "(ex. ENT, SD_SORTIE).",
    "annee": "Année (ex. 2026).",
    "trimestre": "Trimestre ; laisser vide pour une ligne qui vaut pour l'année entière.",
    "financeur": "Code du financeur, écrit comme dans le tableau « financements » "
                 "(ex. PIC_IPR).",
}
MEANINGS: dict[str, dict[str, str]] = {
    "objectifs": {
        "indicateur": "Indicateur visé, par son code du catalogue.",
        "programme": "Programme visé, ou TOUS pour l'ensemble des programmes.",
        "antenne": "Antenne visée, ou TOUTES pour l'ensemble des antennes.",
        "trimestre": "Trimestre visé ; laisser vide pour un objectif annuel.",
        "cible": "La cible : un nombre, une somme, des jours, ou un taux (55, 0,55 ou 55 %).",
        "financeur": "Pour une cible propre au rapport d'un financeur : son code, écrit comme "
                     "dans le tableau « financements ». Vide : cible de l'association.",
    },
    "emargements": {
        "date": "Jour de la séance.",
        "antenne": "Antenne où a lieu la séance (pour information).",
        "atelier": "Intitulé de l'atelier.",
        "nom": "Nom de la personne, pour s'y retrouver : jamais repris par le système.",
        "present": "La personne était-elle présente ?",
        "duree_minutes": "Durée de la séance en minutes ; vide : 120 minutes.",
    },
    "suivi_post_parcours": {
        "id_crm": "Identifiant CRM de la personne appelée.",
        "date_contact": "Date de l'appel.",
        "joint": "La personne a-t-elle été jointe ?",
        "situation": "Situation de la personne au moment de l'appel.",
        "type_contrat": "Pour un emploi : le type de contrat.",
        "date_debut": "Date de début de la situation (obligatoire pour un emploi, une formation "
                      "ou une création d'entreprise).",
        "date_fin": "Date de fin prévue de la situation, si elle est connue.",
        "type_formation": "Pour une formation : son type.",
    },
    "capitalisation": {
        "id": "Identifiant de la fiche, unique (ex. CAP-01).",
        "date": "Date de la fiche.",
        "type": "Type de fiche.",
        "programme": "Programme concerné, ou TOUS.",
        "antenne": "Antenne concernée, ou TOUTES.",
        "titre": "Titre de la fiche.",
        "contexte": "Le contexte : ce qui a été observé et où.",
        "constats": "Les constats.",
        "enseignements": "Les enseignements à retenir.",
    },
    "recommandations": {
        "id": "Identifiant de la recommandation, unique (ex. REC-01).",
        "source_id": "Identifiant de la fiche de capitalisation ou de l'évaluation dont elle "
                     "vient.",
        "recommandation": "La recommandation.",
        "echeance": "Date à laquelle elle doit être mise en œuvre.",
        "statut": "Où en est la recommandation.",
        "date_statut": "Date du dernier changement de statut.",
    },
    "plan_evaluation": {
        "id": "Identifiant de l'évaluation, unique (ex. EVAL-2026-SOCLE-INT).",
        "programme": "Programme évalué, ou TOUS.",
        "antenne": "Antenne concernée, ou TOUTES.",
        "type": "Type d'évaluation.",
        "mode": "Conduite en interne ou par un évaluateur externe.",
        "debut_prevu": "Début prévu de l'évaluation.",
        "fin_prevue": "Fin prévue de l'évaluation.",
        "criteres": "Critères du CAD de l'OCDE examinés, séparés par des virgules.",
        "questions": "Questions évaluatives, une par ligne (Alt+Entrée dans la cellule).",
        "indicateurs": "Codes des indicateurs du catalogue qui y répondent, séparés par des "
                       "virgules.",
        "statut": "Où en est l'évaluation.",
    },
    "plan_action": {
        "id": "Identifiant de l'action, unique (ex. PA-01).",
        "action": "L'action prévue.",
        "axe": "Volet du plan de suivi-évaluation.",
        "contributeurs": "Rôles qui y contribuent, séparés par des virgules.",
        "debut": "Date de début.",
        "fin": "Date de fin.",
        "statut": "Où en est l'action (ex. Prévu, En cours, Fait, Abandonné).",
        "budget_eur": "Budget prévu, en euros.",
        "jours_homme": "Temps prévu, en jours de travail.",
    },
    "communication": {
        "id": "Identifiant de l'action, unique (ex. COM-001).",
        "date": "Date de l'action ; pour une campagne, son premier jour.",
        "date_fin": "Pour une campagne : son dernier jour (pas avant la date de l'action).",
        "type": "Type d'action.",
        "antenne": "Antenne qui la mène, ou TOUTES.",
        "public": "Public visé.",
        "titre": "Titre de l'action (sans coordonnées de personnes).",
        "personnes_touchees": "Nombre de personnes touchées ; laisser vide s'il n'est pas connu "
                              "(vide ne veut pas dire 0).",
        "entreprises_touchees": "Nombre d'entreprises touchées ; laisser vide s'il n'est pas "
                                "connu.",
        "lien": "Lien ou référence d'un document.",
    },
    "jalons": {
        "id": "Identifiant du jalon, unique (ex. ESS-NAN-1).",
        "axe": "Axe du projet auquel le jalon appartient.",
        "jalon": "Ce qui doit être atteint.",
        "territoire": "Code du territoire (ex. NANTES) ; obligatoire pour un jalon d'essaimage.",
        "etape": "Pour l'essaimage : l'étape que le jalon marque.",
        "date_prevue": "Date à laquelle le jalon doit être atteint.",
        "date_reelle": "Date à laquelle le jalon a été atteint ; vide tant qu'il ne l'est pas "
                       "(obligatoire pour le statut « atteint »).",
        "statut": "Où en est le jalon.",
    },
    "financements": {
        "financeur": "Code du financeur, court et stable (ex. PIC_IPR, FONDATION_AVENIR).",
        "nom": "Nom du financeur, tel qu'il doit être imprimé.",
        "type": "Financeur public ou privé.",
        "convention": "Référence de la convention de financement.",
        "debut": "Début de la période couverte par la convention.",
        "fin": "Fin de la période couverte (pas avant le début).",
        "programmes": "Programmes financés, séparés par des virgules, ou TOUS.",
        "antennes": "Antennes financées, séparées par des virgules, ou TOUTES.",
        "axes": "Axes financés (codes ou numéros, séparés par des virgules) ; vide : les axes "
                "des programmes financés.",
        "montant_eur": "Montant accordé, en euros.",
        "indicateurs": "Codes des indicateurs que le financeur suit, séparés par des virgules.",
        "frequence": "Fréquence des rapports au financeur ; vide : annuelle.",
    },
    "budget": {
        "axe": "Axe du projet de la ligne budgétaire.",
        "programme": "Programme de la ligne ; vide ou TOUS : tous les programmes.",
        "antenne": "Antenne de la ligne ; vide ou TOUTES : toutes les antennes.",
        "financeur": "Code du financeur qui porte la ligne (comme dans « financements ») ; "
                     "vide si aucun.",
        "budget_eur": "Montant budgété, en euros (négatif : une correction).",
        "depense_eur": "Montant dépensé, en euros. Remplir au moins l'un des deux montants.",
    },
    "satisfaction": {
        "date": "Date de la réponse.",
        "programme": "Programme de la personne qui répond, ou TOUS.",
        "antenne": "Antenne de la personne qui répond, ou TOUTES.",
        "moment": "Moment du questionnaire.",
        "note_globale": "Satisfaction générale, de 1 (pas du tout satisfait) à 5 (très "
                        "satisfait).",
        "accueil": "Note de l'accueil, de 1 à 5 ; vide : pas de réponse.",
        "ateliers": "Note des ateliers, de 1 à 5 ; vide : pas de réponse.",
        "accompagnement_individuel": "Note de l'accompagnement individuel, de 1 à 5 ; vide : "
                                     "pas de réponse.",
        "recommande": "Recommanderait-elle l'association ? Vide : pas de réponse (ce n'est pas "
                      "« non »).",
        "commentaire": "Commentaire libre de la personne (reste dans les données brutes).",
        "id_crm": "À laisser vide : le questionnaire est anonyme.",
    },
    "retours": {
        "id": "Identifiant du retour, unique (ex. RET-001).",
        "date_reception": "Date de réception.",
        "canal": "Par quel moyen le retour est arrivé.",
        "type": "Nature du retour.",
        "categorie": "Sujet du retour.",
        "programme": "Programme concerné ; vide ou TOUS : tous.",
        "antenne": "Antenne concernée ; vide ou TOUTES : toutes.",
        "emetteur": "Qui a émis le retour.",
        "date_reponse": "Date de la première réponse (pas avant la réception).",
        "statut": "Où en est le traitement.",
        "description": "Le retour, tel que reçu (reste dans les données brutes).",
        "suite_donnee": "La suite donnée (reste dans les données brutes).",
    },
    "temoignages": {
        "id": "Identifiant du témoignage, unique (ex. TEM-01).",
        "date": "Date du témoignage.",
        "programme": "Programme de la personne.",
        "antenne": "Antenne de la personne.",
        "texte": "Le témoignage, anonymisé (ni nom, ni lieu d'origine).",
        "consentement": "Consentement écrit à la publication, conservé au dossier ? Vide : non.",
        "date_consentement": "Date de ce consentement (sans elle, le témoignage n'est pas "
                             "publié).",
        "theme": "Mot-clé libre (ex. premier emploi).",
    },
}


def meaning(kind: Kind, column: Column) -> str:
    """The column's French meaning; a column without one is a gap of this module."""
    text = MEANINGS.get(kind.name, {}).get(column.header) or SHARED_MEANINGS.get(column.header)
    if text is None:
        raise KeyError(f"no French meaning for {kind.name}.{column.header} in "
                       "connectors/sheets/templates.py (MEANINGS)")
    return text


# -- the reference data the lists come from ------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """Codes and French labels of the open lists (programmes, antennas, axes, indicators)."""

    programmes: Mapping[str, str]
    antennas: Mapping[str, str]
    axes: Mapping[str, str]  # in the axes' order: axis n is the n-th
    indicators: Mapping[str, str]  # empty: the catalogue is not known, no list


def catalogue_labels(path: Path) -> dict[str, str]:
    """`{indicator code: French label}` of an indicator catalogue file, in display order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["display_order"] or 0))
    return {r["indicator_code"]: r["label_fr"] for r in rows}


def reference_data(indicators: Mapping[str, str] | None = None) -> Reference:
    """The seeds' programmes (`programme_reference`), antennas (`code_lists`) and axes."""
    with PROGRAMMES_CSV.open(encoding="utf-8", newline="") as handle:
        programmes = {r["programme"].strip().upper(): r["label_fr"]
                      for r in csv.DictReader(handle)}
    antennas = {code: label for code, label in labels("antenna").items()
                if code not in (ALL_CODE, ALL_ANTENNAS)}
    with AXES_CSV.open(encoding="utf-8", newline="") as handle:
        axes = {r["axis"]: r["label_fr"]
                for r in sorted(csv.DictReader(handle), key=lambda r: int(r["axis_order"]))}
    return Reference(programmes, antennas, axes, dict(indicators or {}))


# -- what a column's drop-down offers ------------------------------------------------------------
@dataclass(frozen=True)
class Choices:
    """A drop-down: the entries offered (each read by the loader as the code it stands for)."""

    entries: tuple[str, ...]
    help: tuple[str, ...]  # one French line per entry for the help sheet
    strict: bool = True  # False: a value outside the list is warned about, not refused


def _code_list_name(choices: tuple[str, ...]) -> str:
    """The `code_lists` list whose codes are exactly the column's (the first one, in file order)."""
    for name, listed in code_labels().items():
        if tuple(listed) == choices:
            return name
    raise KeyError(f"no list of code_lists.csv has the codes {', '.join(choices)}")


def _closed_list(choices: tuple[str, ...]) -> Choices:
    """The French labels when the loader reads every one of them as its code, else the codes:
    one form per list, never a mix."""
    named = labels(_code_list_name(choices))
    by_label = all(_reads_as(label, code, choices) for code, label in named.items())
    if by_label:
        return Choices(tuple(named.values()), tuple(named.values()))
    return Choices(tuple(named), tuple(f"{code} : {label}" for code, label in named.items()))


def _reads_as(entry: str, code: str, choices: tuple[str, ...]) -> bool:
    try:
        return parse_choice(entry, choices) == code
    except ValueError:
        return False


def _with_all(codes: Mapping[str, str], word: str, column: Column) -> Choices:
    entries = tuple(codes) + ((word,) if column.allow_all else ())
    shown = tuple(f"{c} : {label}" for c, label in codes.items())
    every = {ALL_PROGRAMMES: "tous les programmes", ALL_ANTENNAS: "toutes les antennes"}[word]
    return Choices(entries, shown + ((f"{word} : {every}",) if column.allow_all else ()))


def column_choices(column: Column, reference: Reference) -> Choices | None:
    """The drop-down of one column, or None when its values are free or a comma list."""
    kind_of_cell = column.type
    if kind_of_cell == "choice":
        return _closed_list(column.choices)
    if kind_of_cell in ("boolean", "optional_boolean"):
        return Choices(YES_NO, YES_NO)
    if kind_of_cell == "quarter":
        return Choices(QUARTERS, tuple(f"{q} : {n}e trimestre" if n > 1 else
                                       f"{q} : 1er trimestre"
                                       for n, q in enumerate(QUARTERS, start=1)))
    if kind_of_cell == "axis":
        allowed = column.choices or tuple(reference.axes)
        numbers = {code: n for n, code in enumerate(reference.axes, start=1)}
        return Choices(allowed, tuple(f"{c} (axe {numbers[c]}) : {reference.axes[c]}"
                                      for c in allowed))
    if kind_of_cell == "indicator" and reference.indicators:
        return Choices(tuple(reference.indicators),
                       tuple(f"{c} : {label}" for c, label in reference.indicators.items()))
    if kind_of_cell == "open_code":
        # Programmes and antennas are reference data: a code outside the seed is refused. A
        # territory may be studied before it is an antenna: outside the list is only warned.
        if column.header == "programme":
            return _with_all(reference.programmes, ALL_PROGRAMMES, column)
        if column.header == "antenne":
            return _with_all(reference.antennas, ALL_ANTENNAS, column)
        if column.header == "territoire":
            found = _with_all(reference.antennas, ALL_ANTENNAS, column)
            return Choices(found.entries, found.help, strict=False)
    return None


def must_stay_empty(kind: Kind, column: Column) -> bool:
    """A personal column the kind only watches for (`satisfaction.id_crm`: anonymous survey)."""
    return column.type == "personal" and (f"{column.header}_filled", "boolean") in kind.derived


# -- French help texts ---------------------------------------------------------------------------
def _range_text(column: Column) -> str:
    if column.low is not None and column.high is not None:
        return f"nombre entier de {column.low} à {column.high}"
    if column.low is not None:
        return f"nombre entier, {column.low} ou plus"
    return "nombre entier"


def format_text(kind: Kind, column: Column, choices: Choices | None = None) -> str:
    """How the cell is written, in French (the help sheet's « Format » column)."""
    if must_stay_empty(kind, column):
        return "ne rien saisir"
    if column.type == "open_code" and choices is not None:
        return ("une valeur de la liste" if choices.strict else
                "un code de la liste, ou un autre code en majuscules (lettres sans accent, "
                "chiffres, _)")
    texts = {
        "text": "texte libre",
        "date": "date (JJ/MM/AAAA)",
        "boolean": "oui ou non (liste) ; vide vaut non",
        "optional_boolean": "oui ou non (liste) ; vide : pas de réponse",
        "number": "nombre (virgule décimale acceptée)",
        "integer": _range_text(column),
        "quarter": "T1 à T4 (liste) ; vide : l'année entière",
        "target": "nombre positif ; un taux s'écrit 55, 0,55 ou 55 %",
        "choice": "une valeur de la liste",
        "choice_list": "une ou plusieurs valeurs de la liste, séparées par des virgules",
        "open_code": "code en majuscules (lettres sans accent, chiffres, _)",
        "indicator": "code d'indicateur du catalogue (liste)",
        "indicator_list": "codes d'indicateurs du catalogue, séparés par des virgules",
        "name_code": "texte court",
        "name_code_list": "textes courts, séparés par des virgules",
        "participant": "identifiant CRM",
        "scope_list": "codes séparés par des virgules, ou "
                      f"{ALL_PROGRAMMES if column.header == 'programmes' else ALL_ANTENNAS} "
                      "seul",
        "axis": "axe : code ou numéro (liste)",
        "axis_list": "codes ou numéros d'axes, séparés par des virgules",
        "personal": "texte libre",
    }
    text = texts[column.type]
    if column.type == "open_code" and column.allow_all:
        text += " ; TOUS / TOUTES pour l'ensemble"
    if column.default is not None and column.type != "open_code":
        shown = f"{column.default:g}" if isinstance(column.default, float) else column.default
        text += f" ; vide : {shown}"
    return text


def allowed_text(column: Column, choices: Choices | None, reference: Reference) -> str:
    """The values a column accepts, by label (the help sheet's last column)."""
    if choices is not None:
        return "\n".join(choices.help)
    if column.type == "choice_list":
        return "\n".join(_closed_list(column.choices).help)
    if column.type == "axis_list":
        return "\n".join(f"{c} (axe {n}) : {label}"
                         for n, (c, label) in enumerate(reference.axes.items(), start=1))
    if column.type == "scope_list":
        known = (reference.programmes if column.header == "programmes" else reference.antennas)
        return ", ".join((*known, ALL_PROGRAMMES if column.header == "programmes"
                          else ALL_ANTENNAS))
    if column.type == "indicator_list":
        return ", ".join(reference.indicators)
    return ""


# -- writing -------------------------------------------------------------------------------------
def _validation(kind: Kind, column: Column, choices: Choices | None,
                list_range: str | None) -> DataValidation | None:
    """The Excel check of one column, with a French message when it refuses a value."""
    header = column.header[:32]
    if must_stay_empty(kind, column):
        check = DataValidation(type="textLength", operator="equal", formula1="0")
        check.error = "Le questionnaire est anonyme : ne saisissez pas d'identifiant."
    elif choices is not None and list_range is not None:
        check = DataValidation(type="list", formula1=list_range, allow_blank=True)
        if choices.strict:
            check.error = ("Valeur hors liste : choisissez-la dans la liste déroulante "
                           "(voir l'onglet Aide).")
        else:
            check.errorStyle = "warning"
            check.error = ("Ce code n'est pas dans la liste de référence : vérifiez-le "
                           "(majuscules sans accent, chiffres et _).")
    elif column.type == "date":
        check = DataValidation(type="date", operator="between",
                               formula1=f"DATE({FIRST_YEAR},1,1)",
                               formula2=f"DATE({LAST_YEAR},12,31)", allow_blank=True)
        check.error = "Date attendue, au format JJ/MM/AAAA."
    elif column.type == "integer":
        low = column.low if column.low is not None else -(10 ** 9)
        high = column.high if column.high is not None else 10 ** 9
        check = DataValidation(type="whole", operator="between", formula1=str(low),
                               formula2=str(high), allow_blank=True)
        check.error = f"Attendu : {_range_text(column)}."
    elif column.type in ("number", "target"):
        low = 0 if column.type == "target" else -(10 ** 12)
        check = DataValidation(type="decimal", operator="between", formula1=str(low),
                               formula2=str(10 ** 12), allow_blank=True)
        check.error = ("Attendu : un nombre positif." if column.type == "target"
                       else "Attendu : un nombre.")
    else:
        return None
    check.errorTitle = f"Colonne {header}"
    check.showErrorMessage = True
    return check


def _help_rows(kind: Kind, reference: Reference) -> list[list[str]]:
    rows = []
    for index, column in enumerate(kind.columns, start=1):
        choices = column_choices(column, reference)
        required = ("à laisser vide" if must_stay_empty(kind, column)
                    else "obligatoire" if column.required else "facultative")
        rows.append([f"{get_column_letter(index)} — {column.header}", required,
                     meaning(kind, column), format_text(kind, column, choices),
                     allowed_text(column, choices, reference)])
    return rows


def new_workbook(kind: Kind, reference: Reference, *, title: str | None = None) -> Workbook:
    """The blank template of one kind: its data sheet first (named after the kind unless
    `title` says otherwise), then the help sheet `Aide`."""
    book = Workbook()
    data = book.active
    data.title = title or kind.label[:1].upper() + kind.label[1:]
    help_sheet = book.create_sheet(HELP_SHEET)
    _write_help_table(help_sheet, kind, reference, data.title)
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=column.required)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.comment = Comment(meaning(kind, column), "sea")
        data.column_dimensions[letter].width = max(len(column.header) + 4, 14)
        if column.type == "date":
            data.column_dimensions[letter].number_format = "DD/MM/YYYY"
        choices = column_choices(column, reference)
        list_range = None
        if choices is not None:
            list_range = _write_list(help_sheet, column, choices)
        check = _validation(kind, column, choices, list_range)
        if check is not None:
            data.add_data_validation(check)
            check.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
    data.freeze_panes = "A2"
    _check_help_is_never_read(book, kind)
    return book


def _write_help_table(sheet: Worksheet, kind: Kind, reference: Reference,
                      data_title: str) -> None:
    sheet.append([f"Modèle « {kind.label} » : aide à la saisie"])
    sheet["A1"].font = TITLE_FONT
    sheet.append([f"Une ligne par enregistrement dans l'onglet « {data_title} », à partir de la "
                  "ligne 2. Ne modifiez pas les en-têtes de la ligne 1 : le système reconnaît "
                  "les colonnes par leur nom. En-têtes en gras : colonnes obligatoires. Les "
                  "listes déroulantes proposent les valeurs acceptées."])
    sheet.append([])
    sheet.append(["Colonne", "Saisie", "Signification", "Format", "Valeurs acceptées"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in _help_rows(kind, reference):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = WRAP
        if row[1] == "obligatoire":
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for letter, width in zip("ABCDE", (26, 14, 48, 30, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A5"


def _write_list(sheet: Worksheet, column: Column, choices: Choices) -> str:
    """One drop-down's entries in a column of the help sheet; the absolute range pointing to it."""
    index = LIST_FIRST_COLUMN
    while sheet.cell(row=4, column=index).value is not None:
        index += 1
    letter = get_column_letter(index)
    title = sheet.cell(row=4, column=index, value=f"Liste « {column.header} »")
    title.font = Font(bold=True)
    title.fill = HEADER_FILL
    for offset, entry in enumerate(choices.entries, start=5):
        sheet.cell(row=offset, column=index, value=entry)
    sheet.column_dimensions[letter].width = max(18, *(len(e) + 2 for e in choices.entries))
    last = 4 + len(choices.entries)
    return f"{HELP_SHEET}!${letter}$5:${letter}${last}"


def _check_help_is_never_read(book: Workbook, kind: Kind) -> None:
    """No cell of the help sheet may read as one of the kind's headers: the loader would take
    the help for data and reject it as a sheet with missing columns."""
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and normalise_name(cell.value) in kind.headers:
                    raise ValueError(f"template {kind.name}: help cell {sheet.title}!"
                                     f"{cell.coordinate} reads as the header "
                                     f"{normalise_name(cell.value)!r}")


def template_name(kind: Kind) -> str:
    """`modele_<kind>.xlsx` would not be read as the kind: the kind's name comes first."""
    return f"{kind.name}_modele.xlsx"


def write_templates(folder: Path, reference: Reference,
                    kinds: Iterable[Kind] = KINDS) -> list[Path]:
    """Write one blank template per kind into `folder` (created); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        path = folder / template_name(kind)
        book = new_workbook(kind, reference)
        book.properties.title = f"Modèle {kind.label}"
        book.properties.creator = "sea"
        book.save(path)
        written.append(path)
    return written
