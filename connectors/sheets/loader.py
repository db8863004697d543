"""Rebuilding the raw spreadsheet layer from the files present in SHEETS_DIR.

One call reads every file, types every row, and replaces the `raw.sheet_*` tables in one
transaction, so readers never see half a refresh. Rules (`docs/spreadsheets.md`): a removed file's
rows go; a file that was good and is now rejected keeps its last good rows and is `stale`; bad
rows go to the quarantine (this run's problems only) and never stop the others; rows of erased
participants are dropped first and only counted. Cross-file de-duplication is left to SQL,
except for `objectifs` whose key rule is applied here (`targets.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from common.gc_pause import cyclic_gc_paused
from common.warehouse import Warehouse
from connectors.sheets.kinds import KINDS, KINDS_BY_NAME, Kind
from connectors.sheets.reader import FileRead, discover, read_file
from connectors.sheets.rows import Checks, participant_of, type_row
from connectors.sheets.schema import FILES, LOAD_LOG, QUARANTINE, Columns, ensure_tables
from connectors.sheets.schema import kind_columns as columns_of
from connectors.sheets.targets import KEY as TARGET_KEY
from connectors.sheets.targets import decide_targets

logger = logging.getLogger("sea.sheets")

LOADED, STALE, REJECTED = "loaded", "stale", "rejected"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")  # interpolated into SQL


@dataclass
class SheetsLoadReport:
    """What one refresh of the spreadsheets did, for the run log and the Dagster metadata."""

    loaded_at: datetime
    rows_loaded: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})
    rows_kept_stale: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})
    rows_quarantined: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})
    quarantine_lines: int = 0
    files_loaded: list[str] = field(default_factory=list)
    files_stale: list[str] = field(default_factory=list)
    files_rejected: list[str] = field(default_factory=list)
    files_unmatched: list[str] = field(default_factory=list)
    sheets_ignored: int = 0
    sheets_rejected: int = 0
    erased_rows_dropped: int = 0
    # The participant ids the rows named (looked up in the CRM's or the erased ids), with
    # whether each was known: what the next refresh must re-check before it may skip reading
    # unchanged files (connectors/sheets/unchanged.py). Never written as such to the warehouse.
    participants_checked: dict[str, bool] = field(default_factory=dict, repr=False)
    # Set when the files were not read again: nothing they depend on changed since that load.
    unchanged_since: datetime | None = None

    def summary(self) -> str:
        """One French paragraph for staff and the run log."""
        def per_kind(counts: dict[str, int]) -> str:
            parts = [f"{KINDS_BY_NAME[k].label} {n}" for k, n in counts.items() if n]
            return ", ".join(parts) if parts else "aucune"

        lines = [] if self.unchanged_since is None else [
            f"Aucun tableur modifié depuis la lecture du {self.unchanged_since:%d/%m/%Y à %H:%M} "
            "(UTC), ni aucun participant qu'ils nomment : lecture sautée, tables inchangées."]
        lines += [
            f"Tableurs partagés lus le {self.loaded_at:%d/%m/%Y à %H:%M} (UTC) : "
            f"{len(self.files_loaded)} fichier(s) chargé(s), "
            f"{len(self.files_stale)} rejeté(s) dont le dernier chargement réussi est conservé, "
            f"{len(self.files_rejected)} rejeté(s) sans chargement antérieur, "
            f"{len(self.files_unmatched)} non reconnu(s).",
            f"Lignes chargées : {per_kind(self.rows_loaded)}.",
            f"Lignes en quarantaine : {sum(self.rows_quarantined.values())} "
            f"({per_kind(self.rows_quarantined)}).",
        ]
        if any(self.rows_kept_stale.values()):
            kept = per_kind(self.rows_kept_stale)
            lines.append(f"Lignes conservées de fichiers rejetés : {kept}.")
        if self.sheets_ignored or self.sheets_rejected:
            lines.append(
                f"Feuilles ignorées : {self.sheets_ignored} ; feuilles rejetées : "
                f"{self.sheets_rejected}."
            )
        if self.erased_rows_dropped:
            lines.append(
                f"Lignes de participants effacés supprimées : {self.erased_rows_dropped}."
            )
        return "\n".join(lines)


@dataclass
class _LogLine:
    level: str
    event: str
    message: str
    kind: str | None = None
    source_file: str | None = None
    source_sheet: str | None = None
    row_count: int | None = None


@dataclass
class _FileOutcome:
    read: FileRead
    status: str = LOADED
    message: str | None = None
    last_good_load_at: datetime | None = None
    records: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    erased: int = 0
    rows_loaded: int = 0

    @property
    def kind(self) -> Kind:
        return self.read.found.kind

    @property
    def source_file(self) -> str:
        return self.read.found.relative

    def quarantined_rows(self) -> int:
        return len({(q["source_sheet"], q["source_row"]) for q in self.quarantine})


def _utc_naive(moment: datetime) -> datetime:
    """Timestamps are stored as naive UTC; a naive `loaded_at` is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# -- typing the rows of one file ------------------------------------------------------------------
