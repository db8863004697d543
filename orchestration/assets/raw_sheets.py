"""Source → raw: the shared spreadsheets, rebuilt from the files present at each refresh."""


from datetime import UTC, datetime

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    ResourceParam,
    multi_asset,
)

from common.settings import Settings
from common.warehouse import Warehouse
from connectors.sheets.kinds import KINDS
from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets
from orchestration.assets.raw_crm import OWNERS
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
        counts = {name: int(wh.scalar(f"select count(*) from raw.{name}"))
                  if wh.table_exists(f"raw.{name}") else 0 for name in SHEET_TABLES}
    context.log.info(report.summary())
    for name in SHEET_TABLES:
        yield MaterializeResult(asset_key=["raw", name],
                                metadata={"dagster/row_count": counts[name]})


def load_sheets(wh: Warehouse, settings: Settings) -> SheetsLoadReport:
    """One read of the shared folder into raw: what the asset runs, and what `make bench`
    times (the benchmark calls the stages without Dagster, so it shares this body)."""
    known = {r[0] for r in wh.fetchall("select distinct id from raw.crm_participants")}
    erased = {r[0] for r in wh.fetchall(
        "select id from raw.deletion_log where resource = 'participants'")}
    return load_spreadsheets(
        wh, settings.sheets_dir, known_participant_ids=known, erased_participant_ids=erased,
        known_indicator_codes=indicator_codes(),
        loaded_at=datetime.now(UTC).replace(tzinfo=None))
