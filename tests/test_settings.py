"""Configuration mistakes fail at start-up in one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest

from orchestration.settings import DEMO_PSEUDONYM_KEY, SettingsError, load_settings

KEY = {"PSEUDONYM_KEY": "a-real-secret-of-some-length"}


def test_defaults_follow_operations_md():
    s = load_settings({**KEY}, demo=False)
    assert s.warehouse.endswith("data/warehouse.duckdb")
    assert s.crm_overlap == timedelta(minutes=60)
    assert s.disclosure_k == 5
    assert s.nightly_cron == "0 2 * * *"
    assert s.quarterly_delay_days == 15
    assert s.dbt_target == "duckdb"
    assert not s.as_of_is_pinned


def test_missing_key_fails_outside_demo():
    with pytest.raises(SettingsError, match="PSEUDONYM_KEY"):
        load_settings({}, demo=False)


def test_demo_falls_back_to_demo_key_with_warning():
    with pytest.warns(UserWarning, match="demo key"):
        s = load_settings({}, demo=True)
    assert s.pseudonym_key == DEMO_PSEUDONYM_KEY


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEA_AS_OF", "26/11/2026"),
        ("CRM_OVERLAP_MINUTES", "une heure"),
        ("DISCLOSURE_K", "0"),
        ("NIGHTLY_CRON", "every night"),
        ("CRM_BASE_URL", "ftp://crm"),
        ("SEA_WAREHOUSE", "mysql://x/y"),
        ("QUARTERLY_DELAY_DAYS", "-3"),
    ],
)
def test_malformed_values_are_named(name, value):
    with pytest.raises(SettingsError) as err:
        load_settings({**KEY, name: value}, demo=False)
    message = str(err.value)
    assert name in message and "\n" not in message


def test_as_of_pins_the_run():
    s = load_settings({**KEY, "SEA_AS_OF": "2025-12-31"}, demo=False)
    assert s.as_of == date(2025, 12, 31) and s.as_of_is_pinned


def test_postgres_password_never_shown():
    s = load_settings({**KEY, "SEA_WAREHOUSE": "postgresql://me:s3cr3t@db.local:5433/sea"})
    assert s.dbt_target == "postgres"
    assert "s3cr3t" not in s.warehouse_display and "s3cr3t" not in repr(s)
    assert s.dbt_env()["DBT_ENV_SECRET_SEA_PG_PASSWORD"] == "s3cr3t"
    assert "a-real-secret" not in repr(s)


def test_cli_prints_one_line_on_configuration_error(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SEA_AS_OF": "hier", "PSEUDONYM_KEY": "x" * 20,
           "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "refresh"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SEA_AS_OF" in lines[0], proc.stderr