def _type_file(read: FileRead, checks: Checks, erased: frozenset[str],
               loaded_at: datetime) -> _FileOutcome:
    outcome = _FileOutcome(read)
    kind, found = read.found.kind, read.found
    for sheet in read.sheets:
        for row in sheet.rows:
            participant = participant_of(kind, row)
            if participant is not None and participant in erased:
                outcome.erased += 1  # before quarantine: no trace of the row's content
                continue
            typed = type_row(kind, row, checks)
            where = {"source_file": found.relative, "source_sheet": sheet.name,
                     "source_row": row.number}
            for problem in typed.problems:
                outcome.quarantine.append({
                    "kind": kind.name, **where, "column_name": problem.column,
                    "value": problem.value, "reason": problem.reason, "loaded_at": loaded_at,
                })
            if typed.loadable:
                outcome.records.append({**typed.values, **where,
                                        "file_modified_at": found.modified_at,
                                        "loaded_at": loaded_at})
    return outcome


# -- warehouse helpers ----------------------------------------------------------------------------
def _series(values: list, sql_type: str) -> pd.Series | pd.api.extensions.ExtensionArray:
    """A column with a dtype both engines load without guessing (nullable ints and booleans)."""
    if sql_type == "boolean":
        return pd.array(values, dtype="boolean")
    if sql_type in ("integer", "bigint"):
        return pd.array(values, dtype="Int64")
    if sql_type == "double precision":
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    if sql_type == "timestamp":
        return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    return pd.Series(values, dtype=object)


def _frame(columns: Columns, records: Sequence[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: _series([r.get(name) for r in records], sql_type) for name, sql_type in columns}
    )


def _previous_files(warehouse: Warehouse, schema: str) -> dict[str, dict]:
    rows = warehouse.fetchall(
        f"select source_file, kind, status, last_good_load_at from {schema}.sheet_files"
    )
    return {r[0]: {"kind": r[1], "status": r[2], "last_good_load_at": r[3]} for r in rows}


