"""Backup and restore of the warehouse: `make backup [DIR=…]`, `make restore FROM=…`
(docs/runbook.md#backup-and-restore).

What must survive a lost disk is the warehouse itself: `raw` (every CRM version received, which
the CRM no longer serves once it has moved on) and above all `snapshots`, the history of
recommendation statuses that no source holds and no refresh can rebuild. Every other layer could
be rebuilt from those, but a backup takes them too, so a restore gives back the exact state —
marts and published state included — without a refresh.

- DuckDB: the warehouse file (and its write-ahead log, if a killed run left one) and the
  published file, copied while holding the warehouse's *read* lock (connectors/run_lock.py): a
  refresh holds the access lock exclusively for its whole run, so the copy never sees a
  half-written file, and a refresh started meanwhile waits for the copy. Restoring takes the
  *refresh* lock (no refresh, no reader) and renames the copies onto the files, the current
  warehouse kept aside until the restored one has been checked.
- PostgreSQL: `pg_dump --format=custom` of the warehouse's schemas (one consistent snapshot),
  under the same read lock; restoring renames the current schemas aside, runs `pg_restore` in
  one transaction, and drops the old schemas only once it succeeded — or renames them back.
  Needs the `pg_dump`/`pg_restore` of the PostgreSQL client (Debian: `postgresql-client`), at
  the server's major version or newer; their absence is said in one line.

Each backup is a folder `sea-<date>-<time>` holding the files and `sauvegarde.json`: the kind of
warehouse, when, each file's SHA-256, and every table with its row count. A restore checks the
checksums before touching anything and the row counts after. A backup holds personal data
(`raw`): it belongs on a staff-only disk, never under `SEA_OUTPUT_DIR`, and is subject to the
retention and erasure rules of docs/runbook.md#gdpr-erasure-requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from common.publication import PUBLISHED_SCHEMA, UNPUBLISHED_SCHEMAS
from common.settings import PROJECT_ROOT, Settings
from common.warehouse import connect
from connectors.run_lock import RunLockError, read_lock, refresh_lock

PARIS = ZoneInfo("Europe/Paris")
MANIFEST = "sauvegarde.json"
FORMAT_VERSION = 1
DEFAULT_DIR = PROJECT_ROOT / "data" / "sauvegardes"
# Every schema the pipeline owns; `snapshots` is the one nothing can rebuild.
SCHEMAS = (*UNPUBLISHED_SCHEMAS, PUBLISHED_SCHEMA)
DUMP_FILE = "entrepot.dump"
WAREHOUSE_DIR = "entrepot"  # the DuckDB warehouse file, under its own name (views name it)
PUBLISHED_DIR = "publie"
ASIDE_SUFFIX = "_avant_restauration"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done as asked: the one French line the user sees."""


