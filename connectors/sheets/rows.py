"""Typing one spreadsheet row by its kind, collecting every problem instead of stopping at one.

A bad cell never stops the other rows, and one row may have several problems: each becomes its
own quarantine line (column, value as typed, French reason) so staff can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.sheets.kinds import SITUATIONS_WITH_START, Column, Kind
from connectors.sheets.names import normalise_name
from connectors.sheets.reader import Cell, SheetRow
from connectors.sheets.values import (
    ValueProblem,
    display,
    is_blank,
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
    parse_participant_id,
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
