"""The data-quality gate's expectation suites
(docs/outputs.md#6-the-data-quality-gate).

The rules are data: YAML suites in `suites/` (one per layer, readable by a data lead) and the
waivers in `waivers.yml`; this package parses them (`suites`, `waivers`), runs them with Great
Expectations on the warehouse (`runner`) and phrases what they find (`outcomes`). Dagster wiring
is in `orchestration/checks.py`, the quarterly verdict in `orchestration/gate.py`.
"""

from expectations.outcomes import CheckOutcome
from expectations.runner import DEFAULT_SAMPLE_SIZE, SuiteRunner, render_sql
from expectations.suites import (
    SUITES_DIR,
    Check,
    Suite,
    SuiteError,
    TableSuite,
    all_checks,
    default_suites,
    load_suite,
    load_suites,
)
from expectations.waivers import WAIVERS_FILE, Waiver, check_quarter, load_waivers

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "SUITES_DIR",
    "WAIVERS_FILE",
    "Check",
    "CheckOutcome",
    "Suite",
    "SuiteError",
    "SuiteRunner",
    "TableSuite",
    "Waiver",
    "all_checks",
    "check_quarter",
    "default_suites",
    "load_suite",
    "load_suites",
    "load_waivers",
    "render_sql",
]
