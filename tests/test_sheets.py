"""The shared-spreadsheet loader (`docs/spreadsheets.md`): names, values, files, quarantine,
staleness.

Every test builds its own small files in `tmp_path`. The loading tests run on DuckDB and, marked
`postgres`, on the PostgreSQL server at 127.0.0.1:5432 in a throwaway schema dropped afterwards.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from common.warehouse import Warehouse, connect
from connectors.sheets.kinds import CONTRACTS, KINDS_BY_NAME
from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets
from connectors.sheets.names import normalise_name
from connectors.sheets.reader import OLE2_MAGIC, discover
from connectors.sheets.values import (
    ValueProblem,
    parse_boolean,
    parse_choice,
    parse_date,
    parse_number,
    parse_open_code,
)
from devtools.demo_sheets import write_demo_spreadsheets
from orchestration.catalogue import indicator_codes

PG_URL = os.environ.get("SEA_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/test")
T0 = datetime(2026, 3, 10, 7, 0)
KNOWN = {"P1", "P2", "P3", "P4", "P5"}
INDICATORS = indicator_codes()
ATTENDANCE_HEADERS = ["Date", "Antenne", "Atelier", "ID CRM", "Nom", "Présent", "Durée (minutes)"]
TARGET_HEADERS = ["Indicateur", "Programme", "Antenne", "Année", "Trimestre", "Cible"]


# -- fixtures and helpers ------------------------------------------------------------------------
@dataclass
class Target:
    """A warehouse and the schema the loader writes into."""

    warehouse: Warehouse
    schema: str

    def df(self, table: str, order: str = "source_file, source_sheet, source_row"):
        return self.warehouse.fetch_df(f"select * from {self.schema}.{table} order by {order}")

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.warehouse.fetchall(sql.replace("{s}", self.schema), params)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "duckdb":
        warehouse = connect(tmp_path / "warehouse.duckdb")
        yield Target(warehouse, "raw")
        warehouse.close()
        return
    try:
        warehouse = connect(PG_URL)
    except Exception as error:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable: {error}")
    schema = f"test_sheets_{uuid.uuid4().hex[:10]}"
    try:
        yield Target(warehouse, schema)
    finally:
        warehouse.execute(f"drop schema if exists {schema} cascade")
        warehouse.close()


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Target]:
    warehouse = connect(tmp_path / "warehouse.duckdb")
    yield Target(warehouse, "raw")
    warehouse.close()


def load(target: Target, folder: Path, *, at: datetime = T0, known: set[str] = KNOWN,
         erased: set[str] | None = None,
         indicators: set[str] | None = INDICATORS) -> SheetsLoadReport:
    return load_spreadsheets(
        target.warehouse, folder, known_participant_ids=known,
        erased_participant_ids=erased or set(), known_indicator_codes=indicators,
        loaded_at=at, schema=target.schema,
    )


@dataclass(frozen=True)
class Pct:
    """A number written in a %-formatted cell."""

    value: float


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([v.value if isinstance(v, Pct) else v for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Pct):
                    cell.number_format = "0%"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for title, rows in sheets.items():
        table = Table(name=title)
        for row in rows:
            line = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, Pct):
                    cell = TableCell(valuetype="percentage", value=value.value)
                    cell.addElement(P(text=f"{value.value * 100:g} %"))
                elif isinstance(value, date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.strftime("%d/%m/%Y")))
                elif isinstance(value, int | float):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                line.addElement(cell)
            table.addElement(line)
        # What spreadsheet programs write: many repeated empty rows and cells at the end.
        padding = TableRow(numberrowsrepeated=100000)
        padding.addElement(TableCell(numbercolumnsrepeated=1024))
        table.addElement(padding)
        document.spreadsheet.addElement(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def set_mtime(path: Path, moment: datetime) -> None:
    stamp = moment.replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def attendance(*rows: list[object]) -> dict[str, list[list[object]]]:
    return {"Mars": [ATTENDANCE_HEADERS, *rows]}


# -- names and values ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Date d'entrée", "date_d_entree"),
        ("Durée (minutes)", "duree_minutes"),
        ("ID CRM", "id_crm"),
        ("Objectifs 2026", "objectifs_2026"),
        ("Émargements mars", "emargements_mars"),
        ("  __Présent ?? ", "present"),
        ("suivi post-parcours", "suivi_post_parcours"),
        ("PLAN_ÉVALUATION", "plan_evaluation"),
    ],
)
def test_normalise_name_follows_the_spec(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (date(2024, 3, 5), date(2024, 3, 5)),
        (datetime(2024, 3, 5, 14, 30), date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2024", date(2024, 3, 5)),
        (" 05/03/24 ", date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("", None),
        (None, None),
    ],
)
def test_dates_in_every_accepted_form(cell: object, expected: date | None) -> None:
    assert parse_date(cell) == expected


def test_impossible_and_unreadable_dates_say_why_in_french() -> None:
    with pytest.raises(ValueProblem) as impossible:
        parse_date("31/02/2024")
    assert impossible.value.reason == "date impossible : 31/02/2024 (attendu JJ/MM/AAAA)"
    with pytest.raises(ValueProblem, match="date impossible : 2023-02-29"):
        parse_date("2023-02-29")
    with pytest.raises(ValueProblem, match="date illisible : 'demain'"):
        parse_date("demain")
    with pytest.raises(ValueProblem, match="date illisible"):
        parse_date(45292)  # a serial number is not one of the accepted forms


@pytest.mark.parametrize("cell", ["oui", "OUI", "o", "X", "vrai", "1", "True", 1, True])
def test_true_booleans(cell: object) -> None:
    assert parse_boolean(cell) is True


@pytest.mark.parametrize("cell", ["non", "N", "faux", "0", "FALSE", "", "  ", None, 0, False])
def test_false_booleans_and_blank_is_false(cell: object) -> None:
    assert parse_boolean(cell) is False


def test_other_booleans_are_problems() -> None:
    with pytest.raises(ValueProblem, match="valeur non booléenne : 'peut-être'"):
        parse_boolean("peut-être")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1\u202f234.5", 1234.5),
        ("0,55", 0.55),
        ("-3", -3.0),
        (12, 12.0),
        (0.55, 0.55),
        ("", None),
    ],
)
def test_numbers_with_french_separators(cell: object, expected: float | None) -> None:
    assert parse_number(cell) == expected


@pytest.mark.parametrize("cell", ["1,234.5", "12 abc", "1,2,3", True])
def test_unreadable_numbers(cell: object) -> None:
    with pytest.raises(ValueProblem, match="nombre illisible"):
        parse_number(cell)


def test_codes_closed_and_open() -> None:
    assert parse_choice(" cdi ", CONTRACTS) == "CDI"
    assert parse_choice("Intérim", CONTRACTS) == "INTERIM"
    assert parse_choice("Pré-qualifiante", ("qualifiante", "pre_qualifiante")) == "pre_qualifiante"
    with pytest.raises(ValueProblem) as problem:
        parse_choice("CDX", CONTRACTS)
    assert problem.value.reason == (
        "valeur hors liste : 'CDX' (attendu : CDI, CDD, INTERIM, ALTERNANCE, IAE, AUTRE)"
    )
    assert parse_open_code(" socle_femmes ") == "SOCLE_FEMMES"
    assert parse_open_code("Tous", allow_all=True) == "ALL"
    assert parse_open_code("TOUTES", allow_all=True) == "ALL"
    assert parse_open_code("TOUS") == "TOUS"
    with pytest.raises(ValueProblem, match="code mal formé"):
        parse_open_code("SOCLE FEMMES")
    with pytest.raises(ValueProblem, match="code mal formé"):
        parse_open_code("2PARIS")


# -- finding files -------------------------------------------------------------------------------
def test_discovery_by_file_or_folder_name(tmp_path: Path) -> None:
    for name in ["objectifs.xlsx", "Objectifs 2026.csv", "Émargements/Paris mars.xlsx",
                 "Émargements mars.xlsx", "Suivi post-parcours/2025/appels.ods",
                 "~$objectifs.xlsx", ".cache.xlsx", ".cachés/objectifs.xlsx", "notes.docx",
                 "emargements/lisez-moi.pdf"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = discover(tmp_path)
    kinds = {f.relative: f.kind.name for f in found.files}
    assert kinds == {
        "Objectifs 2026.csv": "objectifs",
        "objectifs.xlsx": "objectifs",
        "Émargements mars.xlsx": "emargements",
        "Émargements/Paris mars.xlsx": "emargements",
        "Suivi post-parcours/2025/appels.ods": "suivi_post_parcours",
    }
    unmatched = dict(found.unmatched)
    assert set(unmatched) == {"notes.docx", "emargements/lisez-moi.pdf"}
    assert "format non pris en charge" in unmatched["emargements/lisez-moi.pdf"]


# -- reading and loading -------------------------------------------------------------------------
def test_headers_match_whatever_the_accents_case_and_title_rows(duck: Target,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "emargements mars.xlsx", {"Feuil1": [
        ["Feuille d'émargement — antenne de Paris"],
        [],
        ["DATE", "antenne ", "ATELIER", "id crm", "NOM", "PRÉSENT", "Durée (Minutes)"],
        [date(2024, 3, 5), "paris", "Atelier CV", "P1", "Alice", "Oui", 90],
        [None, None, None, None, None, None, None],
        ["06/03/2024", "Paris", "Atelier CV", " P2 ", "Bob", "x", None],
    ]})
    report = load(duck, folder)
    assert report.rows_loaded["emargements"] == 2
    df = duck.df("sheet_emargements")
    assert list(df["source_row"]) == [4, 6]  # as seen in the spreadsheet, blank row skipped
    assert list(df["participant_id"]) == ["P1", "P2"]
    assert list(df["antenne"]) == ["PARIS", "PARIS"]
    assert list(df["duree_minutes"]) == [90.0, 120.0]  # blank: the spec's default
    assert "nom" not in df.columns


def test_sheet_ignored_or_rejected_and_file_rejected(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "emargements avril.xlsx", {
        "Notes": [["Consignes"], ["Remplir une ligne par personne"]],
        "Brouillon": [["Date", "Nom", "Commentaire"], ["01/04/2024", "Alice", "?"]],
        "Avril": [ATTENDANCE_HEADERS, ["02/04/2024", "PARIS", "CV", "P1", "Alice", "oui", 120]],
    })
    write_xlsx(folder / "emargements mai.xlsx", {
        "Mai": [["Date", "ID CRM", "Nom"], ["02/05/2024", "P1", "Alice"]],
    })
    report = load(target, folder)
    assert report.files_loaded == ["emargements avril.xlsx"]
    assert report.files_rejected == ["emargements mai.xlsx"]
    assert (report.sheets_ignored, report.sheets_rejected) == (1, 2)
    log = {(r[0], r[1]): r[2] for r in target.rows(
        "select event, source_sheet, message from {s}.sheet_load_log")}
    assert "ignorée" in log[("ignored_sheet", "Notes")]
    rejected = log[("rejected_sheet", "Brouillon")]
    assert "colonnes obligatoires manquantes : id_crm, present" in rejected
    assert "colonnes trouvées : Date, Nom, Commentaire" in rejected
    files = {r[0]: r[1:] for r in target.rows(
        "select source_file, status, message, rows_loaded from {s}.sheet_files")}
    status, message, rows = files["emargements mai.xlsx"]
    assert (status, rows) == ("rejected", 0)
    assert "colonnes obligatoires manquantes : present" in message
    assert "colonnes trouvées : Date, ID CRM, Nom" in message
    assert files["emargements avril.xlsx"][0] == "loaded"


def test_csv_windows_1252_with_semicolons_and_utf8_with_commas(duck: Target,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    folder.mkdir()
    text = ("Date;Antenne;Atelier;ID CRM;Nom;Présent;Durée (minutes)\r\n"
            "05/03/2024;Bordeaux;Préparation à l'entretien;P1;Hélène;oui;1 200,5\r\n"
            "06/03/2024;Bordeaux;Numérique;P2;Zoé;non;\r\n")
    (folder / "emargements_bordeaux.csv").write_bytes(text.encode("cp1252"))
    (folder / "Objectifs 2026.csv").write_bytes(
        "\ufeffIndicateur,Programme,Antenne,Année,Trimestre,Cible\n"
        "ENT,Socle,Toutes,2026,,40\n".encode()
    )
    report = load(duck, folder)
    assert report.rows_loaded["emargements"] == 2 and report.rows_loaded["objectifs"] == 1
    df = duck.df("sheet_emargements")
    assert list(df["atelier"]) == ["Préparation à l'entretien", "Numérique"]
    assert list(df["atelier_key"]) == ["preparation_a_l_entretien", "numerique"]
    assert list(df["present"]) == [True, False]
    assert list(df["duree_minutes"]) == [1200.5, 120.0]
    assert set(df["source_sheet"]) == {"emargements_bordeaux"}
    objectif = duck.df("sheet_objectifs").iloc[0]
    assert (objectif["programme"], objectif["antenne"], objectif["cible"]) == ("SOCLE", "ALL", 40)


def test_ods_keeps_dates_and_percent_cells(duck: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_ods(folder / "objectifs.ods", {"Cibles": [
        TARGET_HEADERS,
        ["SD_SORTIE", "TOUS", "TOUTES", 2026, None, Pct(0.55)],
        ["ENT", "SOCLE", "PARIS", 2026, 2, 12],
    ]})
    write_ods(folder / "emargements.ods", {"Feuille1": [
        ATTENDANCE_HEADERS,
        [date(2024, 3, 5), "PARIS", "CV", "P1", "Alice", "oui", 90],
        ["07/03/24", "PARIS", "CV", "P2", "Bob", "non", None],
    ]})
    report = load(duck, folder)
    assert (report.rows_loaded["objectifs"], report.rows_loaded["emargements"]) == (2, 2)
    targets = duck.df("sheet_objectifs", order="source_row")
    assert list(targets["cible"]) == [0.55, 12.0]
    assert list(targets["cible_is_percent_cell"]) == [True, False]
    assert targets["trimestre"].isna().iloc[0] and targets["trimestre"].iloc[1] == 2
    dates = duck.df("sheet_emargements", order="source_row")
    assert [d.date() if hasattr(d, "date") else d for d in dates["date"]] == [
        date(2024, 3, 5), date(2024, 3, 7)]


def _values(grids: list) -> list:
    """Sheet names and cell values, trailing blank cells and blank rows left out (what the
    loader reads the same whatever the reader)."""
    out = []
    for name, grid in grids:
        rows = []
        for number, cells in grid:
            values = [c.value for c in cells]
            while values and values[-1] is None:
                values.pop()
            if values:
                rows.append((number, values))
        out.append((name, rows))
    return out


def test_calamine_reads_xlsx_cells_as_openpyxl_does(tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    from connectors.sheets.reader import _calamine_grids, _openpyxl_grids

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Mars"
    sheet["C3"] = "Titre décalé"  # data off A1: row numbers must stay those a person sees
    rows = [
        ["Date", "ID CRM", "Présent", "Durée", "Atelier"],
        [datetime(2024, 3, 5), "P1", True, 120, "  CV  "],
        [datetime(2024, 3, 6, 14, 30), 12345, False, 90.5, 2024],
        [date(2024, 3, 7), "P2", "oui", 0, ""],
        [None, None, None, None, None],
        [timedelta(hours=30), "P3", 1, -2.25, "Entretien\nindividuel"],
    ]
    for r, row in enumerate(rows, start=5):
        for c, value in enumerate(row, start=2):
            if value is not None:
                sheet.cell(r, c, value)
    sheet["B8"].number_format = "DD/MM/YYYY"
    hidden = book.create_sheet("Cachée")
    hidden["A1"] = "Date"
    hidden.sheet_state = "hidden"
    book.create_sheet("Vide")
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=5, min_row=6, max_row=8))
    book.create_chartsheet("Graphique").add_chart(chart)
    path = tmp_path / "emargements.xlsx"
    book.save(path)
    read = _values(_calamine_grids(path))
    assert read == _values(_openpyxl_grids(path))
    assert [name for name, _ in read] == ["Mars", "Cachée", "Vide"]
    assert read[0][1][0] == (3, [None, None, "Titre décalé"])


def test_error_cells_reach_the_quarantine_as_typed(duck: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    path = write_xlsx(folder / "emargements.xlsx", attendance(
        ["05/03/2024", "PARIS", "CV", "P1", "Alice", "#N/A", 120],
        ["06/03/2024", "PARIS", "CV", "P2", "Bob", "oui", 60]))
    book = openpyxl.load_workbook(path)
    book["Mars"]["F2"].data_type = "e"  # what a failed lookup formula leaves: an error value
    book.save(path)
    report = load(duck, folder)
    assert report.rows_loaded["emargements"] == 1
    assert duck.rows("select source_row, column_name, value from {s}.sheet_quarantine") == [
        (2, "present", "#N/A")]


def test_bad_rows_are_quarantined_and_the_others_load(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "Émargements" / "mars.xlsx", attendance(
        ["05/03/2024", "PARIS", "CV", "P1", "Alice Martin", "oui", 120],
        ["31/02/2024", "PARIS", "CV", "P2", "Bob Secret", "peut-être", 120],
        ["07/03/2024", "PARIS", "CV", "P999", "Carla Secret", "oui", 120],
        ["08/03/2024", "PARIS", "CV", None, "Dan Secret", "oui", "deux heures"],
        ["09/03/2024", "PARIS", "CV", "P3", "Eve", "", None],
    ))
    report = load(target, folder)
    assert report.rows_loaded["emargements"] == 2
    assert report.rows_quarantined["emargements"] == 3
    assert report.quarantine_lines == 5
    loaded = target.df("sheet_emargements")
    assert list(loaded["participant_id"]) == ["P1", "P3"]
    lines = target.rows(
        "select kind, source_file, source_sheet, source_row, column_name, value, reason "
        "from {s}.sheet_quarantine order by source_row, column_name")
    assert lines == [
        ("emargements", "Émargements/mars.xlsx", "Mars", 3, "date", "31/02/2024",
         "date impossible : 31/02/2024 (attendu JJ/MM/AAAA)"),
        ("emargements", "Émargements/mars.xlsx", "Mars", 3, "present", "peut-être",
         "valeur non booléenne : 'peut-être' (attendu oui/non, o/n, x, vrai/faux, 1/0, "
         "true/false ou vide)"),
        ("emargements", "Émargements/mars.xlsx", "Mars", 4, "id_crm", "P999",
         "identifiant participant inconnu du CRM : P999"),
        ("emargements", "Émargements/mars.xlsx", "Mars", 5, "duree_minutes", "deux heures",
         "nombre illisible : 'deux heures'"),
        ("emargements", "Émargements/mars.xlsx", "Mars", 5, "id_crm", "",
         "valeur obligatoire manquante (colonne id_crm)"),
    ]
    assert not any("Secret" in str(cell) for line in lines for cell in line)
    files = target.rows("select status, rows_loaded, rows_quarantined from {s}.sheet_files")
    assert files == [("loaded", 2, 3)]


def test_erased_participants_are_dropped_before_quarantine_and_counted(
        target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "emargements.xlsx", attendance(
        ["05/03/2024", "PARIS", "CV", "P1", "Alice", "oui", 120],
        ["31/02/2024", "PARIS", "CV", "PX", "Effacée", "peut-être", 120],
        ["06/03/2024", "PARIS", "CV", "PX", "Effacée", "oui", 120],
    ))
    write_xlsx(folder / "suivi post-parcours.xlsx", {"Appels": [
        ["ID CRM", "Date contact", "Joint", "Situation", "Date début"],
        ["PX", "01/02/2025", "oui", "emploi", None],
    ]})
    report = load(target, folder, erased={"PX"})
    assert report.erased_rows_dropped == 3
    assert report.quarantine_lines == 0
    everywhere = target.rows(
        "select count(*) from {s}.sheet_emargements where participant_id = 'PX'")
    assert everywhere == [(0,)]
    log = target.rows("select event, source_file, row_count, message from {s}.sheet_load_log "
                      "where event = 'erased_rows_dropped' order by source_file")
    assert [(e, f, int(n)) for e, f, n, _ in log] == [
        ("erased_rows_dropped", "emargements.xlsx", 2),
        ("erased_rows_dropped", "suivi post-parcours.xlsx", 1),
    ]
    assert not any("PX" in message for *_, message in log)


def test_a_removed_file_loses_its_rows(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "emargements mars.xlsx", attendance(
        ["05/03/2024", "PARIS", "CV", "P1", "Alice", "oui", 120]))
    april = write_xlsx(folder / "emargements avril.xlsx", attendance(
        ["05/04/2024", "PARIS", "CV", "P1", "Alice", "oui", 120]))
    assert load(target, folder).rows_loaded["emargements"] == 2
    april.unlink()
    report = load(target, folder, at=T0 + timedelta(days=1))
    assert report.rows_loaded["emargements"] == 1
    assert target.rows("select distinct source_file from {s}.sheet_emargements") == [
        ("emargements mars.xlsx",)]
    assert target.rows("select source_file from {s}.sheet_files") == [("emargements mars.xlsx",)]


def test_a_good_file_then_rejected_keeps_its_rows_and_is_stale(target: Target,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    path = folder / "emargements.xlsx"
    write_xlsx(path, attendance(
        ["05/03/2024", "PARIS", "CV", "P1", "Alice", "oui", 120],
        ["05/03/2024", "PARIS", "CV", "P2", "Bob", "oui", 120],
    ))
    write_xlsx(folder / "objectifs.xlsx", {"Cibles": [["Indicateur", "Cible"], ["ENT", 3]]})
    first = load(target, folder)
    assert first.files_rejected == ["objectifs.xlsx"]  # never good: plainly rejected

    write_xlsx(path, {"Mars": [["Date", "ID CRM", "Nom"], ["06/03/2024", "P1", "Alice"]]})
    second_at = T0 + timedelta(days=1)
    second = load(target, folder, at=second_at, erased={"P2"})
    assert second.files_stale == ["emargements.xlsx"]
    assert second.rows_kept_stale["emargements"] == 1
    assert second.erased_rows_dropped == 1  # an erasure reaches kept rows too
    kept = target.df("sheet_emargements")
    assert list(kept["participant_id"]) == ["P1"]
    assert list(kept["loaded_at"]) == [T0]
    status = target.rows("select status, last_good_load_at, rows_loaded, message "
                         "from {s}.sheet_files where source_file = 'emargements.xlsx'")
    assert status[0][:3] == ("stale", T0, 1)
    assert "colonnes obligatoires manquantes : present" in status[0][3]
    assert "dernier chargement réussi" in status[0][3]
    assert target.rows("select status from {s}.sheet_files where source_file = 'objectifs.xlsx'"
                       ) == [("rejected",)]

    write_xlsx(path, attendance(["07/03/2024", "PARIS", "CV", "P3", "Chloé", "oui", 60]))
    third = load(target, folder, at=T0 + timedelta(days=2))
    assert third.files_loaded == ["emargements.xlsx"]
    assert list(target.df("sheet_emargements")["participant_id"]) == ["P3"]


def test_objectifs_key_rule_scopes_and_catalogue(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    older = write_xlsx(folder / "Objectifs 2025.xlsx", {"Cibles": [
        TARGET_HEADERS,
        ["ENT", "SOCLE", "PARIS", 2026, None, 40],  # same as in the newer file: kept once
        ["SOR", "SOCLE", "PARIS", 2026, "T2", 10],  # differs from the newer file: both out
    ]})
    set_mtime(older, datetime(2025, 12, 1))
    newer = write_xlsx(folder / "Objectifs 2026.xlsx", {"Cibles": [
        TARGET_HEADERS,
        ["ENT", "SOCLE", "PARIS", 2026, None, "40"],
        ["SOR", "socle", "paris", 2026, 2, 12],
        ["SD_SORTIE", "Tous", "Toutes", 2026, None, "55 %"],
        ["ED_SORTIE", "AVEC", "TOUTES", 2026, None, Pct(0.25)],
        ["SD_6M", "AVEC", "TOUTES", 2026, None, "0,55"],
        ["XYZ", "AVEC", "PARIS", 2026, None, 3],
        ["ACT", "AVEC", "PARIS", 2026, 5, 3],
    ]})
    set_mtime(newer, datetime(2026, 1, 15))
    report = load(target, folder)
    rows = target.rows("select indicateur, programme, antenne, trimestre, cible, "
                       "cible_is_percent_cell, source_file from {s}.sheet_objectifs "
                       "order by indicateur")
    assert rows == [
        ("ED_SORTIE", "AVEC", "ALL", None, 0.25, True, "Objectifs 2026.xlsx"),
        ("ENT", "SOCLE", "PARIS", None, 40.0, False, "Objectifs 2026.xlsx"),
        ("SD_6M", "AVEC", "ALL", None, 0.55, False, "Objectifs 2026.xlsx"),
        ("SD_SORTIE", "ALL", "ALL", None, 0.55, True, "Objectifs 2026.xlsx"),
    ]
    lines = target.rows("select source_file, source_row, column_name, reason "
                        "from {s}.sheet_quarantine order by source_file, source_row")
    assert [(f, r, c) for f, r, c, _ in lines] == [
        ("Objectifs 2025.xlsx", 3, "cible"),
        ("Objectifs 2026.xlsx", 3, "cible"),
        ("Objectifs 2026.xlsx", 7, "indicateur"),
        ("Objectifs 2026.xlsx", 8, "trimestre"),
    ]
    assert "objectif en double avec une cible différente" in lines[0][3]
    assert "Objectifs 2026.xlsx, feuille 'Cibles', ligne 3" in lines[0][3]
    assert lines[2][3] == "indicateur inconnu du catalogue : XYZ"
    assert lines[3][3].startswith("trimestre invalide : '5'")
    assert report.rows_quarantined["objectifs"] == 4

    # Without a catalogue, unknown indicator codes are not checked.
    load(target, folder, indicators=None, at=T0 + timedelta(hours=1))
    assert target.rows("select count(*) from {s}.sheet_objectifs where indicateur = 'XYZ'"
                       ) == [(1,)]


def test_followup_without_start_date_keeps_the_contact(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "suivi post-parcours.xlsx", {"Appels": [
        ["ID CRM", "Date contact", "Joint", "Situation", "Type contrat", "Date début",
         "Date fin", "Type formation"],
        ["P1", "01/02/2025", "oui", "Emploi", "CDI", "15/01/2025", None, None],
        ["P2", "02/02/2025", "oui", "emploi", "CDD", None, None, None],
        ["P3", "03/02/2025", "non", "emploi", None, None, None, None],
        ["P4", "04/02/2025", "oui", "emploi", "CDX", "01/01/2025", None, None],
        ["P5", "05/02/2025", "Oui", "Formation", None, "2025-01-10", "10/06/25",
         "Pré-qualifiante"],
        ["P9", "06/02/2025", "oui", "recherche", None, None, None, None],
    ]})
    report = load(target, folder)
    assert report.rows_loaded["suivi_post_parcours"] == 5
    rows = target.rows("select participant_id, situation, type_contrat, date_debut, "
                       "type_formation, situation_quarantined from {s}.sheet_suivi_post_parcours "
                       "order by source_row")
    assert rows == [
        ("P1", "emploi", "CDI", date(2025, 1, 15), None, False),
        ("P2", "emploi", "CDD", None, None, True),
        ("P3", "emploi", None, None, None, False),
        ("P4", "emploi", None, date(2025, 1, 1), None, True),
        ("P5", "formation", None, date(2025, 1, 10), "pre_qualifiante", False),
    ]
    lines = target.rows("select source_row, column_name, reason from {s}.sheet_quarantine "
                        "order by source_row")
    assert [(r, c) for r, c, _ in lines] == [(3, "date_debut"), (5, "type_contrat"),
                                             (7, "id_crm")]
    assert "sans date de début" in lines[0][2] and "le contact est conservé" in lines[0][2]


def test_timestamps_are_stored_as_utc(duck: Target, tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    write_xlsx(folder / "plan_action.xlsx", {"Plan": [
        ["ID", "Action", "Axe", "Début", "Fin", "Budget (EUR)", "Contributeurs"],
        ["PA-1", "Former les équipes", "Suivi", "01/02/2026", "28/02/2026", "1 500",
         "Direction, Chargé suivi-évaluation"],
    ]})
    from zoneinfo import ZoneInfo

    report = load(duck, folder, at=datetime(2026, 3, 10, 8, 0, tzinfo=ZoneInfo("Europe/Paris")))
    assert report.loaded_at == datetime(2026, 3, 10, 7, 0)
    row = duck.rows("select axe, budget_eur, contributeurs, loaded_at from {s}.sheet_plan_action")
    assert row == [("suivi", 1500.0, "direction,charge_suivi_evaluation",
                    datetime(2026, 3, 10, 7, 0))]


def test_missing_folder_fails_loudly(duck: Target, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(duck, tmp_path / "absent")


# -- the demo folder -----------------------------------------------------------------------------
def _fake_participants(count: int = 90) -> list[dict]:
    rng = random.Random(3)
    people = []
    for n in range(count):
        start = date(2023, 6, 1) + timedelta(days=rng.randint(0, 1000))
        end = start + timedelta(days=rng.randint(60, 330)) if rng.random() < 0.6 else None
        people.append({"participant_id": f"P{n:05d}", "antenna": rng.choice(["PARIS", "BORDEAUX"]),
                       "programme": rng.choice(["SOCLE", "SOCLE_FEMMES", "AVEC"]),
                       "start_date": start, "end_date": end})
    return people


def test_demo_files_load_with_only_a_few_quarantined_rows(duck: Target, tmp_path: Path) -> None:
    people = _fake_participants()
    as_of = date(2026, 3, 15)
    files = write_demo_spreadsheets(tmp_path / "demo", people, as_of=as_of, seed=7)
    names = {f.relative_to(tmp_path / "demo").as_posix() for f in files}
    assert {"Objectifs 2026.xlsx", "emargements_bordeaux.csv", "suivi post-parcours.xlsx",
            "capitalisation.xlsx", "recommandations.xlsx", "plan_evaluation.xlsx",
            "plan_action.xlsx"} <= names
    assert sum(n.startswith("Émargements/") for n in names) >= 3
    assert (tmp_path / "demo" / "emargements_bordeaux.csv").read_bytes().decode("cp1252")

    report = load(duck, tmp_path / "demo", known={p["participant_id"] for p in people},
                  at=datetime(2026, 3, 15, 6))
    assert not report.files_rejected and not report.files_stale and not report.files_unmatched
    assert all(report.rows_loaded[kind] > 0 for kind in KINDS_BY_NAME)
    assert 3 <= sum(report.rows_quarantined.values()) <= 6
    reasons = " | ".join(r[0] for r in duck.rows("select reason from {s}.sheet_quarantine"))
    assert "date impossible" in reasons
    assert "identifiant participant inconnu du CRM" in reasons
    assert "valeur non booléenne : 'peut-être'" in reasons
    # A row pasted into two monthly files is loaded from both (SQL de-duplicates it later).
    repeated = duck.rows("select count(*) from (select date, participant_id, atelier_key "
                         "from {s}.sheet_emargements group by 1, 2, 3 "
                         "having count(distinct source_file) > 1) d")
    assert repeated[0][0] >= 1
    percent = duck.rows("select count(*) from {s}.sheet_objectifs where cible_is_percent_cell")
    assert percent[0][0] >= 1
    assert duck.rows("select count(*) from {s}.sheet_objectifs where programme = 'ALL'")[0][0]

    again = write_demo_spreadsheets(tmp_path / "demo2", people, as_of=as_of, seed=7)
    second = connect(tmp_path / "second.duckdb")
    load(Target(second, "raw"), tmp_path / "demo2", known={p["participant_id"] for p in people},
         at=datetime(2026, 3, 15, 6))
    assert [f.name for f in again] == [f.name for f in files]
    for table in ("sheet_emargements", "sheet_objectifs", "sheet_suivi_post_parcours"):
        first_df = duck.df(table)
        second_df = Target(second, "raw").df(table)
        assert first_df.equals(second_df), table
    second.close()


def _ole2_file(path: Path, streams: list[str]) -> Path:
    """An OLE2 compound file as Excel writes one: the signature, a header sector, then a
    directory sector of 128-byte entries, each starting with its name in UTF-16LE."""
    header = OLE2_MAGIC + bytes(512 - len(OLE2_MAGIC))
    directory = b"".join((name.encode("utf-16-le") + b"\0\0").ljust(128, b"\0")
                         for name in ["Root Entry", *streams])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + directory.ljust(512, b"\0") + os.urandom(4096))
    return path


def test_password_protected_xlsx_is_rejected_saying_what_to_do(duck: Target,
                                                              tmp_path: Path) -> None:
    folder = tmp_path / "sheets"
    _ole2_file(folder / "emargements juin.xlsx",
               ["\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"])
    _ole2_file(folder / "emargements juillet.xlsx", ["Workbook", "\x05SummaryInformation"])
    write_xlsx(folder / "emargements avril.xlsx", {
        "Avril": [ATTENDANCE_HEADERS, ["02/04/2024", "PARIS", "CV", "P1", "Alice", "oui", 120]],
    })
    report = load(duck, folder)
    assert report.files_loaded == ["emargements avril.xlsx"]  # the others do not stop it
    assert sorted(report.files_rejected) == ["emargements juillet.xlsx", "emargements juin.xlsx"]
    messages = dict(duck.rows("select source_file, message from {s}.sheet_files "
                              "where status = 'rejected'"))
    protected = messages["emargements juin.xlsx"]
    assert "« emargements juin.xlsx » : fichier protégé par mot de passe : enregistrez-le sans " \
           "mot de passe" in protected
    assert "BadZipFile" not in protected and "\n" not in protected
    legacy = messages["emargements juillet.xlsx"]
    assert "« emargements juillet.xlsx »" in legacy and ".xls" in legacy
    assert "BadZipFile" not in legacy
