"""Typing one spreadsheet row by its kind, collecting every problem instead of stopping at one.

A bad cell never stops the other rows, and one row may have several problems: each becomes its
own quarantine line (column, value as typed, French reason) so staff can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.sheets.kinds import SITUATIONS_WITH_START, Column, Kind, axes
from connectors.sheets.names import normalise_name
from connectors.sheets.reader import Cell, SheetRow
from connectors.sheets.values import (
    ValueProblem,
    display,
    is_blank,
    parse_axis,
    parse_axis_list,
    parse_boolean,
    parse_choice,
    parse_choice_list,
    parse_date,
    parse_integer,
    parse_name_code,
    parse_name_code_list,
    parse_number,
    parse_open_code,
    parse_open_code_list,
    parse_optional_boolean,
    parse_participant_id,
    parse_scope_list,
    parse_text,
)


@dataclass(frozen=True)
class Checks:
    """What a row is checked against beyond its own cells."""

    known_participant_ids: frozenset[str]
    known_indicator_codes: frozenset[str] | None  # None: the catalogue is not known, no check


@dataclass(frozen=True)
class Problem:
    column: str  # the normalised header, as staff know the column
    value: str  # the cell as typed (never for personal columns)
    reason: str  # French


@dataclass
class TypedRow:
    values: dict[str, object] = field(default_factory=dict)  # by warehouse column
    problems: list[Problem] = field(default_factory=list)
    loadable: bool = True


def _join(items: list[str]) -> str | None:
    return ",".join(items) if items else None


def _indicator(code: str | None, checks: Checks) -> str | None:
    known = checks.known_indicator_codes
    if code is not None and known is not None and code not in known:
        raise ValueProblem(f"indicateur inconnu du catalogue : {code}")
    return code


def _quarter(value: object, column: Column) -> int | None:
    """1–4; `T1`…`T4` accepted because that is how staff name quarters."""
    if isinstance(value, str) and value.strip().upper() in {"T1", "T2", "T3", "T4"}:
        return int(value.strip()[1])
    try:
        return parse_integer(value, low=column.low, high=column.high)
    except ValueProblem:
        raise ValueProblem(
            f"trimestre invalide : '{display(value)}' (attendu 1 à 4, ou vide pour un objectif "
            "annuel)"
        ) from None


def _target(cell: Cell) -> tuple[float | None, bool]:
    """The target and whether it is a percentage cell.

    Text `55 %` is read like a %-formatted cell holding 0.55, so one downstream rule covers both.
    """
    value = cell.value
    if isinstance(value, str) and value.strip().endswith("%"):
        number = parse_number(value.strip()[:-1])
        number = None if number is None else number / 100
        percent = True
    else:
        number, percent = parse_number(value), cell.is_percent
    if number is not None and number < 0:
        raise ValueProblem(f"cible négative : '{display(value)}'")
    return number, percent


# How each column type is parsed: (cell value, column, checks) → typed value. Built once, not
# for every cell (a load types tens of thousands of cells).
_PARSERS: dict[str, Callable[[object, Column, Checks], object]] = {
    "text": lambda v, col, chk: parse_text(v),
    "date": lambda v, col, chk: parse_date(v),
    "boolean": lambda v, col, chk: parse_boolean(v),
    "number": lambda v, col, chk: parse_number(v),
    "integer": lambda v, col, chk: parse_integer(v, low=col.low, high=col.high),
    "quarter": lambda v, col, chk: _quarter(v, col),
    "choice": lambda v, col, chk: parse_choice(v, col.choices),
    "choice_list": lambda v, col, chk: _join(parse_choice_list(v, col.choices)),
    "open_code": lambda v, col, chk: parse_open_code(v, allow_all=col.allow_all),
    "indicator": lambda v, col, chk: _indicator(parse_open_code(v), chk),
    "indicator_list": lambda v, col, chk: _join(
        [_indicator(c, chk) or c for c in parse_open_code_list(v)]
    ),
    "name_code": lambda v, col, chk: parse_name_code(v),
    "name_code_list": lambda v, col, chk: _join(parse_name_code_list(v)),
    "participant": lambda v, col, chk: parse_participant_id(v),
    "scope_list": lambda v, col, chk: _join(parse_scope_list(v)),
    "axis": lambda v, col, chk: parse_axis(v, axes(), col.choices or axes()),
    "axis_list": lambda v, col, chk: _join(parse_axis_list(v, axes())),
    "optional_boolean": lambda v, col, chk: parse_optional_boolean(v),
}
_BLANK = Cell(None)  # a header the row lacks reads as an empty cell


def participant_of(kind: Kind, row: SheetRow) -> str | None:
    """The row's CRM participant id as typed (trimmed), for the erasure check before anything."""
    column = kind.participant_column
    if column is None:
        return None
    return parse_participant_id(row.cells.get(column.header, _BLANK).value)


