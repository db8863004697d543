"""The expectation suites as data: YAML files in `expectations/suites/`, one per layer.

The files are the reviewable contract of the data-quality gate (a data lead reads and edits
them); this module turns them into frozen objects and refuses a malformed file with one French
line naming the file and the problem, so a typo never silently drops a check.

A check is either
- a Great Expectations *column expectation* (`expect` + `kwargs`, optional `where`) judged on the
  guarded table's rows, or
- an *offending-rows query* (`offending`: SQL returning `record_id` and optionally `detail`),
  judged by GE with `expect_table_row_count_to_equal: 0` — used for relational rules (orphans,
  overlaps, rollups) and for the largest tables, so only offending rows leave the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("error", "warn")
LAYERS = ("raw", "staging", "intermediate", "marts")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_TABLE_KEYS = {"table", "asset", "record_id", "pseudonymise", "checks", "description"}
_CHECK_KEYS = {"name", "severity", "rule", "why", "expect", "kwargs", "where", "offending"}
OFFENDING_EXPECTATION = "expect_table_row_count_to_equal"


class SuiteError(ValueError):
    """A suite or waivers file that cannot be used; the message is one French line."""


@dataclass(frozen=True)
class Check:
    """One rule of the gate on one table."""

    suite: str
    table: str
    asset_key: tuple[str, ...]
    name: str
    severity: str  # error | warn
    rule: str  # French, what the rule says (shown to staff)
    why: str | None
    expectation: str  # GE expectation type (snake_case)
    kwargs: Mapping[str, Any]
    where: str | None = None  # column expectations: SQL condition narrowing the rows judged
    offending: str | None = None  # offending-rows SQL (then expectation is the row count = 0)

    @property
    def key(self) -> str:
        """Identity used by waivers, reports and logs: `<schema>.<table>.<check>`."""
        return f"{self.table}.{self.name}"

    @property
    def layer(self) -> str:
        return self.asset_key[0]

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns a column expectation reads (fetched with the record id)."""
        cols = [self.kwargs[k] for k in _COLUMN_KWARGS if k in self.kwargs]
        cols += list(self.kwargs.get("column_list", ()))
        return tuple(dict.fromkeys(cols))


@dataclass(frozen=True)
class TableSuite:
    """The checks of one guarded table (one Dagster asset)."""

    suite: str
    table: str
    asset_key: tuple[str, ...]
    record_id: str  # SQL expression naming a record in samples
    pseudonymise: bool  # record ids are CRM participant ids: show their pseudonym instead
    checks: tuple[Check, ...] = field(default_factory=tuple)
    description: str | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    description: str
    tables: tuple[TableSuite, ...]

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for t in self.tables for c in t.checks)


def _fail(path: Path, where: str, problem: str) -> SuiteError:
    return SuiteError(f"{path.name} ({where}) : {problem}")


def _text(value: Any, path: Path, where: str, what: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"« {what} » doit être un texte non vide")
    return value.strip()


def _entry(raw: Any, keys: set[str], path: Path, where: str, not_a_dict: str) -> dict:
    """A table or check entry: a dictionary of known keys only, so a misspelt key fails in
    one French line rather than silently dropping what it meant to say."""
    if not isinstance(raw, dict):
        raise _fail(path, where, not_a_dict)
    unknown = set(raw) - keys
    if unknown:
        raise _fail(path, where, f"clé(s) inconnue(s) : {', '.join(sorted(unknown))}")
    return raw


def _check(raw: Any, suite: str, table: TableSuite, path: Path, index: int) -> Check:
    where = f"{table.table}, contrôle n° {index + 1}"
    raw = _entry(raw, _CHECK_KEYS, path, where, "un contrôle doit être un dictionnaire")
    name = _text(raw.get("name"), path, where, "name")
    if not _NAME.match(name):
        raise _fail(path, where, f"nom invalide {name!r} (minuscules, chiffres et _)")
    where = f"{table.table}.{name}"
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise _fail(path, where, f"« severity » doit valoir {' ou '.join(SEVERITIES)}")
    offending = _text(raw.get("offending"), path, where, "offending", required=False)
    expectation = raw.get("expect")
    kwargs = raw.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise _fail(path, where, "« kwargs » doit être un dictionnaire")
    if offending is not None:
        if expectation not in (None, OFFENDING_EXPECTATION) or raw.get("where"):
            raise _fail(path, where, "« offending » exclut « expect » et « where »")
        expectation, kwargs = OFFENDING_EXPECTATION, {"value": 0}
    elif not isinstance(expectation, str) or not expectation.startswith("expect_"):
        raise _fail(path, where, "il faut « expect » (une attente GE) ou « offending » (SQL)")
    return Check(
        suite=suite, table=table.table, asset_key=table.asset_key, name=name,
        severity=severity, rule=_text(raw.get("rule"), path, where, "rule"),
        why=_text(raw.get("why"), path, where, "why", required=False),
        expectation=expectation, kwargs=kwargs,
        where=_text(raw.get("where"), path, where, "where", required=False),
        offending=offending,
    )


