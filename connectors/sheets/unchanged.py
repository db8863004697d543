"""Whether the spreadsheets need reading again, and the record that lets the next refresh tell.

Reading every workbook of the shared folder and typing every row is the same work every night,
while the files change a few times a month. A load's result depends only on:

- the files themselves (path, modification time — stored with the rows — and content);
- the loader's own code, the indicator catalogue's codes (checked in `objectifs`) and the
  pseudonym key (below);
- for each participant id the rows name, whether the CRM knows it and whether it was erased.

So after a load `record_load` keeps, in `raw.sheet_load_state`, a signature of the first two and
the participant ids the load looked up with what it found (known or not), each as a keyed digest
(never the id). The next refresh may skip reading (`unchanged_load`) when the signature is the
same and none of those answers changed, which is cheap to tell: a known id can only stop being
known through erasure (`raw.deletion_log`), and an unknown id can only become known in a CRM load
newer than the one the spreadsheets were checked against. The skipped refresh leaves the raw
sheet tables exactly as a new read would write them, up to their `loaded_at` stamp, which keeps
the time of the read that produced them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path

from common.warehouse import Warehouse
from connectors.sheets.loader import SheetsLoadReport
from connectors.sheets.reader import discover

STATE_TABLE = "sheet_load_state"
_LOADER_CODE = Path(__file__).parent
_KNOWN, _UNKNOWN = "K", "U"


def inputs_signature(sheets_dir: Path, indicator_codes: set[str] | None,
                     pseudonym_key: str) -> str | None:
    """A digest of everything a load reads besides the CRM; None when the folder is missing
    (the load itself then fails with its own message)."""
    root = Path(sheets_dir)
    if not root.is_dir():
        return None
    digest = hashlib.sha256()
    for source in sorted(_LOADER_CODE.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    digest.update(repr(sorted(indicator_codes) if indicator_codes is not None else None).encode())
    digest.update(hashlib.sha256(b"sea-sheets:" + pseudonym_key.encode()).digest())
    found = discover(root)
    for file in found.files:
        stat = file.path.stat()
        digest.update(f"{file.relative}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
        digest.update(hashlib.sha256(file.path.read_bytes()).digest())
    for relative, _reason in found.unmatched:  # listed in the load log
        digest.update(f"unmatched\0{relative}\0".encode())
    return digest.hexdigest()


def _digester(pseudonym_key: str):
    key = hashlib.sha256(b"sea-sheets-participants:" + pseudonym_key.encode()).digest()
    return lambda participant_id: hashlib.blake2b(
        participant_id.encode(), key=key, digest_size=12).hexdigest()


def _ensure(wh: Warehouse, schema: str) -> str:
    table = f"{schema}.{STATE_TABLE}"
    wh.ensure_schema(schema)
    wh.execute(f"create table if not exists {table} (signature text, participants_seq bigint, "
               "checked text, report text)")
    return table


def unchanged_load(wh: Warehouse, signature: str | None, pseudonym_key: str,
                   tables: list[str], schema: str = "raw") -> SheetsLoadReport | None:
    """The report of the last load when reading again would give the same tables, else None.

    `tables`: the raw sheet tables the load writes (all must still exist)."""
    if signature is None or not wh.table_exists(f"{schema}.{STATE_TABLE}"):
        return None
    row = wh.fetchall(f"select signature, participants_seq, checked, report "
                      f"from {schema}.{STATE_TABLE}")
    if len(row) != 1 or row[0][0] != signature:
        return None
    if not all(wh.table_exists(f"{schema}.{table}") for table in tables):
        return None
    _, seq, checked, report = row[0]
    answers = dict(line.split(":", 1) for line in checked.split("\n") if line)
    digest = _digester(pseudonym_key)
    known = {d for d, answer in answers.items() if answer == _KNOWN}
    unknown = {d for d, answer in answers.items() if answer == _UNKNOWN}
    if known and wh.table_exists(f"{schema}.deletion_log"):
        erased = wh.fetchall(f"select id from {schema}.deletion_log "
                             "where resource = 'participants'")
        if any(digest(str(i).strip()) in known for (i,) in erased):
            return None
    if unknown and wh.table_exists(f"{schema}.crm_participants"):
        arrived = wh.fetchall(f"select distinct id from {schema}.crm_participants "
                              "where _load_seq > ?", [int(seq)])
        if any(digest(str(i).strip()) in unknown for (i,) in arrived):
            return None
    return _report_from_json(report)


def record_load(wh: Warehouse, signature: str | None, pseudonym_key: str,
                report: SheetsLoadReport, participants_seq: int, schema: str = "raw") -> None:
    """After a load that read the files: what the next refresh compares with."""
    table = _ensure(wh, schema)
    digest = _digester(pseudonym_key)
    checked = "\n".join(sorted(
        f"{digest(p)}:{_KNOWN if known else _UNKNOWN}"
        for p, known in report.participants_checked.items()))
    with wh.transaction():
        wh.execute(f"delete from {table}")
        wh.execute(f"insert into {table} values (?, ?, ?, ?)",
                   [signature, participants_seq, checked, _report_to_json(report)])


def participants_seq(wh: Warehouse, schema: str = "raw") -> int:
    """The CRM load the spreadsheets are about to be checked against (read before the load)."""
    if not wh.table_exists(f"{schema}.crm_participants"):
        return 0
    return int(wh.scalar(f"select coalesce(max(_load_seq), 0) from {schema}.crm_participants"))


def _report_to_json(report: SheetsLoadReport) -> str:
    data = dataclasses.asdict(report)
    data.pop("participants_checked")
    data.pop("unchanged_since")
    data["loaded_at"] = report.loaded_at.isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _report_from_json(text: str) -> SheetsLoadReport:
    data = json.loads(text)
    loaded_at = datetime.fromisoformat(data.pop("loaded_at"))
    return SheetsLoadReport(loaded_at=loaded_at, unchanged_since=loaded_at, **data)
