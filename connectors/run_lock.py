"""One refresh at a time per warehouse, and reports that never read a half-built one.

Two locks per warehouse, both released by the operating system or the database server when
their process dies — a run killed with `kill -9` leaves nothing behind to clean up:

- the *refresh* lock, exclusive, taken without waiting: a second refresh refuses at start-up in
  one French line naming the running one (its process, host, start time and how it was started);
- the *access* lock: a refresh takes it exclusive, readers (quarterly reports, evidence packs)
  take it shared. A report started during a refresh waits for it, saying so, for a bounded
  time; a refresh started during a report waits for the report the same way (reports are
  short, and refusing would lose the night's refresh).

On DuckDB the locks are `flock`s on two files beside the warehouse file (`<file>.refresh.lock`,
which also holds the holder's description, and `<file>.access.lock`). On PostgreSQL they are
session-level advisory locks held on a connection dedicated to the lock for the whole run;
the holder's description is a one-row table, `raw.run_lock`, trusted only when the backend
holding the advisory lock is the one that wrote it.

A process that already holds a lock on a warehouse may ask again (the Dagster run takes it, then
the reporting code inside the same run): the inner request is a no-op.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from common.warehouse import is_postgres_url

PARIS = ZoneInfo("Europe/Paris")
# Advisory lock keys on PostgreSQL: (class, object) pairs, class 0x5EA ("sea").
_PG_CLASS = 0x5EA
_PG_REFRESH, _PG_ACCESS = 1, 2
_POLL_SECONDS = 0.2
HOLDER_TABLE = "raw.run_lock"

Notify = Callable[[str], None]


class RunLockError(RuntimeError):
    """A run could not get its lock; the message is the one French line the user sees."""


class RefreshRunning(RunLockError):
    """Another refresh holds the warehouse: this refresh refuses to start."""


class LockWaitTimeout(RunLockError):
    """The bounded wait for the other side (refresh or report) ran out."""


@dataclass(frozen=True)
class Holder:
    """Who holds the refresh lock: enough for a person to find and judge the running refresh."""

    pid: int
    host: str
    started_at: str  # ISO-8601, Europe/Paris
    origin: str  # how it was started: "make refresh", "make demo", "Dagster, run …"

    @staticmethod
    def of_this_process(origin: str) -> Holder:
        return Holder(pid=os.getpid(), host=socket.gethostname(),
                      started_at=datetime.now(PARIS).isoformat(timespec="seconds"),
                      origin=origin)

    def describe_fr(self) -> str:
        try:
            start = datetime.fromisoformat(self.started_at)
            when = f"démarrée le {start:%d/%m/%Y} à {start:%H:%M:%S}"
        except ValueError:
            when = "démarrée à une heure inconnue"
        return f"processus {self.pid} sur {self.host}, {when}, lancée par {self.origin}"


UNKNOWN_HOLDER_FR = "processus inconnu : sa description n'est pas encore écrite"


def _describe(holder: Holder | None) -> str:
    return holder.describe_fr() if holder is not None else UNKNOWN_HOLDER_FR


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


# -- process-wide registry: nested requests of the holding process are no-ops -----------------

_held: dict[str, str] = {}
_held_guard = threading.Lock()


def warehouse_identity(warehouse: str) -> str:
    """One name per warehouse: the resolved DuckDB file, or host:port/database."""
    if is_postgres_url(warehouse):
        parts = urlsplit(warehouse)
        return f"pg://{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    return str(Path(warehouse).resolve())


def holds_refresh_lock(warehouse: str) -> bool:
    """True when this process holds the refresh lock of `warehouse` (no other run can be live)."""
    with _held_guard:
        return _held.get(warehouse_identity(warehouse)) == "refresh"


@contextmanager
def _registered(warehouse: str, mode: str) -> Iterator[bool]:
    """Yields False when this process already holds a lock covering `mode` (nothing to take)."""
    key = warehouse_identity(warehouse)
    with _held_guard:
        current = _held.get(key)
        if current == "refresh" or (current == "read" and mode == "read"):
            nested = True
        elif current == "read":
            raise RunLockError("actualisation impossible depuis un rapport en cours de lecture")
        else:
            nested = False
            _held[key] = mode
    try:
        yield not nested
    finally:
        if not nested:
            with _held_guard:
                _held.pop(key, None)


# -- DuckDB: flock on files beside the warehouse file ------------------------------------------

def _lock_paths(warehouse: str) -> tuple[Path, Path]:
    path = Path(warehouse).resolve()
    return (path.with_name(path.name + ".refresh.lock"),
            path.with_name(path.name + ".access.lock"))


def _open_lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _try_flock(fd: int, exclusive: bool) -> bool:
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_file_holder(path: Path) -> Holder | None:
    """The description the refresh wrote, if it is that of a live process."""
    try:
        holder = Holder(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if holder.host == socket.gethostname():
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return None  # written by a dead run: the live holder has not written its own yet
        except PermissionError:
            pass
    return holder


class _DuckDBLocks:
    def __init__(self, warehouse: str) -> None:
        self.refresh_path, self.access_path = _lock_paths(warehouse)
        self._fds: list[int] = []

    def try_refresh(self, holder: Holder) -> bool:
        fd = _open_lock_file(self.refresh_path)
        if not _try_flock(fd, exclusive=True):
            os.close(fd)
            return False
        self._fds.append(fd)
        data = json.dumps(asdict(holder)).encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        return True

    def open_access(self) -> int:
        fd = _open_lock_file(self.access_path)
        self._fds.append(fd)
        return fd

    def try_access(self, fd: int, exclusive: bool) -> bool:
        return _try_flock(fd, exclusive)

    def holder(self) -> Holder | None:
        return _read_file_holder(self.refresh_path)

    def close(self) -> None:
        # The description is left in the file: it is only read while the lock is held, and a
        # live holder rewrites it first.
        for fd in reversed(self._fds):
            os.close(fd)  # closing the last descriptor releases the flock
        self._fds.clear()


# -- PostgreSQL: session-level advisory locks on a dedicated connection ------------------------

class _PostgresLocks:
    def __init__(self, warehouse: str) -> None:
        import psycopg2

        self._con = psycopg2.connect(warehouse, application_name="sea run lock")
        self._con.autocommit = True

    def _scalar(self, sql: str, params: tuple = ()) -> object:
        with self._con.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return row[0] if row else None

    def try_refresh(self, holder: Holder) -> bool:
        if not self._scalar("select pg_try_advisory_lock(%s, %s)", (_PG_CLASS, _PG_REFRESH)):
            return False
        # Created and written only by the refresh lock's holder: no two sessions race on DDL.
        with self._con.cursor() as cur:
            cur.execute("create schema if not exists raw")
            cur.execute(f"create table if not exists {HOLDER_TABLE} (backend_pid integer, "
                        "pid integer, host text, started_at text, origin text)")
            cur.execute(f"delete from {HOLDER_TABLE}; insert into {HOLDER_TABLE} values "
                        "(pg_backend_pid(), %s, %s, %s, %s)",
                        (holder.pid, holder.host, holder.started_at, holder.origin))
        return True

    def open_access(self) -> int:
        return 0

    def try_access(self, _: int, exclusive: bool) -> bool:
        fn = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        return bool(self._scalar(f"select {fn}(%s, %s)", (_PG_CLASS, _PG_ACCESS)))

    def holder(self) -> Holder | None:
        """The described holder, if it is the backend that holds the refresh lock right now."""
        with self._con.cursor() as cur:
            cur.execute("select to_regclass(%s) is not null", (HOLDER_TABLE,))
            if not cur.fetchone()[0]:
                return None
            cur.execute(
                f"select h.pid, h.host, h.started_at, h.origin from {HOLDER_TABLE} h "
                "join pg_locks l on l.pid = h.backend_pid and l.locktype = 'advisory' "
                "and l.classid = %s and l.objid = %s and l.granted "
                "and l.database = (select oid from pg_database where datname = current_database())",
                (_PG_CLASS, _PG_REFRESH))
            row = cur.fetchone()
        return Holder(*row) if row else None

    def close(self) -> None:
        # Closing the session releases its advisory locks; the server does the same when the
        # process dies without closing it.
        self._con.close()


def _locks(warehouse: str) -> _DuckDBLocks | _PostgresLocks:
    return _PostgresLocks(warehouse) if is_postgres_url(warehouse) else _DuckDBLocks(warehouse)


def _wait_for_access(locks: _DuckDBLocks | _PostgresLocks, *, exclusive: bool, wait: float,
                     on_wait: Callable[[], None], on_timeout: Callable[[], RunLockError]
                     ) -> None:
    fd = locks.open_access()
    if locks.try_access(fd, exclusive):
        return
    on_wait()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        if locks.try_access(fd, exclusive):
            return
    raise on_timeout()


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


@contextmanager
def refresh_lock(warehouse: str, origin: str, *, wait: float,
                 notify: Notify = _stderr) -> Iterator[Holder]:
    """Hold `warehouse` for one refresh; raise `RefreshRunning` at once if another refresh runs.

    Readers still reading are waited for (at most `wait` seconds, said through `notify`).
    """
    holder = Holder.of_this_process(origin)
    with _registered(warehouse, "refresh") as take:
        if not take:
            yield holder
            return
        locks = _locks(warehouse)
        try:
            if not locks.try_refresh(holder):
                raise RefreshRunning(
                    "actualisation refusée : une autre actualisation est en cours sur cet "
                    f"entrepôt ({_describe(locks.holder())}) ; attendez sa fin puis relancez "
                    "(si ce processus n'existe plus, relancez simplement : son verrou est "
                    "libéré à sa mort)")
            _wait_for_access(
                locks, exclusive=True, wait=wait,
                on_wait=lambda: notify(
                    "sea: rapport en cours de lecture de l'entrepôt : attente de sa fin avant "
                    f"l'actualisation (au plus {_minutes(wait)})…"),
                on_timeout=lambda: LockWaitTimeout(
                    f"actualisation abandonnée : un rapport lit l'entrepôt depuis plus de "
                    f"{_minutes(wait)} ; relancez l'actualisation après sa fin (ou augmentez "
                    "SEA_LOCK_WAIT_SECONDS)"))
            yield holder
        finally:
            locks.close()


@contextmanager
def read_lock(warehouse: str, *, wait: float, notify: Notify = _stderr) -> Iterator[None]:
    """Read `warehouse` in a consistent state: wait (at most `wait` s) for a running refresh."""
    with _registered(warehouse, "read") as take:
        if not take:
            yield
            return
        locks = _locks(warehouse)
        try:
            _wait_for_access(
                locks, exclusive=False, wait=wait,
                on_wait=lambda: notify(
                    f"sea: actualisation en cours ({_describe(locks.holder())}) : attente de "
                    f"sa fin avant de lire l'entrepôt (au plus {_minutes(wait)})…"),
                on_timeout=lambda: LockWaitTimeout(
                    f"lecture abandonnée : l'actualisation en cours ({_describe(locks.holder())}) "
                    f"n'a pas fini après {_minutes(wait)} d'attente ; relancez après sa fin "
                    "(ou augmentez SEA_LOCK_WAIT_SECONDS)"))
            yield
        finally:
            locks.close()
