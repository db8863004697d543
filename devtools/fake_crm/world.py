"""A seeded, deterministic synthetic CRM population that can move forward in time.

Each participant's whole story (enrolments, activities, follow-up contacts, situations and the
later edits of every record) is drawn once, when the participant arrives. What has happened by
``now`` is stored as the current version of each record; what has not yet happened waits in a
queue ordered by timestamp. ``advance(days)`` then only has to let new people arrive, draw a few
unplanned edits and erasures, and replay the queue up to the new ``now`` — so time moving
forward produces exactly the trickle of new, updated and deleted records an incremental
extraction has to cope with.

Memory and speed matter (a benchmark asks for 100 000 participants, ~1.7 M activities): versions
are plain tuples (see ``schema``), dates are shared cached strings, and each resource's served
versions sit in one list sorted by (updated_at, id) that pages are cut from with a bisection.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from . import distributions as dist
from .bad_records import (
    BAD_RECORD_KINDS,
    DEFAULT_RESOURCE,
    FUTURE_UPDATED_AT,
    BadRecordError,
    mutate,
)
from .schema import (
    DAY,
    DELETIONS,
    IDX,
    KEY,
    RESOURCES,
    Raw,
    current_ts,
    day_ts,
    ds,
    entries_of,
    from_ts,
    good_version,
    iso,
    refs,
    render,
    render_deletion,
    to_ts,
    ts_ord,
)

DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEFAULT_START = date(2019, 3, 1)

#: unplanned edits per served record and per day, drawn by ``advance``
UPDATE_RATES = {
    "participants": 0.0015,
    "enrolments": 0.0005,
    "activities": 0.0002,
    "situations": 0.0005,
    "employers": 0.001,
}
ERASURE_RATE = 0.00015  # GDPR erasures per participant per day
ACTIVITY_DELETE_RATE = 0.00002  # single activities deleted per activity per day
INITIAL_ERASED_SHARE = 0.004
INITIAL_DELETED_ACTIVITY_SHARE = 0.0005
CASCADE_LISTED_SHARE = 0.5  # share of erasures whose feed also lists the cascaded records
ACTIVITIES_PER_MONTH = 2.6
NEW_ANTENNA_SHARE = 0.15

_CREATE, _PATCH, _ERASE, _DELETE_ACTIVITY = range(4)
_ID_FORMATS = {"P": "P{:06d}", "E": "E{:06d}", "A": "A{:07d}", "S": "S{:06d}", "C": "C{:05d}"}
_ORPHAN_PREFIX = {"enrolments": "E", "activities": "A", "situations": "S"}

Patch = tuple[tuple[int, Any], ...]


def add_months(ordinal: int, months: int) -> int:
    """``d`` + n calendar months, clamped to the month's last day (the M6 rule of indicators)."""
    day = date.fromordinal(ordinal)
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom).toordinal()
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _apply(version: tuple, patch: Patch, ts: int) -> tuple:
    """A new version: ``version`` with ``patch`` applied and ``updated_at`` set to ``ts``."""
    values = list(version)
    for index, value in patch:
        values[index] = value
    values[1] = ts
    return tuple(values)


class _Plan:
    """One enrolment as drawn before it is turned into records."""

    __slots__ = ("eid", "programme", "antenna", "start", "end", "reason", "created_ts")

    def __init__(
        self,
        eid: str,
        programme: str,
        antenna: str,
        start: int,
        end: int,
        reason: str | None,
        created_ts: int,
    ) -> None:
        self.eid, self.programme, self.antenna = eid, programme, antenna
        self.start, self.end, self.reason, self.created_ts = start, end, reason, created_ts


