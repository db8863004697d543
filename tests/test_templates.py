"""The collection templates (`make templates`, `connectors/sheets/templates.py`).

- Every kind's template, filled through openpyxl with what its drop-downs and checks offer (each
  list entry used at least once), loads through the real loader with no quarantine, no rejected
  sheet and the help sheet ignored.
- Each drop-down equals the list it comes from (the `code_lists` seed's codes or labels, the
  programmes, antennas and axes seeds, the catalogue), and the loader reads every entry as the
  code at the same place in that list.
- The help sheet names every header, with its meaning and format; the data sheet's first row is
  the kind's headers, required ones in bold.

Throw-away DuckDB files, no pipeline: a few seconds.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from common.code_lists import code_labels, labels
from common.settings import PROJECT_ROOT
from common.warehouse import Warehouse, connect
from connectors.sheets.kinds import KINDS, Column, Kind, axes
from connectors.sheets.loader import load_spreadsheets
from connectors.sheets.reader import SheetRow
from connectors.sheets.rows import Checks, type_row
from connectors.sheets.templates import (
    HELP_SHEET,
    catalogue_labels,
    reference_data,
    write_templates,
)
from connectors.sheets.values import parse_axis, parse_boolean, parse_choice
from orchestration.catalogue import CATALOGUE_CSV, indicator_codes
from tests.conftest import TEST_KEY

PARTICIPANT = "P00001"
DAY = date(2026, 3, 2)
RANGE = re.compile(r"^(\w+)!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("modeles")
    written = write_templates(folder, reference_data(catalogue_labels(CATALOGUE_CSV)))
    return {kind.name: path for kind, path in zip(KINDS, written, strict=True)}


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Warehouse]:
    warehouse = connect(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.close()


def _validations(book: openpyxl.Workbook) -> dict[str, object]:
    """{column letter: its data validation} of the data sheet."""
    out = {}
    for check in book.worksheets[0].data_validations.dataValidation:
        for cells in check.sqref.ranges:
            letter = re.match(r"[A-Z]+", cells.coord).group(0)
            assert cells.coord == f"{letter}2:{letter}5001", cells.coord
            out[letter] = check
    return out


def _entries(book: openpyxl.Workbook, formula: str) -> list[str]:
    """The cells a list validation points to (`Aide!$H$5:$H$8`)."""
    sheet_name, first_col, first, last_col, last = RANGE.match(formula).groups()
    assert sheet_name == HELP_SHEET and first_col == last_col
    sheet = book[sheet_name]
    return [sheet[f"{first_col}{row}"].value for row in range(int(first), int(last) + 1)]


def _free_value(column: Column, n: int) -> object:
    """A valid value for a column without a drop-down, by its type."""
    if column.type == "choice_list":
        return ", ".join(column.choices[: 1 + n % len(column.choices)])
    return {
        "text": f"{column.header.upper()}-{n:03d}",
        "participant": PARTICIPANT,
        "personal": "Amina K.",
        "indicator_list": "ENT, SD_SORTIE",
        "scope_list": "TOUS" if n % 2 else "SOCLE, AVEC",
        "axis_list": "1, ESSAIMAGE",
        "name_code": "Chargé suivi-évaluation",
        "name_code_list": "Direction, Responsable antenne",
        "open_code": "PIC_IPR",
    }[column.type]


def _fill(path: Path, kind: Kind, out: Path) -> int:
    """Fill the template's data sheet: each drop-down's entries in turn, a valid value in every
    other cell (the cross-column rules then hold: real dates, territory, start dates…)."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    checks = _validations(book)
    lists = {letter: _entries(book, c.formula1) for letter, c in checks.items()
             if c.type == "list"}
    count = max(len(entries) for entries in lists.values())
    for n in range(count):
        row = []
        for index, column in enumerate(kind.columns, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            check = checks.get(letter)
            if check is None:
                row.append(_free_value(column, n))
            elif check.type == "list":
                row.append(lists[letter][n % len(lists[letter])])
            elif check.type == "date":
                row.append(DAY)
            elif check.type == "whole":
                row.append(int(check.formula1))
            elif check.type == "decimal":
                row.append(1250.5)
            elif check.type == "textLength":
                row.append(None)  # must stay empty
            else:
                raise AssertionError(f"{kind.name}.{column.header}: {check.type}")
        sheet.append(row)
    book.save(out)
    return count


def test_a_filled_template_of_every_kind_loads_without_quarantine(
        templates: dict[str, Path], duck: Warehouse, tmp_path: Path) -> None:
    folder = tmp_path / "partage"
    folder.mkdir()
    expected = {kind.name: _fill(templates[kind.name], kind, folder / f"{kind.name}.xlsx")
                for kind in KINDS}
    report = load_spreadsheets(duck, folder, known_participant_ids={PARTICIPANT},
                               erased_participant_ids=set(),
                               known_indicator_codes=set(indicator_codes()),
                               loaded_at=datetime(2026, 3, 15, 6))
    assert dict(report.rows_quarantined) == {kind.name: 0 for kind in KINDS}
    assert dict(report.rows_loaded) == expected
    assert min(expected.values()) >= 2  # every kind has a drop-down, hence rows
    assert not report.files_rejected and report.sheets_rejected == 0
    # the help sheet is never read as data, and passed over without a word in the load log
    assert report.sheets_ignored == 0
    events = duck.fetchall("select distinct event, source_sheet from raw.sheet_load_log "
                           "where event <> 'loaded_file'")
    assert events == []
    # Each entry reached the table as its code (not its label).
    assert {r[0] for r in duck.fetchall("select statut from raw.sheet_recommandations")} == set(
        labels("recommendation_status"))
    assert {r[0] for r in duck.fetchall("select axe from raw.sheet_jalons")} == {
        "INNOVATION", "SEA", "COORDINATION", "ESSAIMAGE"}
    assert duck.fetchall("select count(*) filter (where recommande), count(*) filter "
                         "(where not recommande), count(*) filter (where id_crm_filled) "
                         "from raw.sheet_satisfaction") == [
        ((expected["satisfaction"] + 1) // 2, expected["satisfaction"] // 2, 0)]
    assert sorted({r[0] for r in duck.fetchall("select trimestre from raw.sheet_budget")}) == [
        1, 2, 3, 4]


def _list_source(kind: Kind, column: Column) -> tuple[list[str], list[object]]:
    """(what the drop-down may show, the codes the loader must read them as), from the seeds."""
    if column.type == "choice":
        name = next(n for n, listed in code_labels().items() if tuple(listed) == column.choices)
        return list(labels(name).values()), list(column.choices)
    if column.type in ("boolean", "optional_boolean"):
        return ["oui", "non"], [True, False]
    if column.type == "quarter":
        return ["T1", "T2", "T3", "T4"], [1, 2, 3, 4]
    if column.type == "axis":
        allowed = list(column.choices or axes())
        return allowed, allowed
    if column.type == "indicator":
        with CATALOGUE_CSV.open(encoding="utf-8", newline="") as handle:
            codes = [r["indicator_code"] for r in sorted(
                csv.DictReader(handle), key=lambda r: int(r["display_order"]))]
        return codes, codes
    seeds = PROJECT_ROOT / "dbt_project" / "seeds"
    if column.header == "programme":
        with (seeds / "programme_reference.csv").open(encoding="utf-8", newline="") as handle:
            codes = [r["programme"] for r in csv.DictReader(handle)] + ["TOUS"]
        return codes, [c if c != "TOUS" else "ALL" for c in codes]
    codes = [c for c in labels("antenna") if c not in ("ALL", "TOUTES")]
    if column.allow_all:
        codes.append("TOUTES")
    return codes, [c if c != "TOUTES" else "ALL" for c in codes]


def _read_as(kind: Kind, column: Column, entry: str) -> object:
    """What the real row parser makes of the entry in that column."""
    typed = type_row(kind, SheetRow(2, {column.header: _cell(entry)}),
                     Checks(frozenset(), frozenset(indicator_codes())))
    assert not [p for p in typed.problems if p.column == column.header], (column.header, entry)
    return typed.values[column.db_name]


def _reads(entry: str, choices: tuple[str, ...]) -> str | None:
    try:
        return parse_choice(entry, choices)
    except ValueError:
        return None


def _cell(value: object):  # noqa: ANN202 - the reader's Cell
    from connectors.sheets.reader import Cell

    return Cell(value)


def test_each_drop_down_is_its_list_and_reads_as_its_codes(templates: dict[str, Path]) -> None:
    seen = set()
    for kind in KINDS:
        book = openpyxl.load_workbook(templates[kind.name])
        checks = _validations(book)
        for index, column in enumerate(kind.columns, start=1):
            check = checks.get(openpyxl.utils.get_column_letter(index))
            if check is None or check.type != "list":
                continue
            entries = _entries(book, check.formula1)
            shown, codes = _list_source(kind, column)
            if column.type == "choice" and entries != shown:  # codes when a label reads wrong
                assert entries == list(column.choices), (kind.name, column.header)
                assert not all(_reads(label, column.choices) == code
                               for label, code in zip(shown, codes, strict=True))
            else:
                assert entries == shown, (kind.name, column.header)
            assert [_read_as(kind, column, e) for e in entries] == codes, (kind.name, column.header)
            strict = column.header != "territoire"
            assert check.errorStyle in ((None, "stop") if strict else ("warning",))
            seen.add(column.type)
    assert seen == {"choice", "boolean", "optional_boolean", "quarter", "axis", "indicator",
                    "open_code"}
    # The lists show labels where the loader reads them back, codes otherwise: no mix.
    assert parse_choice("À faire", ("a_faire", "fait")) == "a_faire"
    assert parse_boolean("non") is False and parse_axis("7", axes(), axes()) == "ESSAIMAGE"


def test_the_help_sheet_names_every_header_and_the_headers_are_the_kinds(
        templates: dict[str, Path]) -> None:
    for kind in KINDS:
        book = openpyxl.load_workbook(templates[kind.name])
        data, help_sheet = book.worksheets[0], book[HELP_SHEET]
        assert [c.value for c in data[1]] == list(kind.headers)
        assert [c.value for c in data[1] if c.font.b] == list(kind.required_headers)
        rows = [r for r in help_sheet.iter_rows(min_row=5, max_col=5, values_only=True)
                if r[0]]
        assert [r[0].split(" — ")[1] for r in rows] == list(kind.headers), kind.name
        for (name, entry, meaning, form, _), column in zip(rows, kind.columns, strict=True):
            assert entry == ("obligatoire" if column.required else
                             "à laisser vide" if column.header == "id_crm"
                             and kind.name == "satisfaction" else "facultative"), name
            assert meaning and meaning.endswith((".", "?", ")")) and form, (kind.name, name)
    book = openpyxl.load_workbook(templates["satisfaction"])
    help_rows = {r[0]: r for r in book[HELP_SHEET].iter_rows(min_row=5, values_only=True)
                 if r[0]}
    assert help_rows["D — moment"][4] == ("en_cours : En cours de parcours\n"
                                          "sortie : À la sortie\n"
                                          "six_mois : Six mois après la sortie")
    assert help_rows["I — recommande"][3] == "oui ou non (liste) ; vide : pas de réponse"


def test_make_templates_writes_one_file_per_kind(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PSEUDONYM_KEY": TEST_KEY,
           "SEA_INTERNAL_DIR": str(tmp_path / "interne"),
           "SEA_OUTPUT_DIR": str(tmp_path / "livrables")}
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "templates"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in (tmp_path / "interne" / "modeles").iterdir())
    assert written == sorted(f"{kind.name}_modele.xlsx" for kind in KINDS)
    assert f"{len(KINDS)} modèles de tableurs écrits" in proc.stdout
