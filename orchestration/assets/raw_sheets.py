"""Source → raw: the shared spreadsheets, rebuilt from the files present at each refresh."""


from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from common.settings import Settings
from common.warehouse import Warehouse
from connectors.sheets.kinds import KINDS
from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets
from connectors.sheets.unchanged import (
    inputs_signature,
    participants_seq,
    record_load,
    unchanged_load,
)
from orchestration.assets.raw_crm import OWNERS
from orchestration.assets.table_metadata import ROWS, table_metadata
from orchestration.catalogue import indicator_codes
from orchestration.resources import SeaSettingsResource, WarehouseResource

SHEET_TABLES: dict[str, str] = {
    **{kind.table: f"Lignes lues des fichiers « {kind.label} » du dossier partagé."
       for kind in KINDS},
    "sheet_quarantine": "Lignes de tableurs refusées, avec fichier, onglet, ligne, colonne et "
    "motif.",
    "sheet_files": "Fichiers lus à chaque actualisation, avec leur état (chargé, périmé, rejeté).",
    "sheet_load_log": "Journal de la dernière lecture : fichiers non reconnus, onglets ignorés ou "
    "rejetés, lignes de personnes effacées écartées (comptées, sans contenu).",
}


@multi_asset(
    name="sheets_load",
    specs=[AssetSpec(["raw", name], description=text, group_name="raw", owners=OWNERS,
                     deps=[AssetKey(["raw", "crm_participants"])], kinds={"python", "excel"})
           for name, text in SHEET_TABLES.items()],
    description=(
        "Lecture des tableurs partagés (SHEETS_DIR : objectifs, émargements, suivi "
        "post-parcours, capitalisation, recommandations, plan d'évaluation, plan d'action) ; "
        "les lignes invalides vont en quarantaine avec un motif en français."
    ),
)
def sheets_load(context: AssetExecutionContext, sea_settings: SeaSettingsResource,
                warehouse: ResourceParam[WarehouseResource]):
    with warehouse.get_warehouse() as wh:
        report = load_sheets(wh, sea_settings.settings)
        tables = {name: table_metadata(wh, "raw", name) for name in SHEET_TABLES}
    context.log.info(report.summary())
    for name, meta in sheets_metadata(report, tables).items():
        yield MaterializeResult(asset_key=["raw", name], metadata=meta)


QUARANTINED = "lignes en quarantaine"


def sheets_metadata(report: SheetsLoadReport, tables: dict[str, dict[str, Any]]
                    ) -> dict[str, dict[str, Any]]:
    """What each raw spreadsheet table's materialisation tells the data lead: its rows and the
    period they cover (`tables`, from the warehouse), the rows refused into quarantine and those
    kept from a rejected file's last good load; for the quarantine, its rows per spreadsheet;
    for the files, how many were loaded, kept or rejected. Counts only: no cell of a row."""
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        out[kind.table] = {
            ROWS: 0, **tables.get(kind.table, {}),
            "lignes chargées": report.rows_loaded.get(kind.name, 0),
            QUARANTINED: report.rows_quarantined.get(kind.name, 0),
            "lignes conservées d'un fichier rejeté": report.rows_kept_stale.get(kind.name, 0),
        }
    per_kind = [(k.label, report.rows_quarantined.get(k.name, 0)) for k in KINDS]
    table = ["| tableur | lignes en quarantaine |", "|---|---|"]
    table += [f"| {label} | {n} |" for label, n in per_kind if n]
    out["sheet_quarantine"] = {
        ROWS: 0, **tables.get("sheet_quarantine", {}),
        QUARANTINED: sum(n for _, n in per_kind),
        "par tableur": MetadataValue.md("\n".join(table) if len(table) > 2
                                        else "Aucune ligne en quarantaine."),
    }
    out["sheet_files"] = {
        ROWS: 0, **tables.get("sheet_files", {}),
        "fichiers chargés": len(report.files_loaded),
        "fichiers rejetés (dernier chargement conservé)": len(report.files_stale),
        "fichiers rejetés": len(report.files_rejected),
        "fichiers non reconnus": len(report.files_unmatched),
    }
    out["sheet_load_log"] = {
        ROWS: 0, **tables.get("sheet_load_log", {}),
        "onglets ignorés": report.sheets_ignored, "onglets rejetés": report.sheets_rejected,
        "lignes de personnes effacées écartées": report.erased_rows_dropped,
    }
    if report.unchanged_since is not None:  # the files were not read again (load_sheets)
        unchanged = f"aucun fichier modifié depuis le {report.unchanged_since:%d/%m/%Y %H:%M} UTC"
        for meta in out.values():
            meta["lecture sautée"] = unchanged
    return {name: out[name] for name in SHEET_TABLES}


def load_sheets(wh: Warehouse, settings: Settings) -> SheetsLoadReport:
    """One read of the shared folder into raw — or none when no file and no participant they
    name changed since the last read (connectors/sheets/unchanged.py): what the asset runs, and
    what `make bench` times (the benchmark calls the stages without Dagster, so it shares this
    body)."""
    codes = indicator_codes()
    signature = inputs_signature(settings.sheets_dir, codes, settings.pseudonym_key)
    kept = unchanged_load(wh, signature, settings.pseudonym_key, list(SHEET_TABLES))
    if kept is not None:
        return kept
    seq = participants_seq(wh)
    known = {r[0] for r in wh.fetchall("select distinct id from raw.crm_participants")}
    erased = {r[0] for r in wh.fetchall(
        "select id from raw.deletion_log where resource = 'participants'")}
    report = load_spreadsheets(
        wh, settings.sheets_dir, known_participant_ids=known, erased_participant_ids=erased,
        known_indicator_codes=codes, loaded_at=datetime.now(UTC).replace(tzinfo=None))
    record_load(wh, signature, settings.pseudonym_key, report, seq)
    return report
