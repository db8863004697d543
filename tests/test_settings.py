"""Configuration mistakes fail at start-up in one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pytest

from common.settings import (
    DEMO_PSEUDONYM_KEY,
    PARIS,
    SettingsError,
    export_dotenv,
    load_settings,
    read_dotenv,
)
from common.warehouse import connect
from orchestration.dbt_project import DBT_PROJECT_DIR
from tests.conftest import _admin

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
        ("QUARTERLY_DELAY_DAYS", "0"),
        ("QUARTERLY_DELAY_DAYS", "29"),
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
    env = {"PATH": "/usr/bin:/bin", "SEA_AS_OF": "hier", "PSEUDONYM_KEY": KEY["PSEUDONYM_KEY"],
           "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "refresh"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SEA_AS_OF" in lines[0], proc.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (" " * 16, "vide"),
        ("\t" * 20, "vide"),
        ("  short-key  \n    ", "court"),
        ("x" * 40, "répétitif"),
        ("abababababababababab", "répétitif"),
        (DEMO_PSEUDONYM_KEY, "démonstration"),
    ],
    ids=["spaces", "tabs", "short-once-stripped", "one-char", "two-chars", "demo-key"],
)
def test_weak_pseudonym_keys_are_refused_outside_demo(key, why):
    with pytest.raises(SettingsError) as err:
        load_settings({"PSEUDONYM_KEY": key}, demo=False)
    message = str(err.value)
    assert "PSEUDONYM_KEY" in message and why in message and "\n" not in message
    if key.strip():
        assert key.strip() not in message  # a secret is never echoed, even a weak one


def test_weak_key_refused_even_in_demo_mode():
    with pytest.raises(SettingsError, match="PSEUDONYM_KEY"):
        load_settings({"PSEUDONYM_KEY": " " * 16}, demo=True)


def test_demo_key_allowed_in_demo_mode_on_the_fake_crm():
    s = load_settings({"PSEUDONYM_KEY": DEMO_PSEUDONYM_KEY,
                       "CRM_BASE_URL": "http://127.0.0.1:40123"}, demo=True)
    assert s.pseudonym_key == DEMO_PSEUDONYM_KEY


@pytest.mark.parametrize("url", ["https://crm.aere.org", "http://10.0.0.5:8000",
                                 "http://[2001:db8::1]:8080", "http://localhost.aere.org"])
@pytest.mark.parametrize("key", [{}, KEY], ids=["demo-key", "own-key"])
def test_demo_mode_refused_with_a_real_crm(url, key):
    env = {**key, "CRM_BASE_URL": url, "SEA_DEMO": "1"}
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    message = str(err.value)
    assert "SEA_DEMO" in message and "CRM_BASE_URL" in message and "\n" not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.9.8.7:1", "http://[::1]:9",
                                 "http://localhost:8765/api/v1"])
def test_demo_mode_accepted_on_the_loopback(url):
    s = load_settings({**KEY, "CRM_BASE_URL": url, "SEA_DEMO": "1"})
    assert s.demo and s.crm_base_url == url.rstrip("/")


def test_cli_refuses_a_blank_key_in_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PSEUDONYM_KEY": " " * 16, "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "refresh"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "PSEUDONYM_KEY" in lines[0], proc.stderr


def test_percent_encoded_postgres_url_is_decoded_for_dbt():
    s = load_settings({**KEY, "SEA_WAREHOUSE":
                       "postgresql://sea%40aere:p%40ss%3Aw%2Frd%25@db.local:5433/sea%20prod"})
    env = s.dbt_env()
    assert env["SEA_PG_USER"] == "sea@aere"
    assert env["DBT_ENV_SECRET_SEA_PG_PASSWORD"] == "p@ss:w/rd%"
    assert env["SEA_PG_DBNAME"] == "sea prod"
    assert "p@ss" not in s.warehouse_display and "p%40ss" not in s.warehouse_display


@pytest.mark.postgres
def test_role_with_at_sign_reaches_postgres_through_dbt(pg_url, tmp_path, monkeypatch):
    """A role and password holding `@`, written percent-encoded in SEA_WAREHOUSE as a URL
    requires: dbt connects with the decoded values (the server checks the role name)."""
    role = f"sea@{uuid.uuid4().hex[:8]}"
    password = "p@ss:w/rd"
    _admin(f"""create role "{role}" login password '{password}'""")
    try:
        base = urlsplit(pg_url)
        url = (f"postgresql://{quote(role, safe='')}:{quote(password, safe='')}"
               f"@{base.hostname}:{base.port or 5432}{base.path}")
        settings = load_settings({**KEY, "SEA_WAREHOUSE": url}, demo=False)
        env = settings.dbt_env()
        assert env["SEA_PG_USER"] == role
        assert env["DBT_ENV_SECRET_SEA_PG_PASSWORD"] == password
        for name, value in {**env, "SEA_DBT_TARGET": "postgres"}.items():
            monkeypatch.setenv(name, value)
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            ["debug", "--connection", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR), "--log-path", str(tmp_path)])
        assert result.success, result.exception
        # And the pipeline's own connections (a URL handed to libpq) reach it as that role.
        with connect(settings.warehouse) as wh:
            assert wh.scalar("select current_user") == role
    finally:
        _admin(f'drop role if exists "{role}"')


def test_run_clock_is_real_time_unless_a_later_day_is_simulated():
    """Future-dated CRM records are measured by the run's clock: the real time, except for a
    run pinned to an as-of date after today (a simulation), which takes the end of that day."""
    from datetime import UTC, datetime

    today = datetime.now(PARIS).date()
    for pinned in (None, today.isoformat(), (today - timedelta(days=30)).isoformat()):
        env = {**KEY, **({"SEA_AS_OF": pinned} if pinned else {})}
        before = datetime.now(UTC).replace(tzinfo=None)
        clock = load_settings(env, demo=False).run_clock()
        assert before <= clock <= datetime.now(UTC).replace(tzinfo=None), pinned
    later = today + timedelta(days=45)
    clock = load_settings({**KEY, "SEA_AS_OF": later.isoformat()}, demo=False).run_clock()
    end_of_day = datetime.combine(later + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    assert clock == end_of_day.astimezone(UTC).replace(tzinfo=None)


# -- `.env` (python-dotenv) -------------------------------------------------------------------
def test_dotenv_is_read_as_python_dotenv_reads_it(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "# comment\n"
        "SEA_AS_OF=2026-09-30\n"
        "export SHEETS_DIR='/srv/partage'\n"
        'PSEUDONYM_KEY="a-real-$ecret ${HOME} # not a comment"\n'
        "DISCLOSURE_K = 7   # a comment\n"
        'NOTE="two\nlines"\n'
        "EMPTY=\n", encoding="utf-8")
    assert read_dotenv(env) == {
        "SEA_AS_OF": "2026-09-30", "SHEETS_DIR": "/srv/partage",
        "PSEUDONYM_KEY": "a-real-$ecret ${HOME} # not a comment",  # literal: no expansion
        "DISCLOSURE_K": "7", "NOTE": "two\nlines", "EMPTY": ""}
    assert read_dotenv(tmp_path / "absent.env") == {}


@pytest.mark.parametrize("line", ["PSEUDONYM_KEY: s3cr3t-value-here", "=s3cr3t-value-here",
                                  "PSEUDONYM_KEY"])
def test_a_malformed_dotenv_line_is_named_not_echoed(tmp_path, line):
    env = tmp_path / ".env"
    env.write_text(f"SEA_AS_OF=2026-09-30\n{line}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        read_dotenv(env)
    message = str(err.value)
    assert f"{env}:2" in message and "CLE=valeur" in message and "\n" not in message
    assert "s3cr3t" not in message


def test_dotenv_exported_without_overriding_the_environment(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("SEA_TEST_FROM_DOTENV=from-file\nSEA_TEST_ALREADY_SET=from-file\n",
                   encoding="utf-8")
    monkeypatch.delenv("SEA_TEST_FROM_DOTENV", raising=False)
    monkeypatch.setenv("SEA_TEST_ALREADY_SET", "from-environment")
    export_dotenv(env)
    import os

    assert os.environ["SEA_TEST_FROM_DOTENV"] == "from-file"
    assert os.environ["SEA_TEST_ALREADY_SET"] == "from-environment"
    monkeypatch.delenv("SEA_TEST_FROM_DOTENV")


# -- settings as Dagster resources -----------------------------------------------------------
def test_settings_resource_gives_back_the_settings():
    from orchestration.resources import SeaSettingsResource

    for env in ({**KEY, "SEA_AS_OF": "2026-09-30", "CRM_OVERLAP_MINUTES": "90",
                 "SEA_WAREHOUSE": "postgresql://me:s3cr3t@db.local:5433/sea"}, {**KEY}):
        settings = load_settings(env, demo=False)
        assert SeaSettingsResource.from_settings(settings).settings == settings


def test_secrets_are_not_in_what_the_ui_is_served(monkeypatch):
    """The code location as the UI receives it (its serialised snapshot: resources and their
    configuration, jobs, schedules) names the secret variables, never their values."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    from orchestration.definitions import build_definitions

    env = {**KEY, "CRM_API_TOKEN": "t0ken-of-the-crm",
           "SEA_WAREHOUSE": "postgresql://me:s3cr3t@db.local:5433/sea"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    repo = build_definitions(load_settings(env, demo=False)).get_repository_def()
    served = serialize_value(RepositorySnap.from_def(repo))
    for secret in ("a-real-secret", "t0ken-of-the-crm", "s3cr3t"):
        assert secret not in served
    assert "PSEUDONYM_KEY" in served and "CRM_API_TOKEN" in served
