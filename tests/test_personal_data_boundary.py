"""Pseudonyms and record ids stay inside the warehouse and the data lead's internal folder.

The real nightly refresh and quarterly delivery run in-process against the fake CRM, with the
Dagster instance in a temporary DAGSTER_HOME, on data where quality checks fail with offending
records. A participant who appears among those records is then erased in the CRM, the pipeline
refreshes and delivers again, and every byte Dagster keeps (run history, event logs, check
metadata, stored outputs) and every file written for sending after the erasure is searched for
that person's pseudonym and CRM ids. What is sent never holds a pseudonym, a CRM id or a
technical (schema-qualified) name, in any version; the data lead's annex, outside the sent
folder, holds the detail — and loses the erased person's ids.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey

from common.warehouse import connect
from connectors.pseudonyms import pseudonym
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.reporting import partition_key_of, quarterly_reporting_job
from orchestration.definitions import build_definitions
from orchestration.gate import evaluate_gate
from orchestration.instance import dagster_instance
from orchestration.runs import run_nightly
from tests.conftest import TEST_KEY, make_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 20)
QUARTER = "2026-Q3"
PSEUDONYM = re.compile(rb"p_[0-9a-f]{12,}")  # connectors/pseudonyms.py: `p_` + hex digest
TECHNICAL = re.compile(rb"\b(?:raw|staging|intermediate|marts)\.(?:[a-z0-9]+_)+[a-z0-9_]*")
FAILURES = "marts.dq_check_failures"


def _deliver(settings) -> None:
    """The quarterly reporting job of the code location, as the schedule would run it."""
    defs = build_definitions(settings)
    job = defs.resolve_job_def(quarterly_reporting_job.name)
    result = job.execute_in_process(instance=dagster_instance(settings),
                                    partition_key=partition_key_of(QUARTER),
                                    raise_on_error=False)
    assert result.success, [_cause(e.step_failure_data.error) for e in result.all_events
                            if e.is_step_failure and e.step_failure_data.error]


def _cause(error) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message


def _token(value: str) -> re.Pattern[bytes]:
    """An id as a whole token: `E000104` must not match inside `E0001041`."""
    return re.compile(rb"(?<![A-Za-z0-9_])" + re.escape(value.encode()) + rb"(?![A-Za-z0-9_])")


def _readable(path: Path) -> bytes:
    """A file's bytes, with a workbook's (zipped) XML members unpacked."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            data += b"".join(book.read(name) for name in book.namelist())
    return data


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


WORD = re.compile(rb"[A-Za-z0-9_]+")


def _found(paths, patterns: dict[str, re.Pattern[bytes]],
           ids: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Which `patterns`, and which `ids` (name: value) as whole tokens, each file holds.

    An id is searched among the file's tokens (its maximal runs of `[A-Za-z0-9_]`): the same
    answer as `_token(id)` searched in the file, once per file instead of once per id (the
    CRM's ids are some 1 500 — as many passes over every file)."""
    wanted: dict[bytes, str] = {}
    for name, value in (ids or {}).items():
        assert WORD.fullmatch(value.encode()), value  # an id is one token, or _token it
        wanted[value.encode()] = name
    hits: dict[str, list[str]] = {}
    for path in paths:
        data = _readable(path)
        for name, pattern in patterns.items():
            if pattern.search(data):
                hits.setdefault(name, []).append(str(path))
        for token in sorted(wanted.keys() & set(WORD.findall(data))):
            hits.setdefault(wanted[token], []).append(str(path))
    return hits


@pytest.fixture(scope="module")
def boundary(tmp_path_factory):
    """Night, delivery, erasure of someone the checks named, night, delivery."""
    tmp_path = tmp_path_factory.mktemp("boundary")
    world = World(seed=21, participants=70, now=NOW)
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp_path, crm_url=server.base_url, as_of=AS_OF.isoformat())
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world), as_of=AS_OF)
        victim = world.inject_bad_record("bad_descriptor", "participants")  # a warn check
        world.inject_bad_record("future_date", "activities")  # a warn check on CRM ids
        run_nightly(settings)
        gate = evaluate_gate(settings, QUARTER)
        assert gate.passed
        named = {i for o in gate.outcomes for i in o.sample_ids}
        assert pseudonym(TEST_KEY, victim) in named  # the checks name the victim
        _deliver(settings)
        victim_records = {victim} | {
            r["id"] for res in ("enrolments", "activities", "situations")
            for r in world.records(res) if r.get("participant_id") == victim}
        crm_ids = {r["id"] for res in ("participants", "enrolments", "activities",
                                       "situations", "employers")
                   for r in world.records(res)}
        before_erasure = {p: p.stat().st_mtime_ns for p in _files(settings.output_dir)}
        world.erase_participant(victim)
        settings = dataclasses.replace(settings, as_of=AS_OF + timedelta(days=1))
        run_nightly(settings)
        _deliver(settings)
    written_after = [p for p in _files(settings.output_dir)
                     if before_erasure.get(p) != p.stat().st_mtime_ns]
    return {"settings": settings, "victim": victim, "key": pseudonym(TEST_KEY, victim),
            "victim_records": victim_records, "crm_ids": crm_ids,
            "written_after": written_after}


