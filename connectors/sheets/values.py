"""French value parsers for spreadsheet cells.

Staff type dates, yes/no answers, numbers and codes in many ways; `docs/spreadsheets.md` lists what
is accepted. Each parser returns the typed value (None for a blank, except booleans where blank
means false) or raises `ValueProblem` with the French reason that ends up in the quarantine table,
so a staff member can fix the cell without asking a developer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from connectors.sheets.names import normalise_name


class ValueProblem(ValueError):
    """A cell that cannot be read; `reason` is the French sentence shown to staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TRUE_WORDS = frozenset({"oui", "o", "x", "vrai", "1", "true"})
FALSE_WORDS = frozenset({"non", "n", "faux", "0", "false", ""})
ALL_WORDS = frozenset({"TOUS", "TOUTES"})
ALL_CODE = "ALL"
_OPEN_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Spaces used as thousands separators: plain, non-breaking, narrow no-break, thin.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_DMY4 = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DMY2 = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_FORMS = "JJ/MM/AAAA, JJ/MM/AA ou AAAA-MM-JJ"


def is_blank(value: object) -> bool:
    """None, an empty or all-space string: what staff mean by an empty cell."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _integral(number: float) -> bool:
    return math.isfinite(number) and number == int(number)


def display(value: object) -> str:
    """The cell as a person reads it, for the quarantine `value` column."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float) and _integral(value):
        return str(int(value))
    return str(value)


def parse_text(value: object) -> str | None:
    """Free text, trimmed; numbers lose a spurious `.0` (Excel stores `12` as `12.0`)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime | date | bool | float | int):
        return display(value)
    return str(value).strip()


def _make_date(year: int, month: int, day: int, shown: str, form: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem(f"date impossible : {shown} (attendu {form})") from None


def parse_date(value: object) -> date | None:
    """A real cell date, or text `JJ/MM/AAAA`, `JJ/MM/AA` (20AA) or ISO `AAAA-MM-JJ`."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if match := _DMY4.match(text):
            day, month, year = (int(g) for g in match.groups())
            return _make_date(year, month, day, text, "JJ/MM/AAAA")
        if match := _DMY2.match(text):
            day, month, year = (int(g) for g in match.groups())
            return _make_date(2000 + year, month, day, text, "JJ/MM/AA")
        if match := _ISO.match(text):
            year, month, day = (int(g) for g in match.groups())
            return _make_date(year, month, day, text, "AAAA-MM-JJ")
    raise ValueProblem(f"date illisible : '{display(value)}' (attendu {_DATE_FORMS})")


def parse_boolean(value: object) -> bool:
    """oui/o/x/vrai/1/true or non/n/faux/0/false; a blank cell is false, not missing."""
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueProblem(
        f"valeur non booléenne : '{display(value)}' "
        "(attendu oui/non, o/n, x, vrai/faux, 1/0, true/false ou vide)"
    )


def parse_optional_boolean(value: object) -> bool | None:
    """Like `parse_boolean`, but a blank cell is None: the question was not answered.

    For survey answers (`recommande`), where reading a blank as `non` would lower the rate.
    """
    if is_blank(value):
        return None
    return parse_boolean(value)


def parse_number(value: object) -> float | None:
    """Decimal comma or point; spaces (also non-breaking) as thousands separators."""
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number):
            return number
    elif isinstance(value, str):
        text = _SPACES.sub("", value.strip())
        if _NUMBER.match(text):
            return float(text.replace(",", "."))
    raise ValueProblem(f"nombre illisible : '{display(value)}'")


def parse_integer(value: object, *, low: int | None = None, high: int | None = None) -> int | None:
    """A whole number (a year, a quarter), optionally within [low, high]."""
    number = parse_number(value)
    if number is None:
        return None
    if not _integral(number):
        raise ValueProblem(f"nombre entier attendu : '{display(value)}'")
    whole = int(number)
    if (low is not None and whole < low) or (high is not None and whole > high):
        if high is None:
            expected = f"un nombre entier supérieur ou égal à {low}"
        elif low is None:
            expected = f"un nombre entier inférieur ou égal à {high}"
        else:
            expected = f"{low} à {high}"
        raise ValueProblem(f"valeur hors plage : '{display(value)}' (attendu {expected})")
    return whole


