"""The closed lists and their French labels: the `code_lists` seed, read by every layer.

`dbt_project/seeds/code_lists.csv` (`list_name`, `code`, `label_fr`) is the one place where a
code's allowed values and its French label are written: the CRM contract's lists (sex,
nationality, contract…), the spreadsheets' lists (statuses, priorities, DAC criteria…) and the
categories the deliverables show. dbt loads it as `reference.code_lists` for the SQL; the
loaders (which run before dbt, on a fresh machine too) and the deliverables read the file itself,
so every reader sees the same version of the reference data as the code it ships with.

The file's order is kept: a list's codes come back in the order they are written, which is the
order staff see them in a message (« attendu : a_faire, en_cours, fait, abandonne »).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CODE_LISTS_CSV = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "code_lists.csv"


class UnknownCodeList(KeyError):
    """A list name the seed does not have: a typo in the code, never a data problem."""


@cache
def code_labels() -> dict[str, dict[str, str]]:
    """`{list_name: {code: label_fr}}` in the file's order (read once per process)."""
    out: dict[str, dict[str, str]] = {}
    with CODE_LISTS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["list_name"], {})[row["code"]] = row["label_fr"]
    return out


def codes(list_name: str) -> tuple[str, ...]:
    """The codes of one list, in the file's order; an unknown list name is an error."""
    try:
        return tuple(code_labels()[list_name])
    except KeyError:
        raise UnknownCodeList(
            f"no list {list_name!r} in {CODE_LISTS_CSV.name}") from None


def labels(list_name: str) -> dict[str, str]:
    """`{code: label_fr}` of one list (a copy); an unknown list name is an error."""
    try:
        return dict(code_labels()[list_name])
    except KeyError:
        raise UnknownCodeList(
            f"no list {list_name!r} in {CODE_LISTS_CSV.name}") from None
