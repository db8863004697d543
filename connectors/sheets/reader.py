"""Finding the shared spreadsheets and reading their sheets into header-matched rows.

This module knows file formats and layout (which file is which kind, where the header row is,
which sheet to take); it does not type values — `rows.py` does. Cells keep what the format tells
us and text loses: real dates, and whether a number is formatted as a percentage.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from connectors.sheets.kinds import HELP_SHEET, KINDS, Kind, kind_for_name
from connectors.sheets.names import normalise_name
from connectors.sheets.values import display, is_blank

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".ods")
# An .xlsx is a zip. Excel saves a password-protected workbook (and an old .xls) as an OLE2
# compound file instead: these 8 bytes open it, and an encrypted workbook keeps its zip, scrambled,
# in a stream named EncryptedPackage (directory entry names are UTF-16LE).
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
HEADER_SEARCH_ROWS = 20  # a header may sit under a few title lines; not further down than this


class Cell(NamedTuple):
    value: object
    is_percent: bool = False  # a number in a cell formatted as %


@dataclass(frozen=True)
class FoundFile:
    path: Path
    relative: str  # posix path relative to the sheets folder: the file's identity
    kind: Kind
    modified_at: datetime  # naive UTC


@dataclass
class Discovery:
    files: list[FoundFile] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)


@dataclass(frozen=True)
class SheetRow:
    number: int  # as a person sees it in the spreadsheet (first line = 1)
    cells: dict[str, Cell]  # by normalised header, only the kind's headers


@dataclass
class AcceptedSheet:
    name: str
    header_row: int
    rows: list[SheetRow]


@dataclass(frozen=True)
class ReadEvent:
    event: str  # ignored_sheet, rejected_sheet, unknown_columns, duplicate_column
    message: str  # French
    sheet: str | None = None


@dataclass
class FileRead:
    found: FoundFile
    sheets: list[AcceptedSheet] = field(default_factory=list)
    events: list[ReadEvent] = field(default_factory=list)
    rejection: str | None = None  # French; set when the file has no accepted sheet


Grid = list[tuple[int, list[Cell]]]  # (row number, cells left to right)


# -- finding files --------------------------------------------------------------------------------
def _skipped(name: str) -> bool:
    """Lock files (`~$x.xlsx`, `.~lock.x.ods#`) and hidden files are never data."""
    return name.startswith(("~$", "."))


def _kind_of(relative: Path) -> Kind | None:
    """The file name decides first, then the nearest folder above it inside the root."""
    names = [normalise_name(relative.stem)]
    names += [normalise_name(part) for part in reversed(relative.parts[:-1])]
    for name in names:
        if kind := kind_for_name(name):
            return kind
    return None


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(tzinfo=None)


def discover(root: Path) -> Discovery:
    """Every spreadsheet under `root` with its kind; the rest listed with a French reason."""
    found = Discovery()
    expected = ", ".join(k.name for k in KINDS)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(files):
            if _skipped(name):
                continue
            path = Path(folder) / name
            relative = path.relative_to(root)
            kind = _kind_of(relative)
            if kind is None:
                found.unmatched.append(
                    (relative.as_posix(),
                     f"aucun type de tableau reconnu dans le nom (attendu un nom de fichier ou de "
                     f"dossier commençant par : {expected})")
                )
            elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
                found.unmatched.append(
                    (relative.as_posix(),
                     f"format non pris en charge ({path.suffix or 'sans extension'}) : "
                     "enregistrer en .xlsx, .ods ou .csv")
                )
            else:
                found.files.append(FoundFile(path, relative.as_posix(), kind, _mtime(path)))
    found.files.sort(key=lambda f: f.relative)
    return found


# -- reading grids --------------------------------------------------------------------------------
class UnreadableFile(Exception):
    """A file that cannot be read for a reason staff can fix; the message says how (French)."""


def _check_not_ole2(path: Path) -> None:
    """Refuse a workbook saved as an OLE2 compound file, saying what to do.

    Read as a zip it fails with `BadZipFile`, which tells staff nothing; the usual cause is a
    password set in Excel, which they can remove.
    """
    with path.open("rb") as handle:
        if handle.read(len(OLE2_MAGIC)) != OLE2_MAGIC:
            return
    if ENCRYPTED_STREAM in path.read_bytes():
        raise UnreadableFile(
            "fichier protégé par mot de passe : enregistrez-le sans mot de passe "
            "(Fichier > Informations > Protéger le classeur) puis remplacez-le dans le dossier")
    raise UnreadableFile(
        "classeur Excel 97-2003 (.xls) portant l'extension .xlsx : enregistrez-le au format "
        "« Classeur Excel (.xlsx) »")


def _xlsx_grids(path: Path, kind: Kind) -> list[tuple[str, Grid]]:
    """Values through python-calamine (Rust: about 15 times faster than openpyxl on the nightly
    files), except where openpyxl is needed to read the same cells:

    - the kind has a target column: only openpyxl tells whether a number is formatted as `%`;
    - a sheet holds error cells (`#N/A`…): calamine reads them as blank, openpyxl as their text,
      which the quarantine shows;
    - the file is not a readable zip, or calamine cannot open it: openpyxl then reads it or
      fails with the message staff have always seen in the load log.

    A password-protected workbook is refused first, with what to do (`_check_not_ole2`).
    """
    _check_not_ole2(path)
    if not any(column.type == "target" for column in kind.columns) and not _has_error_cells(path):
        try:
            return _calamine_grids(path)
        except Exception:  # openpyxl decides, and words the rejection as it always did
            pass
    return _openpyxl_grids(path)


def _has_error_cells(path: Path) -> bool:
    """Whether a worksheet holds a cell of type `e` (an error value such as `#N/A`); True as
    well when the file cannot be looked into, so that openpyxl reads it or words why not."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                lowered = name.lower()
                if "sheet" in lowered and lowered.endswith(".xml"):  # xl/worksheets/sheetN.xml
                    xml = archive.read(name)
                    if b't="e"' in xml or b"t='e'" in xml:
                        return True
    except Exception:  # not a zip, encrypted, damaged: openpyxl's message, as before
        return True
    return False


