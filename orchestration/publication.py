"""The publication for readers as the orchestration sees it: what is published (from the dbt
manifest), whether a run's checks allow it, and what a run says about it — without the Dagster
asset itself (orchestration/assets/publication.py), which reads the manifest when it is
imported: the commands and tests import this module at any time.
"""

import json

from dagster import AssetCheckSeverity, AssetKey, DagsterEventType, DagsterInstance

from common.publication import READER_SEEDS
from orchestration.dbt_project import manifest_path

GROUP = "publication"
PUBLISHED_KEY = AssetKey(["publication", "published_marts"])
WITHHELD = "retenue"
AS_OF_FIELD = "date d'arrêté"
KEPT_FIELD = "publication en place (date d'arrêté)"
PUBLISHED = "publiée"


def published_sources() -> list[tuple[str, str]]:
    """`(schema, table)` of what is published: every dbt model of the `marts` schema and the
    reference seeds readers need (`READER_SEEDS`), read from the dbt manifest — never a table
    the checks write there (`marts.dq_check_failures` holds record ids for the data lead)."""
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    sources = []
    for node in manifest["nodes"].values():
        schema = (node.get("config") or {}).get("schema")
        if node["resource_type"] == "model" and schema == "marts":
            sources.append(("marts", node["name"]))
        elif node["resource_type"] == "seed" and node["name"] in READER_SEEDS:
            sources.append((schema or "reference", node["name"]))
    return sorted(sources)


def _check_key(asset_key: AssetKey, check_name: str) -> str:
    """A check as the logs and `marts.dq_check_failures` name it: `staging.stg_x.rule`."""
    return ".".join([*asset_key.path, check_name])


def check_verdict(instance: DagsterInstance, run_id: str) -> tuple[list[str], list[str]]:
    """The run's `error` checks that failed, and its planned checks that could not run — no
    evaluation, and their step did not succeed (check keys, sorted): either withholds
    publication. A check whose step succeeded without evaluating it was left out on purpose
    (dbt's tests of seeds a night does not reload) and withholds nothing."""
    succeeded = {entry.step_key for entry in
                 instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS)}
    evaluated: set[str] = set()
    failed: set[str] = set()
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None:
            continue
        name = _check_key(data.asset_key, data.check_name)
        evaluated.add(name)
        if not data.passed and data.severity == AssetCheckSeverity.ERROR:
            failed.add(name)
    unrun = set()
    for entry in instance.all_logs(run_id,
                                   of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None or data.asset_key == PUBLISHED_KEY or entry.step_key in succeeded:
            continue
        name = _check_key(data.asset_key, data.check_name)
        if name not in evaluated:
            unrun.add(name)
    return sorted(failed), sorted(unrun)


def withheld_reason(failed: list[str], unrun: list[str]) -> str:
    """Why publication is withheld, in French (for the run's log and the asset's page)."""
    parts = []
    if failed:
        parts.append(f"{len(failed)} contrôle(s) de sévérité erreur en échec ("
                     + ", ".join(failed[:10]) + (", …" if len(failed) > 10 else "") + ")")
    if unrun:
        parts.append(f"{len(unrun)} contrôle(s) non exécuté(s) ("
                     + ", ".join(unrun[:10]) + (", …" if len(unrun) > 10 else "") + ")")
    return " ; ".join(parts)


def publication_line(instance: DagsterInstance, run_id: str) -> str:
    """What a refresh says about publication, in French: published, or withheld and why (the
    asset's observation, or its step not run after a blocking check or a step failed)."""
    for entry in instance.all_logs(run_id, of_type={DagsterEventType.ASSET_MATERIALIZATION,
                                                    DagsterEventType.ASSET_OBSERVATION}):
        event = entry.dagster_event
        if event is None or event.asset_key != PUBLISHED_KEY:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            meta = event.step_materialization_data.materialization.metadata
            as_of, tables = meta[AS_OF_FIELD].value, meta["tables"].value
            return f"Publication pour les lecteurs : date d'arrêté {as_of}, {tables} tables."
        meta = event.asset_observation_data.asset_observation.metadata
        return (f"Publication retenue : {meta['raison'].value} ; publication en place "
                f"(date d'arrêté) : {meta[KEPT_FIELD].value}.")
    failed, _ = check_verdict(instance, run_id)
    because = f" : {', '.join(failed)}" if failed else ""
    return ("Publication retenue : l'étape de publication n'a pas tourné (contrôle bloquant "
            f"ou étape en amont en échec{because}) ; les lecteurs gardent la publication "
            "précédente.")
