"""`make demo`: the whole pipeline on synthetic data, from a fresh clone.

Starts the fake CRM (when `CRM_BASE_URL` is left at its default), writes the demo spreadsheets
(when `SHEETS_DIR` is left at its default), runs the nightly refresh, and says where the
warehouse and the deliverables are.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from connectors.fake_crm import FakeCRMServer, World
from connectors.run_lock import RunLockError, read_lock
from connectors.sheets.demo import write_demo_spreadsheets
from orchestration.reporting import GateBlocked, run_quarterly_report
from orchestration.runs import RunFailed, run_nightly
from orchestration.settings import DEMO_CRM_PORT, PROJECT_ROOT, Settings
from reports.evidence.build import build_evidence_pack, due_evaluations
from reports.plan_sea.build import build_plan_sea
from reports.quarters import last_complete_quarter

DEFAULT_CRM_URL = f"http://127.0.0.1:{DEMO_CRM_PORT}"
DEFAULT_SHEETS_DIR = PROJECT_ROOT / "data" / "demo_sheets"
DEMO_SEED = 42


def world_clock(settings: Settings) -> datetime:
    """The fake CRM's 'now': the evening of the as-of day when pinned, else the real time —
    never later than the run's own clock, or its last records would be taken for future-dated."""
    clock = settings.run_clock().replace(tzinfo=UTC)
    if settings.as_of_is_pinned:
        return min(datetime.combine(settings.as_of, time(20, 0), tzinfo=UTC), clock)
    return clock


def start_fake_crm_if_default(settings: Settings, participants: int) -> FakeCRMServer | None:
    """Serve the synthetic CRM where the default `CRM_BASE_URL` points; None for a real CRM."""
    if settings.crm_base_url != DEFAULT_CRM_URL:
        return None
    world = World(seed=DEMO_SEED, participants=participants, now=world_clock(settings))
    server = FakeCRMServer(world, token=settings.crm_api_token, port=DEMO_CRM_PORT)
    server.start()
    return server


def demo_participants(world: World) -> list[dict]:
    """What the spreadsheet generator needs to write plausible attendance and follow-up rows."""
    people = []
    for enrolment in world.records("enrolments"):
        people.append({
            "participant_id": enrolment["participant_id"],
            "antenna": enrolment["antenna"],
            "programme": enrolment["programme"],
            "start_date": date.fromisoformat(enrolment["start_date"]),
            "end_date": date.fromisoformat(enrolment["end_date"])
            if enrolment["end_date"] else None,
        })
    return people


def run_demo(settings: Settings, participants: int = 3000) -> int:
    print(f"sea demo : date d'arrêté {settings.as_of}, {participants} participants fictifs")
    server = start_fake_crm_if_default(settings, participants)
    try:
        if server is not None:
            print(f"  CRM fictif : {server.base_url}")
        if settings.sheets_dir == DEFAULT_SHEETS_DIR and server is not None:
            files = write_demo_spreadsheets(settings.sheets_dir, demo_participants(server.world),
                                            as_of=settings.as_of)
            print(f"  tableurs de démonstration : {len(files)} fichiers dans {settings.sheets_dir}")
        try:
            run_nightly(settings, origin="make demo")
        except (RunFailed, RunLockError) as exc:
            print(f"sea: {exc}", file=sys.stderr)
            return 1
    finally:
        if server is not None:
            server.stop()
    try:
        with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
            status = _deliverables(settings)
    except RunLockError as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    print(f"Entrepôt : {settings.warehouse_display}")
    print(f"Historique Dagster : {settings.dagster_home} (make ui pour l'explorer)")
    return status


def _deliverables(settings: Settings) -> int:
    """The last complete quarter's deliverables, the Plan SEA and one evidence pack."""
    quarter = last_complete_quarter(settings.as_of).code
    try:
        run = run_quarterly_report(settings, quarter)
    except GateBlocked as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    print(f"Livrables {quarter} ({run.delivery.message}) : {_relative(run.delivery.directory)}")
    warnings = run.gate.warnings
    if warnings:
        print(f"  {len(warnings)} avertissement(s) qualité, listés dans le rapport")
    plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                          k=settings.disclosure_k)
    print(f"Plan SEA : {_relative(plan.pdf or plan.html)}")
    due = due_evaluations(settings.warehouse)
    if due:
        pack = build_evidence_pack(settings.warehouse, due[0], as_of=settings.as_of,
                                   output_dir=settings.output_dir / "evidence",
                                   k=settings.disclosure_k)
        print(f"Dossier de preuves {due[0]} : {_relative(pack.pdf or pack.html)}")
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
