"""Raw: the participants' pseudonyms, keyed hash of their CRM ids (the key stays in Python)."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, ResourceParam, asset

from connectors.pseudonyms import rebuild_pseudonyms
from orchestration.assets.raw_crm import CRM_TABLES, OWNERS
from orchestration.assets.raw_sheets import SHEET_TABLES
from orchestration.resources import SeaSettingsResource, WarehouseResource


@asset(
    key=["raw", "participant_pseudonyms"],
    group_name="raw",
    owners=OWNERS,
    kinds={"python"},
    deps=[AssetKey(["raw", n]) for n in (*CRM_TABLES, *SHEET_TABLES)],
    description=(
        "Pseudonyme de chaque identifiant CRM de participant (HMAC-SHA256 avec "
        "PSEUDONYM_KEY) : au-delà de la couche brute, les personnes ne sont connues que "
        "par ce pseudonyme."
    ),
)
def participant_pseudonyms(context: AssetExecutionContext, sea_settings: SeaSettingsResource,
                           warehouse: ResourceParam[WarehouseResource]) -> MaterializeResult:
    with warehouse.get_warehouse() as wh:
        count = rebuild_pseudonyms(wh, sea_settings.settings.pseudonym_key)
    context.log.info("%d pseudonymes calculés", count)
    return MaterializeResult(metadata={"dagster/row_count": count})