@dataclass(frozen=True)
class BackupContent:
    """What a backup holds, as `sauvegarde.json` says it."""

    folder: Path
    kind: str  # "duckdb" or "postgres"
    created_at: str  # ISO-8601, Europe/Paris
    tables: list[tuple[str, str, int]]  # (schema, table, rows), sorted
    files: dict[str, str] = field(default_factory=dict)  # path in the folder -> SHA-256

    @property
    def rows(self) -> int:
        return sum(n for _, _, n in self.tables)

    def rows_in(self, schema: str) -> tuple[int, int]:
        """(tables, rows) of one schema."""
        mine = [n for s, _, n in self.tables if s == schema]
        return len(mine), sum(mine)

    def summary_fr(self) -> list[str]:
        """Per schema, how many tables and rows: what the user reads after the command."""
        lines = []
        for schema in sorted({s for s, _, _ in self.tables}):
            tables, rows = self.rows_in(schema)
            note = " (historique des statuts : irremplaçable)" if schema == "snapshots" else ""
            lines.append(f"  {schema} : {tables} table(s), {rows} ligne(s){note}")
        return lines

    def write(self) -> None:
        data = {"format": FORMAT_VERSION, "kind": self.kind, "created_at": self.created_at,
                "files": self.files, "tables": [list(t) for t in self.tables]}
        (self.folder / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False),
                                            encoding="utf-8")

    @staticmethod
    def read(folder: Path) -> BackupContent:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(
                f"{folder} n'est pas une sauvegarde de sea : {MANIFEST} manque — donnez le "
                "dossier sea-<date>-<heure> créé par make backup")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION:
                raise ValueError(f"format {data.get('format')!r}")
            return BackupContent(folder=folder, kind=data["kind"], created_at=data["created_at"],
                                 tables=[(s, t, int(n)) for s, t, n in data["tables"]],
                                 files=dict(data["files"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path} est illisible ({exc}) : sauvegarde inutilisable") from None


def _kind(settings: Settings) -> str:
    return "postgres" if settings.warehouse_is_postgres else "duckdb"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_counts(target: str) -> list[tuple[str, str, int]]:
    """Every base table of the pipeline's schemas with its row count (views are definitions)."""
    with connect(target, read_only=not target.startswith(("postgresql://", "postgres://"))
                 ) as wh:
        tables = wh.fetchall(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in "
            f"({', '.join('?' for _ in SCHEMAS)}) "
            + ("and table_catalog = current_database() " if wh.dialect == "duckdb" else "")
            + "order by 1, 2", list(SCHEMAS))
        return [(s, t, int(wh.scalar(f'select count(*) from "{s}"."{t}"'))) for s, t in tables]


def _published_counts(path: Path) -> list[tuple[str, str, int]]:
    """The DuckDB published file's tables (its `main`), counted as schema `published`."""
    with connect(str(path), read_only=True) as wh:
        tables = [t for (t,) in wh.fetchall(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema = 'main' and table_catalog = current_database() order by 1")]
        return [(PUBLISHED_SCHEMA, t, int(wh.scalar(f'select count(*) from "main"."{t}"')))
                for t in tables]


def _new_folder(directory: Path | None, settings: Settings) -> Path:
    base = Path(directory) if directory else DEFAULT_DIR
    if not base.is_absolute():
        base = PROJECT_ROOT / base
    base = base.resolve()
    output = settings.output_dir.resolve()
    if base == output or output in base.parents:
        raise BackupError(
            f"sauvegarde refusée dans {base} : ce dossier est sous SEA_OUTPUT_DIR ({output}), "
            "dont le contenu est envoyé à l'extérieur, et une sauvegarde contient des données "
            "personnelles — choisissez un dossier réservé à l'équipe (DIR=…)")
    stamp = datetime.now(PARIS).strftime("%Y%m%d-%H%M%S")
    folder = base / f"sea-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = base / f"sea-{stamp}-{suffix}"
    base.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)  # personal data: the `sea` user's only
    return folder


# -- backup ------------------------------------------------------------------------------------
def backup(settings: Settings, directory: Path | None = None) -> BackupContent:
    """A consistent backup of the warehouse into a new folder under `directory`."""
    folder = _new_folder(directory, settings)
    try:
        with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
            if settings.warehouse_is_postgres:
                content = _backup_postgres(settings, folder)
            else:
                content = _backup_duckdb(settings, folder)
    except RunLockError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise BackupError(f"sauvegarde impossible pour l'instant : {exc}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # never leave half a backup to restore from
        raise
    content.write()
    return content


def _copy(source: Path, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
    return _sha256(target)


def _backup_duckdb(settings: Settings, folder: Path) -> BackupContent:
    warehouse = Path(settings.warehouse).resolve()
    if not warehouse.is_file():
        raise BackupError(f"rien à sauvegarder : l'entrepôt {warehouse} n'existe pas "
                          "(lancez d'abord make refresh)")
    files: dict[str, str] = {}
    for source in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if source.is_file():
            name = f"{WAREHOUSE_DIR}/{source.name}"
            files[name] = _copy(source, folder / name)
    published = Path(settings.published).resolve()
    if published.is_file():  # none before the first publication
        name = f"{PUBLISHED_DIR}/{published.name}"
        files[name] = _copy(published, folder / name)
    # Counted on the copies: the backup is known to open before it is called a backup.
    tables = _table_counts(str(folder / WAREHOUSE_DIR / warehouse.name))
    if published.is_file():
        tables += _published_counts(folder / PUBLISHED_DIR / published.name)
    return BackupContent(folder=folder, kind="duckdb",
                         created_at=datetime.now(PARIS).isoformat(timespec="seconds"),
                         tables=sorted(tables), files=files)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} est introuvable sur cette machine : installez le client PostgreSQL "
            "(Debian : apt-get install postgresql-client, de la version du serveur ou plus "
            "récente), puis relancez")
    return path


def _pg_connection(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment carrying it (PGPASSWORD): a password
    on the command line would show in the process list."""
    parts = urlsplit(url)
    env = dict(os.environ)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), env


def _run_pg(cmd: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"code de sortie {result.returncode}"
        raise BackupError(f"{what} a échoué : {detail}")


def _existing_schemas(url: str) -> list[str]:
    with connect(url) as wh:
        return [s for (s,) in wh.fetchall(
            "select nspname from pg_namespace where nspname = any(?) order by 1",
            [list(SCHEMAS)])]


def _backup_postgres(settings: Settings, folder: Path) -> BackupContent:
    url, env = _pg_connection(settings.warehouse)
    schemas = _existing_schemas(settings.warehouse)
    if not schemas:
        raise BackupError(f"rien à sauvegarder : la base {settings.warehouse_display} n'a aucun "
                          "schéma de sea (lancez d'abord make refresh)")
    dump = folder / DUMP_FILE
    # Owners and grants are left out: the restored objects belong to whoever restores, and the
    # reader role's grants are given again after a restore (`_grant_reader`).
    _run_pg([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             *[f"--schema={s}" for s in schemas], f"--file={dump}", f"--dbname={url}"],
            env, "pg_dump")
    return BackupContent(folder=folder, kind="postgres",
                         created_at=datetime.now(PARIS).isoformat(timespec="seconds"),
                         tables=sorted(_table_counts(settings.warehouse)),
                         files={DUMP_FILE: _sha256(dump)})


# -- restore -----------------------------------------------------------------------------------
def _check_files(content: BackupContent) -> None:
    for name, digest in sorted(content.files.items()):
        path = content.folder / name
        if not path.is_file():
            raise BackupError(f"sauvegarde incomplète : {path} manque ; rien n'a été restauré")
        if _sha256(path) != digest:
            raise BackupError(f"sauvegarde altérée : {path} ne correspond plus à son empreinte "
                              "(fichier modifié ou abîmé) ; rien n'a été restauré")


def restore(settings: Settings, source: Path) -> tuple[BackupContent, str]:
    """Put the backup in `source` back in place of the warehouse; returns its content and
    where the previous warehouse was kept (empty when there was none or it was dropped)."""
    content = BackupContent.read(Path(source).resolve())
    if content.kind != _kind(settings):
        kinds = {"duckdb": "un fichier DuckDB", "postgres": "une base PostgreSQL"}
        raise BackupError(
            f"cette sauvegarde est celle d'{kinds.get(content.kind, content.kind)}, l'entrepôt "
            f"configuré (SEA_WAREHOUSE) est {kinds[_kind(settings)]} : rien n'a été restauré")
    _check_files(content)
    try:
        with refresh_lock(settings.warehouse, origin="make restore",
                          wait=settings.lock_wait_seconds):
            if content.kind == "postgres":
                aside = _restore_postgres(settings, content)
            else:
                aside = _restore_duckdb(settings, content)
    except RunLockError as exc:
        raise BackupError(f"restauration impossible pour l'instant : {exc}") from None
    return content, aside


def _put_in_place(copy: Path, target: Path) -> None:
    """Copy beside the target, then rename onto it: a crash leaves the old file or the new."""
    building = target.with_name(target.name + ".restauration")
    shutil.copyfile(copy, building)
    with open(building, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(building, target)


def _restore_duckdb(settings: Settings, content: BackupContent) -> str:
    warehouse = Path(settings.warehouse).resolve()
    saved = content.folder / WAREHOUSE_DIR
    copies = sorted(p for p in saved.iterdir() if p.is_file()) if saved.is_dir() else []
    main = [p for p in copies if not p.name.endswith(".wal")]
    if len(main) != 1:
        raise BackupError(f"sauvegarde incomplète : aucun fichier d'entrepôt dans {saved}")
    if main[0].name != warehouse.name:
        # The views' SQL names the database after its file: it must keep its name.
        raise BackupError(
            f"cette sauvegarde est celle d'un entrepôt nommé {main[0].name}, l'entrepôt "
            f"configuré s'appelle {warehouse.name} : restaurez-la sous ce nom (SEA_WAREHOUSE) ; "
            "rien n'a été restauré")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    wal = warehouse.with_name(warehouse.name + ".wal")
    aside = ""
    if warehouse.exists():
        # Kept until the restored file has been counted, then left for the data lead to delete
        # (it holds personal data): the one way back if the backup was the wrong one.
        kept = warehouse.with_name(warehouse.name + ASIDE_SUFFIX)
        os.replace(warehouse, kept)
        aside = str(kept)
    # A log left by the previous file would be replayed onto the restored one: never keep it.
    wal.unlink(missing_ok=True)
    try:
        for copy in copies:
            _put_in_place(copy, warehouse.with_name(copy.name))
        restored = _table_counts(str(warehouse))
        published = _published_copy(content)
        if published is not None:  # checked by its checksum; counted to match the manifest
            restored += _published_counts(published)
        _compare(content, sorted(restored))
    except BaseException:
        wal.unlink(missing_ok=True)
        if aside:  # the warehouse as it was before the restore
            os.replace(aside, warehouse)
        else:
            warehouse.unlink(missing_ok=True)
        raise
    published = _published_copy(content)
    if published is not None:  # last: readers never see a publication the warehouse lacks
        _put_in_place(published, Path(settings.published).resolve())
    return aside


def _published_copy(content: BackupContent) -> Path | None:
    copies = sorted((content.folder / PUBLISHED_DIR).glob("*"))
    return copies[0] if copies else None


def _compare(content: BackupContent, restored: list[tuple[str, str, int]]) -> None:
    if restored != content.tables:
        expected = {(s, t): n for s, t, n in content.tables}
        found = {(s, t): n for s, t, n in restored}
        diff = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        names = ", ".join(f"{s}.{t}" for s, t in diff[:5])
        raise BackupError(f"restauration incohérente : {len(diff)} table(s) diffèrent de la "
                          f"sauvegarde ({names}) — vérifiez la sauvegarde avant toute "
                          "actualisation")


def _restore_postgres(settings: Settings, content: BackupContent) -> str:
    url, env = _pg_connection(settings.warehouse)
    pg_restore = _pg_tool("pg_restore")
    with connect(settings.warehouse) as wh:
        present = _existing_schemas(settings.warehouse)
        with wh.transaction():
            for schema in present:
                wh.execute(f"drop schema if exists {schema}{ASIDE_SUFFIX} cascade")
                wh.execute(f"alter schema {schema} rename to {schema}{ASIDE_SUFFIX}")
        try:
            _run_pg([pg_restore, "--single-transaction", "--exit-on-error", "--no-owner",
                     "--no-privileges", f"--dbname={url}", str(content.folder / DUMP_FILE)],
                    env, "pg_restore")
            _compare(content, sorted(_table_counts(settings.warehouse)))
        except BaseException:
            with wh.transaction():  # the warehouse as it was before the restore
                for schema in SCHEMAS:
                    wh.execute(f"drop schema if exists {schema} cascade")
                    if schema in present:
                        wh.execute(f"alter schema {schema}{ASIDE_SUFFIX} rename to {schema}")
            raise
        for schema in present:
            wh.execute(f"drop schema {schema}{ASIDE_SUFFIX} cascade")
        _grant_reader(wh, settings.reader_role)
    return ""


def _grant_reader(wh, role: str) -> None:  # noqa: ANN001 - a PostgresWarehouse
    """The restored `published` schema readable by the reader role again, if the role exists
    (else `make reader-role` creates it)."""
    if wh.scalar("select count(*) from pg_roles where rolname = ?", [role]) and wh.scalar(
            "select count(*) from pg_namespace where nspname = ?", [PUBLISHED_SCHEMA]):
        wh.execute(f"grant usage on schema {PUBLISHED_SCHEMA} to {role}")
        wh.execute(f"grant select on all tables in schema {PUBLISHED_SCHEMA} to {role}")
