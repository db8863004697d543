"""Source → raw: the CRM extraction asset (incremental, idempotent, with erasure)."""


from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from connectors.crm.client import CRMClient
from connectors.crm.load import load_crm
from orchestration.assets.table_metadata import ROWS, table_metadata
from orchestration.resources import SeaSettingsResource, WarehouseResource
from reports.quality_annex import erased_identifiers, scrub_erased_from_annexes

OWNERS = ["team:mel"]
CHANGED = "versions nouvelles ou modifiées"  # rows this extraction added (changed records)
# Resources paged at once; each resource's pages stay sequential (cursors).
EXTRACT_CONCURRENCY = 3

CRM_TABLES: dict[str, str] = {
    "crm_participants": "Toutes les versions des fiches participants reçues du CRM "
    "(données personnelles : couche brute uniquement).",
    "crm_enrolments": "Toutes les versions des parcours (inscriptions à un programme).",
    "crm_activities": "Toutes les versions des activités d'accompagnement.",
    "crm_situations": "Toutes les versions des situations d'emploi ou de formation.",
    "crm_employers": "Toutes les versions des fiches entreprises.",
    "crm_quarantine": "Versions d'enregistrements CRM mises en quarantaine, avec le motif.",
    "crm_schema_drift": "Champs inconnus envoyés par le CRM (évolution du schéma).",
}


SPECS = [AssetSpec(["raw", name], description=text, group_name="raw", owners=OWNERS,
                   kinds={"python"})
         for name, text in CRM_TABLES.items()]


@multi_asset(
    name="crm_extract",
    specs=SPECS,
    description=(
        "Extraction incrémentale de l'API du CRM (pagination, filigrane avec recouvrement, "
        "reprises bornées) vers la couche brute, puis effacement RGPD des suppressions."
    ),
)
def crm_extract(context: AssetExecutionContext, sea_settings: SeaSettingsResource,
                warehouse: ResourceParam[WarehouseResource]):
    settings = sea_settings.settings
    client = CRMClient(settings.crm_base_url, settings.crm_api_token)
    try:
        with warehouse.get_warehouse() as wh:
            report = load_crm(wh, client, overlap=settings.crm_overlap,
                              concurrency=EXTRACT_CONCURRENCY,
                              started_at=settings.run_clock())
            # rows, and the dates of the changes they hold (orchestration/assets/table_metadata.py)
            tables = {name: table_metadata(wh, "raw", name) for name in CRM_TABLES}
            drift = wh.fetchall(
                "select resource, field, first_seen_at, versions_seen "
                "from raw.crm_schema_drift order by resource, field")
            # Erasure reaches the data lead's annexes of ids too (outside the warehouse).
            erased, through = erased_identifiers(wh, settings.pseudonym_key)
        annexes = scrub_erased_from_annexes(settings.internal_dir, erased, through)
        if annexes:
            context.log.info("%d annexe(s) qualité interne(s) réécrite(s) après effacement",
                             annexes)
    finally:
        client.close()
    context.log.info(
        "CRM : %s ; effacements : %d participant(s), %d ligne(s) supprimée(s) ; "
        "reprises HTTP : %d",
        ", ".join(f"{k} +{v.new_versions}" for k, v in report.resources.items()),
        report.erasure.participants_erased, report.erasure.records_erased, client.retries,
    )
    for name in CRM_TABLES:
        resource = name.removeprefix("crm_")
        meta: dict = {ROWS: 0, **tables[name]}
        if resource in report.resources:  # what this extraction changed, in the data lead's words
            r = report.resources[resource]
            meta.update({CHANGED: r.new_versions, "enregistrements reçus": r.received,
                         "versions en quarantaine": r.quarantined_versions,
                         "filigrane (dernière modification reçue)": str(r.watermark)})
        if name == "crm_schema_drift":
            meta["rapport"] = MetadataValue.md(_drift_markdown(drift))
        yield MaterializeResult(asset_key=["raw", name], metadata=meta)


def _drift_markdown(rows: list[tuple]) -> str:
    """The schema-drift report as the UI shows it: fields the contract does not know."""
    if not rows:
        return "Aucun champ inconnu : le CRM respecte le contrat."
    lines = ["| ressource | champ inconnu | vu depuis | versions |", "|---|---|---|---|"]
    lines += [f"| {r} | `{f}` | {first:%Y-%m-%d} | {n} |" for r, f, first, n in rows]
    return "\n".join(lines)