def _not_in(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    if not values:
        return "true", []
    return f"{column} not in ({', '.join('?' for _ in values)})", list(values)


def _drop_rows_of_erased(warehouse: Warehouse, table: str, stale: Sequence[_FileOutcome],
                         erased: frozenset[str]) -> None:
    """A stale file's kept rows must still lose a participant erased since (GDPR art. 17)."""
    for outcome in stale:
        found = warehouse.fetchall(
            f"select participant_id, count(*) from {table} where source_file = ? "
            "group by participant_id",
            [outcome.source_file],
        )
        for participant, count in found:
            if participant is not None and participant in erased:
                warehouse.execute(
                    f"delete from {table} where source_file = ? and participant_id = ?",
                    [outcome.source_file, participant],
                )
                outcome.erased += int(count)


def _stale_targets(warehouse: Warehouse, table: str, stale: Sequence[str]) -> list[dict]:
    names = [*TARGET_KEY, "cible", "cible_is_percent_cell", "source_file", "source_sheet",
             "source_row", "file_modified_at"]
    rows = []
    for source_file in stale:
        for values in warehouse.fetchall(
            f"select {', '.join(names)} from {table} where source_file = ?", [source_file]
        ):
            rows.append({**dict(zip(names, values, strict=True)), "stale": True})
    return rows


# -- the load -------------------------------------------------------------------------------------
def load_spreadsheets(
    warehouse: Warehouse,
    sheets_dir: Path | str,
    *,
    known_participant_ids: set[str],
    erased_participant_ids: set[str],
    known_indicator_codes: set[str] | None,
    loaded_at: datetime,
    schema: str = "raw",
) -> SheetsLoadReport:
    """Rebuild `<schema>.sheet_*` from the spreadsheets under `sheets_dir`; see module doc.

    `schema` exists so tests can use a throwaway schema on a shared PostgreSQL.
    """
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    loaded_at = _utc_naive(loaded_at)
    root = Path(sheets_dir)
    looked_up: set[str] = set()
    checks = Checks(
        _Recorded((str(p).strip() for p in known_participant_ids), looked_up),
        None if known_indicator_codes is None else frozenset(known_indicator_codes),
    )
    erased = _Recorded((str(p).strip() for p in erased_participant_ids), looked_up)
    report = SheetsLoadReport(loaded_at)
    log: list[_LogLine] = []

    if not root.is_dir():
        # An unmounted share must not look like "every file was removed": fail loudly instead.
        raise FileNotFoundError(f"dossier des tableurs introuvable : {root}")
    discovery = discover(root)
    with cyclic_gc_paused():  # tens of thousands of cells and rows, all kept until the load ends
        reads = [read_file(found) for found in discovery.files]  # outside the transaction
        outcomes = [_type_file(read, checks, erased, loaded_at) for read in reads]
    for relative, reason in discovery.unmatched:
        report.files_unmatched.append(relative)
        log.append(_LogLine("info", "unmatched_file", f"fichier non lu : {reason}",
                            source_file=relative))

    with warehouse.transaction():
        ensure_tables(warehouse, schema)
        previous = _previous_files(warehouse, schema)
        _decide_status(outcomes, previous)
        stale = {o.source_file for o in outcomes if o.status == STALE}
        _purge(warehouse, schema, sorted(stale))
        for kind in KINDS:
            _load_kind(warehouse, schema, kind, outcomes, erased, report)
        _write_bookkeeping(warehouse, schema, outcomes, log, report, loaded_at)

    report.participants_checked = {
        p: p in checks.known_participant_ids for p in sorted(looked_up) if p not in erased}
    for line in log:
        logger.log(logging.WARNING if line.level == "warn" else logging.INFO, "%s%s",
                   f"{line.source_file} : " if line.source_file else "", line.message)
    logger.info("%s", report.summary())
    return report


class _Recorded(frozenset):
    """A set of ids that remembers which ids were looked up in it (`in`), so a load knows
    the participants its result depends on (SheetsLoadReport.participants_checked)."""

    def __new__(cls, ids, record: set[str]) -> _Recorded:
        return super().__new__(cls, ids)

    def __init__(self, ids, record: set[str]) -> None:
        self._record = record

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            self._record.add(item)
        return super().__contains__(item)


def _decide_status(outcomes: list[_FileOutcome], previous: dict[str, dict]) -> None:
    for outcome in outcomes:
        before = previous.get(outcome.source_file)
        kept = before and before["kind"] == outcome.kind.name and before["last_good_load_at"]
        if outcome.read.rejection is None:
            outcome.status = LOADED
        elif kept:
            outcome.status = STALE
            outcome.last_good_load_at = before["last_good_load_at"]
            outcome.message = (
                f"fichier rejeté : {outcome.read.rejection} — le dernier chargement réussi "
                f"({outcome.last_good_load_at:%d/%m/%Y %H:%M} UTC) est conservé"
            )
        else:
            outcome.status = REJECTED
            outcome.message = f"fichier rejeté : {outcome.read.rejection}"


def _purge(warehouse: Warehouse, schema: str, stale: list[str]) -> None:
    """Everything goes except the kept rows of stale files; the run log and quarantine too."""
    for kind in KINDS:
        condition, params = _not_in("source_file", stale)
        warehouse.execute(f"delete from {schema}.{kind.table} where {condition}", params)
    for table in ("sheet_quarantine", "sheet_load_log"):
        warehouse.execute(f"delete from {schema}.{table}")


def _load_kind(warehouse: Warehouse, schema: str, kind: Kind, outcomes: list[_FileOutcome],
               erased: frozenset[str], report: SheetsLoadReport) -> None:
    table = f"{schema}.{kind.table}"
    mine = [o for o in outcomes if o.kind is kind]
    stale = [o for o in mine if o.status == STALE]
    fresh = [o for o in mine if o.status == LOADED]
    if kind.participant_column is not None:
        _drop_rows_of_erased(warehouse, table, stale, erased)
    if kind.name == "objectifs":
        _apply_target_rule(warehouse, table, fresh, mine, [o.source_file for o in stale])
    for outcome in fresh:
        warehouse.insert_df(table, _frame(columns_of(kind), outcome.records))
        outcome.rows_loaded = len(outcome.records)
        report.rows_loaded[kind.name] += outcome.rows_loaded
    for outcome in mine:
        if outcome.status == STALE:
            outcome.rows_loaded = int(warehouse.scalar(
                f"select count(*) from {table} where source_file = ?", [outcome.source_file]
            ))
            report.rows_kept_stale[kind.name] += outcome.rows_loaded
        report.rows_quarantined[kind.name] += outcome.quarantined_rows()


def _apply_target_rule(warehouse: Warehouse, table: str, fresh: list[_FileOutcome],
                       mine: list[_FileOutcome], stale: list[str]) -> None:
    by_file = {o.source_file: o for o in mine}
    candidates = [r for o in fresh for r in o.records] + _stale_targets(warehouse, table, stale)
    decision = decide_targets(candidates)
    dropped = decision.duplicates + [r for r, _ in decision.conflicts]
    for row in dropped:
        if row.get("stale"):
            warehouse.execute(
                f"delete from {table} where source_file = ? and source_sheet = ? "
                "and source_row = ?",
                [row["source_file"], row["source_sheet"], row["source_row"]],
            )
    for row, reason in decision.conflicts:
        shown = f"{row['cible']:g}".replace(".", ",")
        by_file[row["source_file"]].quarantine.append({
            "kind": "objectifs", "source_file": row["source_file"],
            "source_sheet": row["source_sheet"], "source_row": row["source_row"],
            "column_name": "cible", "value": shown, "reason": reason,
        })
    gone = {id(r) for r in dropped}
    for outcome in fresh:
        outcome.records = [r for r in outcome.records if id(r) not in gone]


def _write_bookkeeping(warehouse: Warehouse, schema: str, outcomes: list[_FileOutcome],
                       log: list[_LogLine], report: SheetsLoadReport,
                       loaded_at: datetime) -> None:
    files, quarantine = [], []
    for outcome in outcomes:
        source = outcome.source_file
        kind = outcome.kind.name
        for event in outcome.read.events:
            level = "warn" if event.event in ("rejected_sheet", "duplicate_column") else "info"
            report.sheets_ignored += event.event == "ignored_sheet"
            report.sheets_rejected += event.event == "rejected_sheet"
            log.append(_LogLine(level, event.event, event.message, kind, source, event.sheet))
        if outcome.erased:
            report.erased_rows_dropped += outcome.erased
            log.append(_LogLine("info", "erased_rows_dropped",
                                f"{outcome.erased} ligne(s) de participants effacés du CRM "
                                "supprimée(s), sans en garder le contenu", kind, source,
                                row_count=outcome.erased))
        if outcome.status == LOADED:
            report.files_loaded.append(source)
            last_good = loaded_at
        else:
            (report.files_stale if outcome.status == STALE else report.files_rejected).append(
                source)
            last_good = outcome.last_good_load_at
            log.append(_LogLine("warn", f"{outcome.status}_file", outcome.message or "", kind,
                                source, row_count=outcome.rows_loaded))
        for line in outcome.quarantine:
            line["loaded_at"] = loaded_at
        quarantine.extend(outcome.quarantine)
        files.append({
            "source_file": source, "kind": kind, "file_modified_at": outcome.read.found.modified_at,
            "status": outcome.status, "message": outcome.message or _loaded_message(outcome),
            "last_good_load_at": last_good, "rows_loaded": outcome.rows_loaded,
            "rows_quarantined": outcome.quarantined_rows(), "loaded_at": loaded_at,
        })
    report.quarantine_lines = len(quarantine)
    warehouse.execute(f"delete from {schema}.sheet_files")
    warehouse.insert_df(f"{schema}.sheet_files", _frame(FILES, files))
    warehouse.insert_df(f"{schema}.sheet_quarantine", _frame(QUARANTINE, quarantine))
    lines = [{**vars(line), "loaded_at": loaded_at} for line in log]
    warehouse.insert_df(f"{schema}.sheet_load_log", _frame(LOAD_LOG, lines))


def _loaded_message(outcome: _FileOutcome) -> str:
    sheets = ", ".join(f"'{s.name}'" for s in outcome.read.sheets)
    text = f"chargé : {outcome.rows_loaded} ligne(s) (feuille(s) {sheets})"
    quarantined = outcome.quarantined_rows()
    if quarantined:
        text += f", {quarantined} ligne(s) en quarantaine"
    skipped = [e for e in outcome.read.events if e.event in ("ignored_sheet", "rejected_sheet")]
    if skipped:
        text += " ; " + " ; ".join(e.message for e in skipped)
    return text
