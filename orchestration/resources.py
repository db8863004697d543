"""What the assets need from outside, as Dagster resources: the settings and the warehouse.

Assets are defined once, at module level, and receive these by parameter name
(`sea_settings`, `warehouse`, `dbt`); `orchestration/definitions.py` builds them from
`common.settings.load_settings()` (or from the settings a test or a command was given), so the
UI's Resources page lists what a run will use.

Secrets never appear in that page nor in the run snapshots the instance keeps: a secret that
comes from an environment variable (always the case under `make ui`, whose code location
loads `.env` into its environment, and for the commands, which do so at start-up) is
configured as `EnvVar(<name>)`, which Dagster shows by name and resolves in the run's process.
Only a secret handed in-process without an environment variable (tests, the published demo
key) is configured by value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from dagster import ConfigurableResource, EnvVar
from dagster_duckdb import DuckDBResource
from pydantic import Field

from common.settings import AlertSettings, Settings, parse_antenna_contacts
from common.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

# Settings fields holding a secret, and the environment variable each is read from.
SECRET_VARIABLES: dict[str, str] = {
    "crm_api_token": "CRM_API_TOKEN",
    "pseudonym_key": "PSEUDONYM_KEY",
    "alert_smtp_password": "SEA_ALERT_SMTP_PASSWORD",
    "alert_webhook_url": "SEA_ALERT_WEBHOOK_URL",
}
WAREHOUSE_VARIABLE = "SEA_WAREHOUSE"


def _secret(variable: str, value: str) -> Any:
    """`EnvVar(variable)` when the environment holds `value` under that name, else `value`."""
    return EnvVar(variable) if os.environ.get(variable) == value else value


class SeaSettingsResource(ConfigurableResource):
    """The settings of `common/settings.py` (environment variables or `.env`), read and checked
    once when the code location loads; `.settings` gives the `Settings` the code takes."""

    crm_base_url: str = Field(description="CRM_BASE_URL")
    crm_api_token: str = Field(description="CRM_API_TOKEN (secret)")
    sheets_dir: str = Field(description="SHEETS_DIR")
    warehouse: str = Field(description="SEA_WAREHOUSE (a PostgreSQL URL may hold a password)")
    output_dir: str = Field(description="SEA_OUTPUT_DIR")
    internal_dir: str = Field(description="SEA_INTERNAL_DIR")
    pseudonym_key: str = Field(description="PSEUDONYM_KEY (secret)")
    dagster_home: str = Field(description="DAGSTER_HOME")
    as_of: str = Field(description="SEA_AS_OF, or the day the settings were read (Paris)")
    as_of_is_pinned: bool = Field(description="whether SEA_AS_OF was set")
    crm_overlap_minutes: float = Field(description="CRM_OVERLAP_MINUTES")
    disclosure_k: int = Field(description="DISCLOSURE_K")
    nightly_cron: str = Field(description="NIGHTLY_CRON")
    quarterly_delay_days: int = Field(description="QUARTERLY_DELAY_DAYS")
    demo: bool = Field(description="SEA_DEMO")
    demo_participants: int = Field(description="SEA_DEMO_PARTICIPANTS")
    lock_wait_seconds: int = Field(description="SEA_LOCK_WAIT_SECONDS")
    published: str = Field(description="SEA_PUBLISHED (DuckDB: the file BI readers open)")
    reader_role: str = Field(description="SEA_READER_ROLE (PostgreSQL: the readers' role)")
    # alert channels (orchestration/alerts.py); the password and the webhook URL are secrets
    alert_smtp_host: str = Field(default="", description="SEA_ALERT_SMTP_HOST")
    alert_smtp_port: int = Field(default=587, description="SEA_ALERT_SMTP_PORT")
    alert_smtp_user: str = Field(default="", description="SEA_ALERT_SMTP_USER")
    alert_smtp_password: str = Field(default="", description="SEA_ALERT_SMTP_PASSWORD (secret)")
    alert_smtp_from: str = Field(default="", description="SEA_ALERT_SMTP_FROM")
    alert_smtp_starttls: bool = Field(default=True, description="SEA_ALERT_SMTP_STARTTLS")
    alert_email_to: str = Field(default="", description="SEA_ALERT_EMAIL_TO")
    alert_webhook_url: str = Field(default="", description="SEA_ALERT_WEBHOOK_URL (secret)")
    ui_url: str = Field(default="http://127.0.0.1:3000", description="SEA_UI_URL")
    alert_antenna_contacts: str = Field(default="", description="SEA_ALERT_ANTENNA_CONTACTS")
    alert_digest_cron: str = Field(default="0 8 * * 1", description="SEA_ALERT_DIGEST_CRON")

    @classmethod
    def from_settings(cls, settings: Settings) -> SeaSettingsResource:
        """The resource of checked settings; secrets by variable name where the environment has
        them (module docstring)."""
        warehouse: Any = settings.warehouse
        if settings.warehouse_is_postgres:
            warehouse = _secret(WAREHOUSE_VARIABLE, settings.warehouse)
        alerts = settings.alerts
        return cls(
            crm_base_url=settings.crm_base_url,
            crm_api_token=_secret("CRM_API_TOKEN", settings.crm_api_token),
            sheets_dir=str(settings.sheets_dir),
            warehouse=warehouse,
            output_dir=str(settings.output_dir),
            internal_dir=str(settings.internal_dir),
            pseudonym_key=_secret("PSEUDONYM_KEY", settings.pseudonym_key),
            dagster_home=str(settings.dagster_home),
            as_of=settings.as_of.isoformat(),
            as_of_is_pinned=settings.as_of_is_pinned,
            crm_overlap_minutes=settings.crm_overlap.total_seconds() / 60,
            disclosure_k=settings.disclosure_k,
            nightly_cron=settings.nightly_cron,
            quarterly_delay_days=settings.quarterly_delay_days,
            demo=settings.demo,
            demo_participants=settings.demo_participants,
            lock_wait_seconds=settings.lock_wait_seconds,
            published=settings.published,
            reader_role=settings.reader_role,
            alert_smtp_host=alerts.smtp_host,
            alert_smtp_port=alerts.smtp_port,
            alert_smtp_user=alerts.smtp_user,
            alert_smtp_password=_secret("SEA_ALERT_SMTP_PASSWORD", alerts.smtp_password)
            if alerts.smtp_password else "",
            alert_smtp_from=alerts.smtp_from,
            alert_smtp_starttls=alerts.smtp_starttls,
            alert_email_to=",".join(alerts.email_to),
            alert_webhook_url=_secret("SEA_ALERT_WEBHOOK_URL", alerts.webhook_url)
            if alerts.webhook_url else "",
            ui_url=alerts.ui_url,
            alert_antenna_contacts=alerts.antenna_contacts_text,
            alert_digest_cron=alerts.digest_cron,
        )

    @property
    def settings(self) -> Settings:
        """The settings as the rest of the code takes them (the ones `from_settings` was given:
        an unpinned as-of date is the day they were read, as dbt's environment has it)."""
        return Settings(
            crm_base_url=self.crm_base_url,
            crm_api_token=self.crm_api_token,
            sheets_dir=Path(self.sheets_dir),
            warehouse=self.warehouse,
            output_dir=Path(self.output_dir),
            internal_dir=Path(self.internal_dir),
            pseudonym_key=self.pseudonym_key,
            dagster_home=Path(self.dagster_home),
            as_of=date.fromisoformat(self.as_of),
            as_of_is_pinned=self.as_of_is_pinned,
            crm_overlap=timedelta(minutes=self.crm_overlap_minutes),
            disclosure_k=self.disclosure_k,
            nightly_cron=self.nightly_cron,
            quarterly_delay_days=self.quarterly_delay_days,
            demo=self.demo,
            demo_participants=self.demo_participants,
            lock_wait_seconds=self.lock_wait_seconds,
            published=self.published,
            reader_role=self.reader_role,
            alerts=AlertSettings(
                smtp_host=self.alert_smtp_host, smtp_port=self.alert_smtp_port,
                smtp_user=self.alert_smtp_user, smtp_password=self.alert_smtp_password,
                smtp_from=self.alert_smtp_from, smtp_starttls=self.alert_smtp_starttls,
                email_to=tuple(a for a in self.alert_email_to.split(",") if a),
                webhook_url=self.alert_webhook_url, ui_url=self.ui_url,
                antenna_contacts=parse_antenna_contacts(self.alert_antenna_contacts),
                digest_cron=self.alert_digest_cron),
        )


class WarehouseResource(Protocol):
    """What assets ask of the warehouse resource, whichever the warehouse."""

    @contextmanager
    def get_warehouse(self) -> Iterator[Warehouse]: ...


class SeaDuckDBResource(DuckDBResource):
    """dagster-duckdb's `DuckDBResource`, with the one difference the DuckDB warehouse needs:
    its file is attached with the row group size every writer of it shares
    (`common.warehouse.DUCKDB_ROW_GROUP_SIZE`), which `duckdb.connect(database)` cannot set.

    `get_connection()` yields a DuckDB connection, as dagster-duckdb's does; `get_warehouse()`
    the same connection behind `common.warehouse`'s interface, which the loaders take.
    """

    @contextmanager
    def get_connection(self) -> Iterator[Any]:  # a duckdb.DuckDBPyConnection, as the parent's
        with self.get_warehouse() as wh:
            yield wh.connection

    @contextmanager
    def get_warehouse(self) -> Iterator[DuckDBWarehouse]:
        with DuckDBWarehouse(self.database, config=self.connection_config) as wh:
            yield wh


class PostgresResource(ConfigurableResource):
    """The PostgreSQL warehouse, counterpart of `SeaDuckDBResource`: `get_connection()` yields
    a psycopg2 connection (autocommit), `get_warehouse()` the same behind `common.warehouse`'s
    interface. `url` carries the password: configured as `EnvVar("SEA_WAREHOUSE")` where the
    environment has it (module docstring)."""

    url: str = Field(description="SEA_WAREHOUSE, a postgresql:// URL")

    @contextmanager
    def get_connection(self) -> Iterator[Any]:  # a psycopg2 connection
        with self.get_warehouse() as wh:
            yield wh.connection

    @contextmanager
    def get_warehouse(self) -> Iterator[PostgresWarehouse]:
        with PostgresWarehouse(self.url) as wh:
            yield wh


def warehouse_resource(settings: Settings) -> SeaDuckDBResource | PostgresResource:
    """The resource for the warehouse `SEA_WAREHOUSE` names."""
    if settings.warehouse_is_postgres:
        return PostgresResource(url=_secret(WAREHOUSE_VARIABLE, settings.warehouse))
    return SeaDuckDBResource(database=settings.warehouse)