class _Batch:
    """What one step forward in time changed, to reindex and to summarise."""

    def __init__(self) -> None:
        self.created: dict[str, set[str]] = defaultdict(set)
        self.updated: dict[str, set[str]] = defaultdict(set)
        self.deleted: dict[str, set[str]] = defaultdict(set)
        self.erased: dict[str, tuple[int, bool]] = {}  # pid -> (deleted_at, cascade listed)
        self.feed: list[tuple[str, int, str]] = []

    def touched(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for group in (self.created, self.updated, self.deleted):
            for res, ids in group.items():
                out[res] |= ids
        return out


class World:
    """The synthetic CRM: current versions of every record, a deletion feed and a clock.

    Thread-safe: every public method holds one lock, so the HTTP server can read pages while a
    control request advances time.
    """

    def __init__(
        self,
        seed: int = 42,
        participants: int = 3000,
        start: date = DEFAULT_START,
        now: datetime | None = None,
    ) -> None:
        if participants < 0:
            raise ValueError("participants must be >= 0")
        self.seed = seed
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._bad_rng = random.Random(f"{seed}-bad-records")
        self._start_ts = day_ts(start.toordinal())
        self._now = to_ts(now or DEFAULT_NOW)
        if self._now <= self._start_ts:
            raise ValueError("now must be after start")
        self._store: dict[str, dict[str, Any]] = {res: {} for res in RESOURCES}
        self._served: dict[str, list[tuple]] = {res: [] for res in RESOURCES}
        self._deletions: list[tuple[str, int, str]] = []
        self._pending: list[tuple] = []
        self._seq = itertools.count()
        self._counters = dict.fromkeys(_ID_FORMATS, 0)
        self._orphans = itertools.count(1)
        self._batch: _Batch | None = None
        self._erased_pids: set[str] = set()
        self._bad: dict[tuple[str, str], str] = {}
        self._antenna_codes = [code for code, _ in dist.ANTENNAS]
        self._antennas = dist.Weighted(dist.ANTENNAS)
        self._forced_antennas: list[str] = []
        self._employer_ids: list[str] = []
        self._employer_ts: list[int] = []
        span_days = (self._now - self._start_ts) / DAY
        employers = max(20, participants // 10)
        # arrivals grow over time (see _arrivals): the density at the end is ~1.27 x the mean
        self._participant_rate = 1.27 * participants / span_days
        self._employer_rate = employers / span_days
        self._populate(participants, employers)

    # ------------------------------------------------------------------ public reading API

    @property
    def now(self) -> datetime:
        """The world's clock: nothing served has an ``updated_at`` after it."""
        return from_ts(self._now)

    @property
    def now_ts(self) -> int:
        return self._now

    def page(
        self,
        resource: str,
        since: int | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 100,
    ) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        """One page of ``resource`` (or ``deletions``) in (updated_at, id) order.

        ``since`` (epoch seconds, inclusive) starts the listing; ``after`` — the (ts, id) of the
        last record of the previous page — continues it strictly after. Returns the records and
        the key to continue from, or None on the last page. A page never splits a group of
        entries sharing one (ts, id) — a served duplicate id — so both payloads land together.
        """
        with self._lock:
            entries = self._deletions if resource == DELETIONS else self._served[resource]
            if after is not None:
                lo = bisect_right(entries, tuple(after), key=KEY)
            elif since is not None:
                lo = bisect_left(entries, (since, ""), key=KEY)
            else:
                lo = 0
            hi = self._page_end(entries, lo, limit)
            chunk = entries[lo:hi]
            if resource == DELETIONS:
                data = [render_deletion(entry) for entry in chunk]
            else:
                data = [render(resource, entry) for entry in chunk]
            return data, (KEY(chunk[-1]) if hi < len(entries) and chunk else None)

    @staticmethod
    def _page_end(entries: list[tuple], lo: int, limit: int) -> int:
        hi = min(lo + limit, len(entries))
        if lo < hi < len(entries) and KEY(entries[hi]) == KEY(entries[hi - 1]):
            group = KEY(entries[hi])
            cut = hi - 1
            while cut > lo and KEY(entries[cut - 1]) == group:
                cut -= 1
            if cut > lo:
                return cut
            while hi < len(entries) and KEY(entries[hi]) == group:
                hi += 1
        return hi

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Every served record (or deletion) in API order — for tests and inspection."""
        with self._lock:
            if resource == DELETIONS:
                return [render_deletion(entry) for entry in self._deletions]
            return [render(resource, entry) for entry in self._served[resource]]

    def get(self, resource: str, rid: str) -> dict[str, Any] | None:
        """The current served payload of one record (the first one for a duplicate id)."""
        with self._lock:
            value = self._store[resource].get(rid)
            return None if value is None else render(resource, entries_of(value)[0])

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts = {res: len(self._served[res]) for res in RESOURCES}
            counts[DELETIONS] = len(self._deletions)
            return counts

    def state(self) -> dict[str, Any]:
        """What ``GET /_control/state`` shows."""
        with self._lock:
            return {
                "now": iso(self._now),
                "seed": self.seed,
                "counts": self.counts(),
                "pending_events": len(self._pending),
                "antennas": list(self._antenna_codes),
                "bad_records": [
                    {"resource": res, "id": rid, "kind": kind}
                    for (res, rid), kind in self._bad.items()
                ],
            }

    # ------------------------------------------------------------------ public control API

    def advance(self, days: float) -> dict[str, Any]:
        """Move ``now`` forward: new people arrive, planned events happen, some records are
        edited, a few participants are erased and a few activities deleted.

        The volumes are proportional to ``days`` and to the population. Returns a summary:
        counts of new / updated / deleted records per resource and the participant ids of each.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        with self._lock:
            batch = self._advance_to(self._now + round(days * DAY), grow=True)
            return self._summary(batch, days)

    def erase_participant(self, participant_id: str) -> dict[str, Any]:
        """Erase one chosen person one second from now (GDPR art. 17), with the cascade.

        Tests and demos use it to erase someone they know has data everywhere; ``advance``
        erases people at random. Returns the same summary as ``advance``.
        """
        with self._lock:
            target = self._now + 1
            self._push(target, _ERASE, "participants", participant_id)
            batch = self._advance_to(target, grow=False)
            return self._summary(batch, 0)

    def add_antenna(self, code: str, share: float = NEW_ANTENNA_SHARE) -> None:
        """Open an antenna: from the next ``advance`` on, new participants, enrolments and
        employers may carry ``code`` (the next new participant surely does, with an enrolment
        starting on arrival, so a test sees the code flow through after one ``advance``)."""
        if not 0 < share < 1:
            raise ValueError("share must be in (0, 1)")
        with self._lock:
            if code not in self._antenna_codes:
                self._antenna_codes.append(code)
                total = self._antennas.cum[-1]
                self._antennas = self._antennas.with_value(code, total * share / (1 - share))
            self._forced_antennas.append(code)

    def inject_bad_record(self, kind: str, resource: str | None = None, **params: Any) -> str:
        """Serve one bad record of ``kind`` as a new version with a fresh ``updated_at``.

        ``params``: ``field`` and ``value`` override what is altered; ``days`` sets the offset
        of ``future_date`` / ``end_before_start``; ``participant_id`` the ghost of ``orphan``;
        ``at`` the instant of ``future_updated_at`` (default 2099-01-01), which on ``deletions``
        erases a participant with that ``deleted_at`` in the feed.
        Returns the id of the affected record (for ``missing_id``, the id the payload lacks).
        """
        if kind not in BAD_RECORD_KINDS:
            raise BadRecordError(f"unknown bad-record kind {kind!r}; one of {BAD_RECORD_KINDS}")
        res = resource or DEFAULT_RESOURCE[kind]
        if kind == "future_updated_at" and res == DELETIONS:
            with self._lock:
                return self._inject_future_deletion(params)
        if res not in RESOURCES:
            raise BadRecordError(f"unknown resource {res!r}")
        with self._lock:
            if kind == "orphan":
                return self._inject_orphan(res, params)
            rid, base, ts = self._claim(res, kind)
            record = render(res, base)
            record["updated_at"] = iso(ts)
            payloads = mutate(kind, res, record, params, ts_ord(self._now))
            if kind == "future_updated_at":  # served where its (wrong) date sorts it
                ts = to_ts(datetime.fromisoformat(payloads[0]["updated_at"]))
            entries = [Raw((rid, ts, payload, base)) for payload in payloads]
            self._store[res][rid] = entries[0] if len(entries) == 1 else entries
            self._bad[res, rid] = kind
            self._reindex({res: {rid}})
            return rid

    def clear_bad_records(self) -> list[str]:
        """Repair every injected bad record still served: a good version with a fresh
        ``updated_at`` replaces it (an injected orphan is deleted and listed in the feed).
        Returns the ids repaired."""
        with self._lock:
            bad = [key for key in self._bad if self._is_bad(*key)]
            # a future-dated version is fixed at the clock's time, not after its wrong date
            floor = max((current_ts(self._store[r][i]) for r, i in bad
                         if self._bad[r, i] != "future_updated_at"), default=self._now - 1)
            self._bad.clear()
            if not bad:
                return []
            ts = self._fresh_ts(floor + 1)
            touched: dict[str, set[str]] = defaultdict(set)
            feed = []
            for res, rid in bad:
                if not self._is_bad(res, rid):
                    continue
                base = good_version(self._store[res][rid])
                if base is None:
                    del self._store[res][rid]
                    feed.append((rid, ts, res))
                else:
                    self._store[res][rid] = _apply(base, (), ts)
                touched[res].add(rid)
            self._reindex(touched)
            self._deletions = _append_sorted(self._deletions, feed)
            return [rid for _, rid in bad]

    # ------------------------------------------------------------------ time

    def _advance_to(self, target: int, grow: bool) -> _Batch:
        """Replay the queue up to ``target`` (and, when ``grow``, draw arrivals and unplanned
        changes first), then make the result visible."""
        old = self._now
        batch = _Batch()
        self._batch = batch
        try:
            if grow and target > old:
                self._grow(old, target)
            self._drain(target, batch)
            self._cascade(batch)
        finally:
            self._batch = None
        self._now = max(old, target)
        self._reindex(batch.touched())
        self._deletions = _append_sorted(self._deletions, batch.feed)
        return batch

    def _fresh_ts(self, at_least: int) -> int:
        """A timestamp for an out-of-band version: ``now``, or later when the record already has
        a version at ``now`` (the clock then moves, replaying what was due meanwhile)."""
        target = max(self._now, at_least)
        if target > self._now:
            self._advance_to(target, grow=False)
        return target

    def _grow(self, old: int, new: int) -> None:
        rng = self._rng
        days = (new - old) / DAY
        for ts in sorted(
            rng.randint(old + 1, new) for _ in range(self._stochastic(self._employer_rate * days))
        ):
            self._add_employer(ts, new)
        arrivals = sorted(
            rng.randint(old + 1, new)
            for _ in range(self._stochastic(self._participant_rate * days))
        )
        latest = max(old + 1, new - 3600)
        for code in self._forced_antennas:
            self._add_participant(rng.randint(old + 1, latest), new, forced_antenna=code)
        self._forced_antennas.clear()
        for ts in arrivals:
            self._add_participant(ts, new)
        self._schedule_edits(old, new, days)
        self._schedule_deletions(old, new, days)

    def _schedule_edits(self, old: int, new: int, days: float) -> None:
        rng = self._rng
        for res, rate in UPDATE_RATES.items():
            served = self._served[res]
            if not served:
                continue
            for _ in range(self._stochastic(rate * len(served) * days)):
                entry = served[rng.randrange(len(served))]
                if type(entry) is not tuple:
                    continue
                patch = self._random_edit(res, entry)
                self._push(rng.randint(old + 1, new), _PATCH, res, (entry[0], patch))

    def _schedule_deletions(self, old: int, new: int, days: float) -> None:
        rng = self._rng
        for res, rate, op in (
            ("participants", ERASURE_RATE, _ERASE),
            ("activities", ACTIVITY_DELETE_RATE, _DELETE_ACTIVITY),
        ):
            served = self._served[res]
            count = min(len(served), self._stochastic(rate * len(served) * days))
            for index in sorted(rng.sample(range(len(served)), count)):
                self._push(rng.randint(old + 1, new), op, res, served[index][0])

    def _drain(self, target: int, batch: _Batch) -> None:
        heap, store = self._pending, self._store
        while heap and heap[0][0] <= target:
            ts, _, op, res, payload = heapq.heappop(heap)
            if op == _CREATE:
                if not self._belongs_to_erased(res, payload):
                    store[res][payload[0]] = payload
                    batch.created[res].add(payload[0])
            elif op == _PATCH:
                rid, patch = payload
                value = store[res].get(rid)
                base = None if value is None else good_version(value)
                if base is not None:
                    store[res][rid] = _apply(base, patch, ts)
                    batch.updated[res].add(rid)
            elif op == _ERASE:
                self._erase(payload, ts, batch)
            else:
                self._delete_activity(payload, ts, batch)

    def _belongs_to_erased(self, res: str, record: tuple) -> bool:
        if res == "participants":
            return record[0] in self._erased_pids
        if res == "employers":
            return False
        return record[2] in self._erased_pids

    def _erase(self, pid: str, ts: int, batch: _Batch) -> None:
        if self._store["participants"].pop(pid, None) is None:
            return
        self._erased_pids.add(pid)
        batch.erased[pid] = (ts, self._rng.random() < CASCADE_LISTED_SHARE)
        batch.deleted["participants"].add(pid)
        batch.feed.append((pid, ts, "participants"))

    def _delete_activity(self, aid: str, ts: int, batch: _Batch) -> None:
        if self._store["activities"].pop(aid, None) is None:
            return
        batch.deleted["activities"].add(aid)
        batch.feed.append((aid, ts, "activities"))

    def _cascade(self, batch: _Batch) -> None:
        """Remove every record of the participants erased in ``batch`` — those with their
        ``participant_id`` and those pointing at one of their enrolments — in one pass."""
        erased = batch.erased
        if not erased:
            return
        owner_of_enrolment = {
            eid: pid
            for eid, value in self._store["enrolments"].items()
            if (pid := refs("enrolments", value)[0]) in erased
        }
        for res in ("enrolments", "activities", "situations"):
            records = self._store[res]
            doomed = []
            for rid, value in records.items():
                if type(value) is tuple:
                    pid, eid = value[2], (rid if res == "enrolments" else value[3])
                else:
                    pid, eid = refs(res, value)
                owner = pid if pid in erased else owner_of_enrolment.get(eid)
                if owner is not None:
                    doomed.append((rid, owner, current_ts(value)))
            for rid, owner, ts in doomed:
                del records[rid]
                batch.deleted[res].add(rid)
                deleted_at, listed = erased[owner]
                if listed and ts <= deleted_at:
                    batch.feed.append((rid, deleted_at, res))

    def _reindex(self, touched: dict[str, set[str]]) -> None:
        """Refresh the sorted served lists for the records that changed.

        Changed records always get a version newer than every unchanged one, so dropping their
        old entries and appending their new ones (sorted) keeps the list sorted without a full
        sort of millions of entries.
        """
        for res, ids in touched.items():
            if not ids:
                continue
            store = self._store[res]
            kept = [entry for entry in self._served[res] if entry[0] not in ids]
            fresh = [
                entry
                for rid in ids
                if (value := store.get(rid)) is not None
                for entry in entries_of(value)
            ]
            self._served[res] = _append_sorted(kept, fresh)

    def _summary(self, batch: _Batch, days: float) -> dict[str, Any]:
        def ids(group: dict[str, set[str]], res: str, minus: Iterable[dict[str, set[str]]]) -> list:
            out = set(group.get(res, ()))
            for other in minus:
                out -= other.get(res, set())
            return sorted(out)

        new = {res: ids(batch.created, res, [batch.deleted]) for res in RESOURCES}
        updated = {
            res: ids(batch.updated, res, [batch.created, batch.deleted]) for res in RESOURCES
        }
        deleted = {res: sorted(batch.deleted.get(res, ())) for res in RESOURCES}
        return {
            "now": iso(self._now),
            "days": days,
            "new": {res: len(v) for res, v in new.items()},
            "updated": {res: len(v) for res, v in updated.items()},
            "deleted": {res: len(v) for res, v in deleted.items()},
            "new_participants": new["participants"],
            "updated_participants": updated["participants"],
            "deleted_participants": deleted["participants"],
        }

    # ------------------------------------------------------------------ population

    def _populate(self, participants: int, employers: int) -> None:
        for ts in self._arrivals(employers):
            self._add_employer(ts, self._now)
        for ts in self._arrivals(participants):
            self._add_participant(ts, self._now)
        batch = _Batch()
        self._initial_deletions(batch)
        self._cascade(batch)
        for res in RESOURCES:
            served = [entry for value in self._store[res].values() for entry in entries_of(value)]
            served.sort(key=KEY)
            self._served[res] = served
        self._deletions = sorted(batch.feed, key=KEY)

    def _arrivals(self, count: int) -> list[int]:
        """Arrival instants between start and now, denser in recent years (the association
        grew): a mix of a uniform draw and one skewed towards the end."""
        rng, lo, span = self._rng, self._start_ts, self._now - self._start_ts - 1
        out = []
        for _ in range(count):
            u = rng.random()
            if rng.random() >= 0.6:
                u **= 0.6
            moment = lo + 1 + int(span * u)
            out.append(min(self._now, max(lo + 1, self._stamp(ts_ord(moment)))))
        out.sort()
        return out

    def _initial_deletions(self, batch: _Batch) -> None:
        """Erasures and deleted activities that happened before ``now``."""
        rng = self._rng
        people = list(self._store["participants"].values())
        for index in sorted(
            rng.sample(range(len(people)), round(len(people) * INITIAL_ERASED_SHARE))
        ):
            person = people[index]
            if person[1] < self._now:
                self._erase(person[0], rng.randint(person[1] + 1, self._now), batch)
        activity_ids = list(self._store["activities"])
        count = round(len(activity_ids) * INITIAL_DELETED_ACTIVITY_SHARE)
        for index in sorted(rng.sample(range(len(activity_ids)), count)):
            ts = self._store["activities"][activity_ids[index]][1]
            if ts < self._now:
                self._delete_activity(activity_ids[index], rng.randint(ts + 1, self._now), batch)

    def _new_id(self, prefix: str) -> str:
        self._counters[prefix] += 1
        return _ID_FORMATS[prefix].format(self._counters[prefix])

    def _stamp(self, ordinal: int) -> int:
        """An instant during French office hours on that day."""
        return day_ts(ordinal) + self._rng.randint(25_200, 68_400)

    def _stochastic(self, expected: float) -> int:
        """Round an expected count up or down at random, so small rates still happen."""
        whole = int(expected)
        return whole + (self._rng.random() < expected - whole)

    def _push(self, ts: int, op: int, res: str, payload: Any) -> None:
        heapq.heappush(self._pending, (ts, next(self._seq), op, res, payload))

    def _emit(self, res: str, record: tuple, patches: list[tuple[int, Patch]], cutoff: int) -> None:
        """Store what of a record's life has happened by ``cutoff``; queue the rest.

        ``patches`` must be sorted by timestamp and later than the record's creation.
        """
        if record[1] > cutoff:
            self._push(record[1], _CREATE, res, record)
            for ts, patch in patches:
                self._push(ts, _PATCH, res, (record[0], patch))
            return
        for ts, patch in patches:
            if ts <= cutoff:
                record = _apply(record, patch, ts)
            else:
                self._push(ts, _PATCH, res, (record[0], patch))
        self._store[res][record[0]] = record
        if self._batch is not None:
            self._batch.created[res].add(record[0])

    def _add_employer(self, created_ts: int, cutoff: int) -> None:
        rng = self._rng
        cid = self._new_id("C")
        prefix, naf = rng.choice(dist.SECTORS)
        name = f"{prefix} {rng.choice(dist.COMPANY_SUFFIXES)}{rng.choice(dist.COMPANY_FORMS)}"
        record = (
            cid,
            created_ts,
            name,
            naf if rng.random() > 0.08 else None,
            dist.SIZE_BANDS.pick(rng),
            self._antennas.pick(rng),
        )
        patches: list[tuple[int, Patch]] = []
        if record[3] is None and rng.random() < 0.5:
            patches.append((created_ts + rng.randint(5, 200) * DAY, ((3, naf),)))
        if rng.random() < 0.15:
            patches.append(
                (created_ts + rng.randint(30, 900) * DAY, ((4, dist.SIZE_BANDS.pick(rng)),))
            )
        self._emit("employers", record, sorted(patches), cutoff)
        self._employer_ids.append(cid)
        self._employer_ts.append(created_ts)
        created_ord = ts_ord(created_ts)
        for _ in range(rng.randint(1, 6)):
            day = created_ord + rng.randint(0, 1100)
            kind = dist.EMPLOYER_EVENTS.pick(rng)
            lo, hi = dist.DURATION_RANGE[kind]
            event = (
                self._new_id("A"),
                max(created_ts + 60, self._stamp(day)),
                None,
                None,
                cid,
                kind,
                ds(day),
                15 * rng.randint(lo // 15, hi // 15),
                rng.random() < 0.92,
                None,
            )
            self._emit("activities", event, [], cutoff)

    def _random_employer(self, ts: int) -> str | None:
        known = bisect_right(self._employer_ts, ts)
        return self._employer_ids[self._rng.randrange(known)] if known else None

    def _add_participant(
        self, created_ts: int, cutoff: int, forced_antenna: str | None = None
    ) -> None:
        rng = self._rng
        pid = self._new_id("P")
        programme = dist.PROGRAMMES.pick(rng)
        sex = "F" if programme == "SOCLE_FEMMES" else dist.SEX.pick(rng)
        antenna = forced_antenna or self._antennas.pick(rng)
        record, patches = self._participant_record(pid, created_ts, programme, sex, antenna)
        plans = self._plan_enrolments(created_ts, programme, antenna, forced_antenna is not None)
        moved_to = antenna
        for plan in plans:
            if plan.antenna != moved_to and plan.created_ts > created_ts:
                moved_to = plan.antenna
                patches.append((plan.created_ts, ((IDX["participants"]["antenna"], moved_to),)))
        patches.sort()
        self._emit("participants", record, patches, cutoff)
        for plan in plans:
            self._emit_enrolment(pid, plan, cutoff)
            self._emit_activities(pid, plan, plans, cutoff)
            self._emit_followups(pid, plan, cutoff)
            self._emit_situations(pid, plan, created_ts, cutoff)

    def _participant_record(
        self, pid: str, created_ts: int, programme: str, sex: str | None, antenna: str
    ) -> tuple[tuple, list[tuple[int, Patch]]]:
        rng = self._rng
        today = ts_ord(created_ts)
        female = sex == "F" or (sex != "M" and rng.random() < 0.5)
        first = rng.choice(dist.FIRST_NAMES_F if female else dist.FIRST_NAMES_M)
        last = rng.choice(dist.LAST_NAMES)
        email = (
            None
            if rng.random() < 0.15
            else f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.org"
        )
        birth = (
            None
            if rng.random() < 0.02
            else today - int(rng.triangular(18, 58, 29) * 365.25) - rng.randint(0, 364)
        )
        nationality = dist.NATIONALITIES.pick(rng)
        status = self._protection_status(nationality)
        arrival = None if rng.random() < 0.08 else today - rng.randint(90, 2500)
        granted = None
        if status is not None and rng.random() > 0.1:
            granted = min(today - 1, (arrival or today - 700) + rng.randint(60, 700))
        levels = dist.FRENCH_LEVEL_AVEC if programme == "AVEC" else dist.FRENCH_LEVEL
        french = levels.pick(rng)
        record = (
            pid,
            created_ts,
            created_ts,
            first,
            last,
            email,
            self._phone(),
            None if birth is None else ds(birth),
            sex,
            nationality,
            status,
            None if granted is None else ds(granted),
            None if arrival is None else ds(arrival),
            french,
            dist.EDUCATION.pick(rng),
            dist.TRI_BOOL_QPV.pick(rng),
            dist.TRI_BOOL_RQTH.pick(rng),
            dist.REFERRER.pick(rng),
            antenna,
            rng.choice(dist.NOTES) if rng.random() < 0.35 else None,
        )
        return record, self._participant_edits(created_ts, french)

    def _participant_edits(self, created_ts: int, french: str | None) -> list[tuple[int, Patch]]:
        rng, idx = self._rng, IDX["participants"]
        today = ts_ord(created_ts)
        patches: list[tuple[int, Patch]] = []
        if french in dist.CEFR[:-1] and rng.random() < 0.3:
            better = dist.CEFR[dist.CEFR.index(french) + 1]
            patches.append(
                (self._stamp(today + rng.randint(120, 300)), ((idx["french_level"], better),))
            )
        if rng.random() < 0.08:
            patches.append(
                (
                    self._stamp(today + rng.randint(30, 900)),
                    ((idx["phone"], self._phone(always=True)),),
                )
            )
        if rng.random() < 0.12:
            patches.append(
                (
                    self._stamp(today + rng.randint(10, 400)),
                    ((idx["notes"], rng.choice(dist.NOTES)),),
                )
            )
        return patches

    def _protection_status(self, nationality: str | None) -> str | None:
        rng = self._rng
        if nationality == "UKR" and rng.random() < 0.85:
            return "protection_temporaire"
        if nationality == "XXA" and rng.random() < 0.8:
            return "apatride"
        return dist.PROTECTION.pick(rng)

    def _phone(self, always: bool = False) -> str | None:
        rng = self._rng
        if not always and rng.random() < 0.1:
            return None
        digits = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
        return f"+33 {rng.choice('67')} {digits}"

    def _other_antenna(self, current: str) -> str:
        others = [code for code in self._antenna_codes if code != current]
        return self._rng.choice(others) if others else current

    def _plan_enrolments(
        self, created_ts: int, programme: str, antenna: str, forced: bool
    ) -> list[_Plan]:
        """One enrolment, sometimes followed by an AVEC one (SOCLE then AVEC), occasionally at
        another antenna than the participant's."""
        rng = self._rng
        today = ts_ord(created_ts)
        start = today if forced else today + rng.randint(0, 21)
        where = antenna if forced or rng.random() > 0.03 else self._other_antenna(antenna)
        plans: list[_Plan] = []
        while True:
            reason = dist.EXIT_REASONS.pick(rng)
            end = start + self._enrolment_days(programme, reason)
            if forced and not plans:
                created = created_ts + rng.randint(60, 1800)
            elif rng.random() < 0.1:
                created = max(created_ts + 60, self._stamp(start - rng.randint(1, 14)))
            else:
                created = max(created_ts + 60, self._stamp(start))
            plans.append(_Plan(self._new_id("E"), programme, where, start, end, reason, created))
            if (
                len(plans) == 1
                and programme in ("SOCLE", "SOCLE_FEMMES")
                and reason in ("completed", "training_found", "other")
                and rng.random() < 0.35
            ):
                programme, start = "AVEC", end + rng.randint(0, 60)
                if rng.random() < 0.08:
                    where = self._other_antenna(where)
                continue
            return plans

    def _enrolment_days(self, programme: str, reason: str | None) -> int:
        rng = self._rng
        lo, hi = {"SOCLE": (180, 420), "SOCLE_FEMMES": (180, 420), "AVEC": (90, 240)}.get(
            programme, (30, 120)
        )
        days = rng.randint(lo, hi)
        if reason == "dropout":
            return max(14, int(days * rng.uniform(0.15, 0.6)))
        if reason in ("job_found", "training_found", "relocation"):
            return max(21, int(days * rng.uniform(0.4, 1.0)))
        return days

    def _emit_enrolment(self, pid: str, plan: _Plan, cutoff: int) -> None:
        rng = self._rng
        start = date.fromordinal(plan.start)
        label = f"{plan.programme}-{plan.antenna}-{start.year}-T{(start.month - 1) // 3 + 1}"
        cohort = None if rng.random() < 0.15 else label
        record = (
            plan.eid,
            plan.created_ts,
            pid,
            plan.programme,
            plan.antenna,
            cohort,
            ds(plan.start),
            None,
            None,
        )
        lag = rng.randint(0, 10) if rng.random() < 0.97 else rng.randint(11, 60)
        patches = [
            (
                max(plan.created_ts + 1, self._stamp(plan.end + lag)),
                ((7, ds(plan.end)), (8, plan.reason)),
            )
        ]
        if cohort is None and rng.random() < 0.3:
            patches.append((plan.created_ts + rng.randint(5, 60) * DAY, ((5, label),)))
        self._emit("enrolments", record, sorted(patches), cutoff)

    def _emit_activities(self, pid: str, plan: _Plan, plans: list[_Plan], cutoff: int) -> None:
        rng = self._rng
        rand, randint = rng.random, rng.randint
        span = plan.end - plan.start
        count = int(max(1.0, span / 30.44 * ACTIVITIES_PER_MONTH) * rng.uniform(0.6, 1.4) + 0.5)
        types = dist.ACTIVITY_TYPES["AVEC" if plan.programme == "AVEC" else "default"]
        other = next((p.eid for p in plans if p is not plan), plan.eid)
        emit, new_id, stamp = self._emit, self._new_id, self._stamp
        for _ in range(count):
            day = plan.start + randint(0, span)
            kind = types.pick(rng)
            lo, hi = dist.DURATION_RANGE[kind]
            roll = rand()
            duration = (
                None if roll < 0.01 else 720 if roll < 0.0105 else 15 * randint(lo // 15, hi // 15)
            )
            roll = rand()
            eid = None if roll < 0.015 else other if roll < 0.03 else plan.eid
            employer = (
                self._random_employer(day_ts(day))
                if kind in ("job_dating", "company_visit")
                else None
            )
            ts = stamp(day) + (0 if rand() < 0.85 else randint(1, 3) * DAY)
            attended = rand() < 0.88
            record = (new_id("A"), ts, pid, eid, employer, kind, ds(day), duration, attended, None)
            patches: list[tuple[int, Patch]] = []
            if rand() < 0.03:
                fix = ((8, True),) if not attended else ((7, (duration or 45) + 15),)
                patches.append((ts + randint(1, 10) * DAY, fix))
            emit("activities", record, patches, cutoff)

    def _emit_followups(self, pid: str, plan: _Plan, cutoff: int) -> None:
        """Follow-up calls about 6 (sometimes 3) months after exit, reached or not."""
        rng = self._rng
        if rng.random() < 0.7:
            self._followup(pid, plan, add_months(plan.end, 6) + rng.randint(-30, 30), cutoff)
        if rng.random() < 0.25:
            self._followup(pid, plan, add_months(plan.end, 3) + rng.randint(-15, 15), cutoff)

    def _followup(self, pid: str, plan: _Plan, day: int, cutoff: int) -> None:
        rng = self._rng
        reached = rng.random() < 0.65
        record = (
            self._new_id("A"),
            self._stamp(day),
            pid,
            plan.eid,
            None,
            "followup_contact",
            ds(day),
            15 * rng.randint(1, 2),
            reached or rng.random() < 0.2,
            reached,
        )
        self._emit("activities", record, [], cutoff)

    def _emit_situations(self, pid: str, plan: _Plan, person_ts: int, cutoff: int) -> None:
        """Outcomes: during the enrolment's second half or within 60 days of exit for ~55% of
        enrolments, sometimes a later one (what the 6-month indicators see), rarely one that
        started before entry."""
        rng = self._rng
        if rng.random() < dist.OUTCOME_RATE[plan.reason]:
            kinds = dist.KIND_BY_EXIT.get(plan.reason, dist.KIND_BY_EXIT[None])
            half = (plan.end - plan.start) // 2
            start = (
                plan.start + half + rng.randint(0, half)
                if rng.random() < 0.4
                else plan.end + rng.randint(0, 60)
            )
            self._situation(pid, plan.eid, kinds.pick(rng), start, person_ts, cutoff)
        if rng.random() < 0.2:
            self._situation(
                pid,
                plan.eid,
                dist.KIND_BY_EXIT[None].pick(rng),
                plan.end + rng.randint(61, 200),
                person_ts,
                cutoff,
            )
        if rng.random() < 0.05:
            self._situation(
                pid,
                None,
                dist.KIND_BY_EXIT[None].pick(rng),
                plan.start - rng.randint(10, 120),
                person_ts,
                cutoff,
            )

    def _situation(
        self, pid: str, eid: str | None, kind: str, start: int, person_ts: int, cutoff: int
    ) -> None:
        rng = self._rng
        contract = training = end = hours = rome = employer = None
        created = max(person_ts + 120, self._stamp(start + rng.randint(0, 20)))
        if kind == "employment":
            contract = dist.CONTRACTS.pick(rng)
            end = self._contract_end(contract, start)
            hours = dist.HOURS.pick(rng)
            rome = rng.choice(dist.ROME_CODES)
            employer = self._random_employer(created) if rng.random() < 0.65 else None
        elif kind == "training":
            training = dist.TRAINING_TYPES.pick(rng)
            end = start + rng.randint(30, 365)
            hours = rng.choice((20, 25, 30, 35))
            rome = rng.choice(dist.ROME_CODES) if rng.random() < 0.5 else None
        else:
            rome = rng.choice(dist.ROME_CODES) if rng.random() < 0.7 else None
        record = (
            self._new_id("S"),
            created,
            pid,
            eid if rng.random() > 0.1 else None,
            kind,
            contract,
            training,
            ds(start),
            None if end is None else ds(end),
            hours,
            rome,
            employer,
        )
        patches: list[tuple[int, Patch]] = []
        if rng.random() < 0.12:
            if end is not None and end - start > 30:
                stop = start + rng.randint(14, end - start - 1)
            else:
                stop = start + rng.randint(60, 700)
            patches.append(
                (max(created + 1, self._stamp(stop + rng.randint(0, 10))), ((8, ds(stop)),))
            )
        self._emit("situations", record, patches, cutoff)

    def _contract_end(self, contract: str, start: int) -> int | None:
        """Contract lengths around the 6-month durable threshold, including exactly 6 months
        (``M6(start) - 1``, durable) and one day short of it (not durable)."""
        rng = self._rng
        if contract == "CDI":
            return None
        if contract == "CDD":
            months = dist.CDD_MONTHS.pick(rng)
            if months == 6 and rng.random() < 0.15:
                return add_months(start, 6) - 2
            return add_months(start, months) - 1
        if contract == "INTERIM":
            if rng.random() < 0.12:
                return add_months(start, 6) - 1 + rng.randint(0, 60)
            return start + rng.randint(5, 120)
        if contract in ("ALTERNANCE", "IAE"):
            months = (12, 18, 24) if contract == "ALTERNANCE" else (4, 6, 12, 24)
            return add_months(start, rng.choice(months)) - 1
        return None if rng.random() < 0.4 else start + rng.randint(30, 365)

    def _random_edit(self, res: str, entry: tuple) -> Patch:
        """An unplanned edit of a served record, as staff would make."""
        rng = self._rng
        if res == "participants":
            idx = IDX[res]
            level = entry[idx["french_level"]]
            if level in dist.CEFR[:-1] and rng.random() < 0.4:
                return ((idx["french_level"], dist.CEFR[dist.CEFR.index(level) + 1]),)
            if rng.random() < 0.5:
                return ((idx["phone"], self._phone(always=True)),)
            return ((idx["notes"], rng.choice(dist.NOTES)),)
        if res == "enrolments":
            cohort = entry[5] or f"{entry[3]}-{entry[4]}-{entry[6][:4]}"
            return ((5, cohort[:-2] if cohort.endswith("-B") else f"{cohort}-B"),)
        if res == "activities":
            if not entry[8]:
                return ((8, True),)
            return ((7, min(600, (entry[7] or 45) + 15)),)
        if res == "situations":
            return ((9, dist.HOURS.pick(rng)),)
        return ((4, dist.SIZE_BANDS.pick(rng)),)

    # ------------------------------------------------------------------ bad records

    def _is_bad(self, res: str, rid: str) -> bool:
        value = self._store[res].get(rid)
        return value is not None and (type(value) is list or type(value) is Raw)

    def _pick_plain(self, res: str, accept: Callable[[tuple], bool]) -> tuple:
        served = self._served[res]
        for _ in range(5000 if served else 0):
            entry = served[self._bad_rng.randrange(len(served))]
            if type(entry) is tuple and accept(entry):
                return entry
        raise BadRecordError(f"no served {res} record can take this bad record")

    def _claim(self, res: str, kind: str) -> tuple[str, tuple, int]:
        """A good served record to spoil, and a fresh timestamp newer than its version."""
        accept = _ACCEPT.get((kind, res), _any)
        for _ in range(100):
            entry = self._pick_plain(res, accept)
            ts = self._fresh_ts(entry[1] + 1)
            if self._store[res].get(entry[0]) is entry:
                return entry[0], entry, ts
        raise BadRecordError(f"could not claim a {res} record")

    def _inject_future_deletion(self, params: dict[str, Any]) -> str:
        """Erase a participant now, its deletions listed in the feed with a future date."""
        pid = self._pick_plain("participants", _any)[0]
        target = self._now + 1
        self._push(target, _ERASE, "participants", pid)
        batch = self._advance_to(target, grow=False)
        at = to_ts(datetime.fromisoformat(str(params.get("at", FUTURE_UPDATED_AT))))
        listed = set(batch.feed)
        self._deletions = sorted(
            ((rid, at, res) if (rid, ts, res) in listed else (rid, ts, res)
             for rid, ts, res in self._deletions), key=KEY)
        return pid

    def _inject_orphan(self, res: str, params: dict[str, Any]) -> str:
        if res not in _ORPHAN_PREFIX:
            raise BadRecordError(f"orphan is not available for {res}")
        template = self._pick_plain(res, lambda entry: entry[2] is not None)
        ts = self._fresh_ts(self._now)
        rid = f"{_ORPHAN_PREFIX[res]}X{next(self._orphans):05d}"
        record = render(res, template)
        record.update(id=rid, updated_at=iso(ts))
        record["participant_id"] = params.get("participant_id") or f"PX{next(self._orphans):05d}"
        if "enrolment_id" in record:
            record["enrolment_id"] = None
        self._store[res][rid] = Raw((rid, ts, record, None))
        self._bad[res, rid] = "orphan"
        self._reindex({res: {rid}})
        return rid


def _any(entry: tuple) -> bool:
    return True


#: which records a kind may spoil, when not any record will do
_ACCEPT: dict[tuple[str, str], Callable[[tuple], bool]] = {
    ("future_date", "activities"): lambda entry: entry[2] is not None,
    ("impossible_date", "participants"): lambda entry: entry[7] is not None,
}


def _append_sorted(kept: list[tuple], fresh: list[tuple]) -> list[tuple]:
    """``kept`` (sorted) followed by ``fresh``; a full sort only if ``fresh`` is not all newer."""
    if not fresh:
        return kept
    fresh.sort(key=KEY)
    if kept and KEY(fresh[0]) < KEY(kept[-1]):
        kept.extend(fresh)
        kept.sort(key=KEY)
        return kept
    kept.extend(fresh)
    return kept