def type_row(kind: Kind, row: SheetRow, checks: Checks) -> TypedRow:
    """Parse every stored column; a problem anywhere makes the row unloadable.

    Exception (`suivi_post_parcours`): problems in the situation columns only quarantine the
    situation part, the follow-up contact itself is still loaded with `situation_quarantined`.
    """
    typed = TypedRow()
    row_problems: list[Problem] = []
    situation_problems: list[Problem] = []
    for column in kind.columns:
        if not column.stored:
            continue
        cell = row.cells.get(column.header, _BLANK)
        bucket = situation_problems if column.situation_part else row_problems
        try:
            if column.type == "target":
                value, percent = _target(cell)
                typed.values["cible_is_percent_cell"] = percent
            else:
                value = _PARSERS[column.type](cell.value, column, checks)
            if value is None and column.required:
                raise ValueProblem(f"valeur obligatoire manquante (colonne {column.header})")
            if column.type == "participant" and value not in checks.known_participant_ids:
                raise ValueProblem(f"identifiant participant inconnu du CRM : {value}")
        except ValueProblem as problem:
            bucket.append(Problem(column.header, display(cell.value).strip(), problem.reason))
            value = None
        if value is None and column.default is not None and is_blank(cell.value):
            value = column.default
        typed.values[column.db_name] = value
    _derive(kind, row, typed, situation_problems)
    row_problems += _row_rules(kind, typed.values, row_problems)
    typed.problems = row_problems + situation_problems
    typed.loadable = not row_problems and (kind.name == "suivi_post_parcours"
                                           or not situation_problems)
    return typed


def _derive(kind: Kind, row: SheetRow, typed: TypedRow, situation_problems: list[Problem]) -> None:
    """Columns computed from others, so later SQL does not have to re-implement Python rules."""
    values = typed.values
    if kind.name == "emargements":
        # SQL cannot strip accents portably: the de-duplication key is normalised here.
        values["atelier_key"] = normalise_name(values.get("atelier") or "")
    if kind.name == "suivi_post_parcours":
        situation = values.get("situation")
        date_column = kind.column("date_debut")
        date_failed = any(p.column == date_column.header for p in situation_problems)
        if (values.get("joint") and situation in SITUATIONS_WITH_START
                and values.get("date_debut") is None and not date_failed):
            situation_problems.append(Problem(
                "date_debut",
                "",
                f"situation « {situation} » sans date de début : situation mise en quarantaine, "
                "le contact est conservé",
            ))
        values["situation_quarantined"] = bool(situation_problems)
    if kind.name == "satisfaction":
        # The survey is anonymous: an id typed anyway is not stored, only its presence (warn).
        values["id_crm_filled"] = not is_blank(row.cells.get("id_crm", _BLANK).value)


# -- cross-column rules of the kinds of the whole association (docs/spreadsheets.md) -----------
# Each returns the problems of one row from its typed values and the columns that already failed
# to read: a rule over a column that failed stays silent (the cell's own reason is the one to fix
# first). What is only suspicious (a real date on a milestone not marked achieved, a negative
# amount, an id in the anonymous survey) is not refused here: staging flags it and the gate warns
# (expectations/suites/staging.yml).
def _not_before(values: dict, failed: set[str], start: tuple[str, str],
                end: tuple[str, str]) -> list[Problem]:
    """`end` (column, French name) is not before `start`; each rule names its own dates."""
    first, last = values.get(start[0]), values.get(end[0])
    if start[0] in failed or first is None or last is None or last >= first:
        return []
    return [Problem(end[0], display(last),
                    f"{end[1]} ({display(last)}) antérieure à la {start[1]} ({display(first)})")]


def _communication(values: dict, failed: set[str]) -> list[Problem]:
    return _not_before(values, failed, ("date", "date de l'action"), ("date_fin", "date de fin"))


def _jalons(values: dict, failed: set[str]) -> list[Problem]:
    problems = []
    if values.get("statut") == "atteint" and values.get("date_reelle") is None:
        problems.append(Problem(
            "date_reelle", "",
            "jalon « atteint » sans date réelle : indiquer la date à laquelle il a été atteint "
            "(ou changer le statut)",
        ))
    if values.get("axe") == "ESSAIMAGE" and values.get("territoire") is None:
        problems.append(Problem(
            "territoire", "",
            "jalon d'essaimage sans territoire : indiquer le code du territoire (NANTES, LILLE…)",
        ))
    return problems


def _financements(values: dict, failed: set[str]) -> list[Problem]:
    return _not_before(values, failed, ("debut", "date de début de la convention"),
                       ("fin", "date de fin"))


def _budget(values: dict, failed: set[str]) -> list[Problem]:
    if (values.get("budget_eur") is None and values.get("depense_eur") is None
            and not failed & {"budget_eur", "depense_eur"}):
        return [Problem(
            "budget_eur", "",
            "ligne sans montant : renseigner budget_eur, depense_eur ou les deux",
        )]
    return []


def _retours(values: dict, failed: set[str]) -> list[Problem]:
    return _not_before(values, failed, ("date_reception", "date de réception"),
                       ("date_reponse", "date de réponse"))


_ROW_RULES: dict[str, Callable[[dict, set[str]], list[Problem]]] = {
    "communication": _communication,
    "jalons": _jalons,
    "financements": _financements,
    "budget": _budget,
    "retours": _retours,
}


def _row_rules(kind: Kind, values: dict, problems: list[Problem]) -> list[Problem]:
    rule = _ROW_RULES.get(kind.name)
    if rule is None:
        return []
    failed = {p.column for p in problems}
    return [p for p in rule(values, failed) if p.column not in failed]