@pytest.mark.slow
def test_an_erased_participant_leaves_no_trace_in_dagster_or_new_deliveries(boundary):
    settings = boundary["settings"]
    ids = {"pseudonym": boundary["key"],
           **{f"id {i}": i for i in boundary["victim_records"]}}
    dagster_files = _files(settings.dagster_home)
    assert any(p.suffix == ".db" for p in dagster_files)  # the run history is there
    assert not _found(dagster_files, {}, ids)
    assert boundary["written_after"]  # the second delivery wrote something
    assert not _found(boundary["written_after"], {}, ids)
    with connect(settings.warehouse) as wh:  # the gate's id table lost them too
        stored = {r[0] for r in wh.fetchall(f"select record_id || ' ' || coalesce(detail, '') "
                                            f"from {FAILURES}")}
    assert stored and not any(boundary["key"] in s or boundary["victim"] in s for s in stored)


@pytest.mark.slow
def test_what_is_sent_holds_no_pseudonym_id_or_technical_name(boundary):
    settings = boundary["settings"]
    sent = _files(settings.output_dir / QUARTER)
    assert any(p.suffix == ".html" for p in sent) and any(p.name == "manifest.json" for p in sent)
    ids = {f"id {i}": i for i in boundary["crm_ids"]}
    assert not _found(_files(settings.output_dir), {"pseudonym": PSEUDONYM}, ids)
    assert not _found(sent, {"technical name": TECHNICAL})
    html = next(p for p in sent if p.suffix == ".html").read_text(encoding="utf-8")
    section = html[html.index('id="qualite"'):html.index('id="apprentissage"')]
    assert re.search(r"\d+ enregistrement", section)  # each rule with its count


@pytest.mark.slow
def test_the_data_lead_annex_holds_the_detail_outside_the_sent_folder(boundary):
    settings = boundary["settings"]
    annexes = sorted((settings.internal_dir / QUARTER).glob("annexe_qualite_v*.html"))
    assert annexes
    assert not any(a.is_relative_to(settings.output_dir) for a in annexes)
    text = annexes[-1].read_text(encoding="utf-8")
    assert "staging.stg_crm__activities.date_not_after_as_of" in text  # technical names
    assert PSEUDONYM.search(text.encode())  # and the offending records
    assert FAILURES in text  # where the full list is
    for annex in annexes:  # every version rewritten once the participant is erased
        data = annex.read_bytes() + annex.with_suffix(".json").read_bytes()
        assert not _token(boundary["key"]).search(data), annex.name
        assert not _token(boundary["victim"]).search(data), annex.name


@pytest.mark.slow
def test_check_metadata_and_logs_carry_counts_and_where_to_look(boundary, caplog):
    settings = boundary["settings"]
    instance = dagster_instance(settings)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [AssetCheckKey(AssetKey(["staging", "stg_crm__activities"]), "date_not_after_as_of")])
    evaluation = next(iter(record.values())).event.dagster_event.event_specific_data
    meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    assert meta["lignes en échec"] >= 1
    assert FAILURES in str(meta["où trouver les identifiants"])
    assert "staging.stg_crm__activities.date_not_after_as_of" in str(
        meta["où trouver les identifiants"])
    assert not PSEUDONYM.search(repr(meta).encode())
    with caplog.at_level(logging.INFO):
        gate = evaluate_gate(settings, QUARTER)
    failing = [o for o in gate.outcomes if not o.passed]
    assert failing
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert FAILURES in logged and not PSEUDONYM.search(logged.encode())
    for outcome in failing:
        assert not any(i in outcome.message() for i in outcome.sample_ids if len(i) > 3)
        assert str(outcome.row_count) in outcome.message()