def parse_choice(value: object, choices: Sequence[str]) -> str | None:
    """A closed-list code, returned in its listed form.

    Matching is on normalised names, so case, accents and separators do not matter
    (`Création` → `creation`, `Intérim` → `INTERIM`, `À faire` → `a_faire`).
    """
    if is_blank(value):
        return None
    wanted = normalise_name(display(value))
    for choice in choices:
        if normalise_name(choice) == wanted:
            return choice
    raise ValueProblem(
        f"valeur hors liste : '{display(value).strip()}' (attendu : {', '.join(choices)})"
    )


def parse_choice_list(value: object, choices: Sequence[str]) -> list[str]:
    """A comma-separated list of closed-list codes (`;` and line breaks accepted too)."""
    return _unique(parse_choice(item, choices) for item in split_list(value))


def parse_open_code(value: object, *, allow_all: bool = False) -> str | None:
    """An open code (programme, antenna, indicator): trimmed, upper-cased, `^[A-Z][A-Z0-9_]*$`.

    With `allow_all`, `TOUS`/`TOUTES` (any case) mean `ALL`.
    """
    if is_blank(value):
        return None
    code = display(value).strip().upper()
    if allow_all and code in ALL_WORDS:
        return ALL_CODE
    if not _OPEN_CODE.match(code):
        raise ValueProblem(
            f"code mal formé : '{display(value).strip()}' "
            "(attendu : lettres majuscules sans accent, chiffres et _, commençant par une lettre)"
        )
    return code


def parse_open_code_list(value: object) -> list[str]:
    """A comma-separated list of open codes (indicator codes of a lesson or evaluation)."""
    return _unique(parse_open_code(item) for item in split_list(value))


def parse_scope_list(value: object) -> list[str]:
    """Programme or antenna codes, comma separated, or `TOUS`/`TOUTES` alone (→ `ALL`).

    `TOUS` beside other codes is refused: the row would say both "every programme" and "these".
    """
    items = _unique(parse_open_code(item, allow_all=True) for item in split_list(value))
    if ALL_CODE in items and len(items) > 1:
        raise ValueProblem(
            f"liste incohérente : '{display(value).strip()}' (TOUS ou TOUTES s'écrit seul, "
            "sans autre code)"
        )
    return items


def parse_axis(value: object, axis_codes: Sequence[str], allowed: Sequence[str]) -> str | None:
    """An axis by its code (`ESSAIMAGE`, any case) or its number (`7`, `7.0`), → the code.

    `axis_codes` are the axes in order (number n is `axis_codes[n - 1]`); `allowed` is the subset
    the column accepts (all of them unless the kind restricts it).
    """
    if is_blank(value):
        return None
    shown = display(value).strip()
    numbered = {str(n): code for n, code in enumerate(axis_codes, start=1)}
    code = numbered.get(shown)
    if code is None:
        wanted = normalise_name(shown)
        code = next((c for c in axis_codes if normalise_name(c) == wanted), None)
    if code is None or code not in allowed:
        numbers = ", ".join(str(axis_codes.index(c) + 1) for c in allowed)
        what = "axe inconnu" if code is None else "axe non accepté ici"
        raise ValueProblem(
            f"{what} : '{shown}' (attendu : {', '.join(allowed)}, ou leur numéro {numbers})"
        )
    return code


def parse_axis_list(value: object, axis_codes: Sequence[str]) -> list[str]:
    return _unique(parse_axis(item, axis_codes, axis_codes) for item in split_list(value))


def parse_name_code(value: object) -> str | None:
    """A role or status written freely (`Chargé suivi-évaluation` → `charge_suivi_evaluation`)."""
    if is_blank(value):
        return None
    return normalise_name(display(value)) or None


def parse_name_code_list(value: object) -> list[str]:
    return _unique(parse_name_code(item) for item in split_list(value))


def split_list(value: object) -> list[str]:
    """Items of a list cell: separated by commas, semicolons or line breaks; blanks dropped."""
    if is_blank(value):
        return []
    return [item.strip() for item in re.split(r"[,;\n]", display(value)) if item.strip()]


def _unique(items: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def parse_participant_id(value: object) -> str | None:
    """A CRM participant id as text (a numeric cell `123` reads as `123`, not `123.0`)."""
    return parse_text(value)