_EMPTY = Cell(None)


def _calamine_cell(value: object) -> Cell:
    """A calamine value as openpyxl returns the same cell: blank is None, a date-formatted cell
    is a datetime (midnight for a date), a whole number is an int."""
    if isinstance(value, str):
        return Cell(value) if value else _EMPTY
    if isinstance(value, float):
        return Cell(int(value) if value.is_integer() else value)
    if type(value) is date:
        return Cell(datetime(value.year, value.month, value.day))
    return Cell(value)


def _calamine_grids(path: Path) -> list[tuple[str, Grid]]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    book = CalamineWorkbook.from_path(str(path))
    try:
        grids = []
        for sheet in book.sheets_metadata:
            if sheet.typ != SheetTypeEnum.WorkSheet:  # openpyxl's `worksheets` leaves these out
                continue
            # From A1, so a row keeps the number a person sees (openpyxl's `cell.row`).
            rows = book.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
            grid: Grid = [(number, [_calamine_cell(v) for v in row])
                          for number, row in enumerate(rows, start=1)]
            grids.append((sheet.name, grid))
        return grids
    finally:
        book.close()


def _openpyxl_grids(path: Path) -> list[tuple[str, Grid]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        grids = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
            grid: Grid = []
            number = 0
            for row in sheet.iter_rows():
                rows = [getattr(c, "row", None) for c in row if getattr(c, "row", None)]
                number = rows[0] if rows else number + 1
                cells = []
                for c in row:
                    value = c.value
                    fmt = getattr(c, "number_format", None) or ""
                    percent = isinstance(value, int | float) and "%" in fmt
                    cells.append(Cell(value, percent))
                grid.append((number, cells))
            grids.append((sheet.title, grid))
        return grids
    finally:
        book.close()


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252 (Excel's French default)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _csv_grid(text: str, delimiter: str) -> Grid:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(n, [Cell(v) for v in record]) for n, record in enumerate(reader, start=1)]


def _csv_grids(path: Path, kind: Kind) -> list[tuple[str, Grid]]:
    """`;` or `,`: the separator that yields more of the kind's headers wins (`;` on a tie)."""
    text = _decode(path.read_bytes())
    best: Grid | None = None
    best_score = -1
    for delimiter in (";", ","):
        grid = _csv_grid(text, delimiter)
        header = _find_header(grid, kind)
        score = len(header[1]) if header else 0
        if score > best_score:
            best, best_score = grid, score
    return [(path.stem, best or [])]


def _ods_cell(cell: object) -> Cell:
    from odf import teletype
    from odf.namespaces import TEXTNS

    get = cell.getAttribute  # type: ignore[attr-defined]
    value_type = get("valuetype")
    if value_type in ("float", "currency", "percentage"):
        number = float(get("value"))
        return Cell(int(number) if number.is_integer() else number, value_type == "percentage")
    if value_type == "date":
        text = get("datevalue")
        parsed = datetime.fromisoformat(text)
        return Cell(parsed.date() if "T" not in text else parsed)
    if value_type == "boolean":
        return Cell(get("booleanvalue") == "true")
    paragraphs = [
        teletype.extractText(p)
        for p in cell.childNodes  # type: ignore[attr-defined]
        if p.qname == (TEXTNS, "p")
    ]
    text = "\n".join(paragraphs)
    return Cell(text if text else None)


def _ods_grids(path: Path) -> list[tuple[str, Grid]]:
    """ODS through odfpy: it keeps value types (dates, percentages) that text would lose.

    Repeated empty rows and cells (ODS pads sheets this way) are skipped, not expanded.
    """
    from odf.namespaces import TABLENS
    from odf.opendocument import load
    from odf.table import Table, TableRow

    document = load(str(path))
    grids = []
    for table in document.spreadsheet.getElementsByType(Table):
        grid: Grid = []
        number = 0
        for row in table.getElementsByType(TableRow):
            repeat = int(row.getAttribute("numberrowsrepeated") or 1)
            cells: list[Cell] = []
            pending_blanks = 0
            for node in row.childNodes:
                if node.qname not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                    continue
                span = int(node.getAttribute("numbercolumnsrepeated") or 1)
                cell = _ods_cell(node)
                if is_blank(cell.value):
                    pending_blanks += span
                    continue
                cells.extend([Cell(None)] * pending_blanks)
                pending_blanks = 0
                cells.extend([cell] * min(span, 1000))
            if not cells:
                number += repeat
                continue
            for _ in range(min(repeat, 10_000)):
                number += 1
                grid.append((number, cells))
        grids.append((table.getAttribute("name"), grid))
    return grids


def read_grids(found: FoundFile) -> list[tuple[str, Grid]]:
    suffix = found.path.suffix.lower()
    if suffix == ".csv":
        return _csv_grids(found.path, found.kind)
    if suffix == ".ods":
        return _ods_grids(found.path)
    return _xlsx_grids(found.path, found.kind)


# -- choosing the header row and the sheets -------------------------------------------------------
def _row_blank(cells: Iterable[Cell]) -> bool:
    return all(is_blank(c.value) for c in cells)


def _find_header(grid: Grid, kind: Kind) -> tuple[int, dict[str, int], list[str]] | None:
    """The row (among the first non-blank ones) with the most of the kind's headers.

    Returns (index in grid, {header: column index}, headers as typed) or None when no row has any.
    """
    best = None
    seen = 0
    for index, (_, cells) in enumerate(grid):
        if _row_blank(cells):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            break
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            name = normalise_name(display(cell.value)) if not is_blank(cell.value) else ""
            if name in kind.headers and name not in columns:
                columns[name] = position
        if columns and (best is None or len(columns) > len(best[1])):
            typed = [display(c.value).strip() for c in cells if not is_blank(c.value)]
            best = (index, columns, typed)
    return best


def _accept_sheet(name: str, grid: Grid, kind: Kind) -> AcceptedSheet | ReadEvent:
    header = _find_header(grid, kind)
    if header is None:
        return ReadEvent(
            "ignored_sheet",
            f"feuille '{name}' ignorée : aucune des colonnes attendues pour {kind.label} "
            f"({', '.join(kind.headers)})",
            name,
        )
    index, columns, typed = header
    missing = [h for h in kind.required_headers if h not in columns]
    if missing:
        return ReadEvent(
            "rejected_sheet",
            f"feuille '{name}' rejetée : colonnes obligatoires manquantes : {', '.join(missing)} ; "
            f"colonnes trouvées : {', '.join(typed)}",
            name,
        )
    rows = []
    for number, cells in grid[index + 1 :]:
        if _row_blank(cells):
            continue
        picked = {h: cells[i] if i < len(cells) else Cell(None) for h, i in columns.items()}
        rows.append(SheetRow(number, picked))
    return AcceptedSheet(name, grid[index][0], rows)


def _extra_columns(name: str, grid: Grid, sheet: AcceptedSheet, kind: Kind) -> list[ReadEvent]:
    """Columns a person added (or misspelt): logged, so a typo does not go unnoticed."""
    header_cells = next(cells for number, cells in grid if number == sheet.header_row)
    counts: dict[str, int] = {}
    extra = []
    for cell in header_cells:
        if is_blank(cell.value):
            continue
        normalised = normalise_name(display(cell.value))
        counts[normalised] = counts.get(normalised, 0) + 1
        if normalised not in kind.headers:
            extra.append(display(cell.value).strip())
    events = []
    if extra:
        events.append(ReadEvent(
            "unknown_columns",
            f"feuille '{name}' : colonnes non reconnues, ignorées : {', '.join(extra)}",
            name,
        ))
    doubled = [h for h, n in counts.items() if n > 1 and h in kind.headers]
    if doubled:
        events.append(ReadEvent(
            "duplicate_column",
            f"feuille '{name}' : colonnes en double, seule la première est lue : "
            f"{', '.join(doubled)}",
            name,
        ))
    return events


def read_file(found: FoundFile) -> FileRead:
    """Read every sheet of a file; never raises for a bad file, it is rejected with a reason."""
    result = FileRead(found)
    try:
        grids = read_grids(found)
    except UnreadableFile as error:
        result.rejection = f"« {found.relative} » : {error}"
        return result
    except Exception as error:  # a corrupt file must not stop the others
        result.rejection = f"fichier illisible : {type(error).__name__} : {error}"
        return result
    rejected = []
    for name, grid in grids:
        if name.strip().casefold() == HELP_SHEET.casefold() and len(grids) > 1:
            continue  # a template's help sheet: nothing to load, nothing to report
        outcome = _accept_sheet(name, grid, found.kind)
        if isinstance(outcome, AcceptedSheet):
            result.sheets.append(outcome)
            result.events.extend(_extra_columns(name, grid, outcome, found.kind))
        else:
            result.events.append(outcome)
            if outcome.event == "rejected_sheet":
                rejected.append(outcome.message)
    if not result.sheets:
        if rejected:
            result.rejection = "aucune feuille acceptée : " + " ; ".join(rejected)
        else:
            result.rejection = (
                f"aucune feuille ne contient les colonnes attendues pour {found.kind.label} "
                f"(obligatoires : {', '.join(found.kind.required_headers)})"
            )
    return result