def _table(raw: Any, suite: str, path: Path, index: int) -> TableSuite:
    where = f"table n° {index + 1}"
    raw = _entry(raw, _TABLE_KEYS, path, where,
                 "une entrée de « tables » doit être un dictionnaire")
    table = _text(raw.get("table"), path, where, "table")
    if not _TABLE.match(table):
        raise _fail(path, where, f"table {table!r} : attendu <schéma>.<table> en minuscules")
    asset = raw.get("asset") or table.split(".")
    if not (isinstance(asset, list | tuple) and asset and all(isinstance(a, str) for a in asset)):
        raise _fail(path, table, "« asset » doit être une liste de textes, ex. [staging, t]")
    if asset[0] not in LAYERS:
        raise _fail(path, table, f"couche inconnue {asset[0]!r} (attendu : {', '.join(LAYERS)})")
    spec = TableSuite(
        suite=suite, table=table, asset_key=tuple(asset),
        record_id=_text(raw.get("record_id"), path, table, "record_id"),
        pseudonymise=bool(raw.get("pseudonymise", False)),
        description=_text(raw.get("description"), path, table, "description", required=False),
    )
    checks = raw.get("checks")
    if not isinstance(checks, list) or not checks:
        raise _fail(path, table, "« checks » doit être une liste non vide")
    parsed = tuple(_check(c, suite, spec, path, i) for i, c in enumerate(checks))
    names = [c.name for c in parsed]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _fail(path, table, f"nom(s) de contrôle en double : {', '.join(twice)}")
    return TableSuite(**{**spec.__dict__, "checks": parsed})


def load_suite(path: Path) -> Suite:
    """Parse and validate one suite file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path.name} : YAML illisible ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), list):
        raise SuiteError(f"{path.name} : attendu « suite », « description » et « tables »")
    name = raw.get("suite") or path.stem
    if not isinstance(name, str) or not _NAME.match(name):
        raise SuiteError(f"{path.name} : nom de suite invalide {name!r}")
    description = raw.get("description") or ""
    tables = tuple(_table(t, name, path, i) for i, t in enumerate(raw["tables"]))
    return Suite(name=name, path=path, description=str(description).strip(), tables=tables)


def load_suites(directory: Path | None = None) -> tuple[Suite, ...]:
    """Every `*.yml` suite of the directory, in file-name order; check keys must be unique."""
    directory = directory or SUITES_DIR
    suites = tuple(load_suite(p) for p in sorted(directory.glob("*.yml")))
    if not suites:
        raise SuiteError(f"aucune suite d'attentes (*.yml) dans {directory}")
    seen: dict[str, str] = {}
    for suite in suites:
        for check in suite.checks:
            if check.key in seen:
                raise SuiteError(
                    f"{suite.path.name} : le contrôle {check.key} existe déjà dans "
                    f"{seen[check.key]}")
            seen[check.key] = suite.path.name
    return suites


@cache
def default_suites() -> tuple[Suite, ...]:
    """The project's suites, parsed once per process."""
    return load_suites(SUITES_DIR)


def tables_by_asset(suites: Iterable[Suite]) -> dict[tuple[str, ...], list[TableSuite]]:
    """Table suites grouped by the asset they guard (one Dagster check op per asset)."""
    grouped: dict[tuple[str, ...], list[TableSuite]] = {}
    for suite in suites:
        for table in suite.tables:
            grouped.setdefault(table.asset_key, []).append(table)
    return grouped


def all_checks(suites: Iterable[Suite]) -> dict[str, Check]:
    return {c.key: c for s in suites for c in s.checks}
