"""The built-in dashboard (*tableau de bord*): one self-contained French HTML file, regenerated
from the published state after each successful publication
(docs/outputs.md#7-publication-for-readers).

For an organisation without a BI server: the file opens with a double-click from the shared
folder — no server, no internet, no CDN. Everything is inlined: the CSS, the page's script
(`dashboard.js`), the data, and the charting library (Chart.js, its UMD build read from
`reports/dashboard/node_modules`, installed by `make setup` from `package-lock.json`).

It reads only the published state (the read-only DuckDB file `SEA_PUBLISHED`, or the PostgreSQL
schema `published`): readers never see numbers that failed the data-quality gate, and the page
shows the date of the data (`as_of`) and of the publication.

What is embedded, and why
-------------------------
* `indicator_values` is the only large table (≈ 160 000 rows at 160 participants, up to ≈ 1.3
  million at 100 000 when every breakdown is filled). Embedded: every `total` row (every period
  type: month, quarter, year, cumulative — the dense rows a trend needs) and the breakdowns of
  quarters, years and the cumulative period. Not embedded: the *monthly* breakdowns (≈ 70 % of
  the dense table: 91 months x every category), which nobody reads month by month and which
  would make the file several times heavier; the page says so when a month is chosen.
* Encoding (`_encode_values`): columns, not rows — every dimension dictionary-coded (programme x
  antenna scope, indicator, (dimension, category), period: small integers in Uint8/Uint16
  arrays), one Float64 measure (the value; for a rate its numerator) and one Float64 denominator
  (rates only, 0 otherwise: the page divides, which gives the mart's value exactly — checked
  here). Rows are sorted so the coded columns are long runs; the Float64 columns are
  byte-shuffled (byte 0 of every value, then byte 1…) so that small integers compress to almost
  nothing; the whole is gzip-compressed and base64-encoded, and decoded by the browser's
  `DecompressionStream`. Counts of the other marts (scorecard, calendar, lessons…) are small:
  plain JSON.
* Its size and load time at the benchmark's scale are printed by `make bench` (figures and the
  worst case measured for 100 000 participants: docs/performance.md#the-dashboard).
* Target status: computed here with `reports.targets` (the project's one rule, the one the
  deliverables use) for every quarter `total` row with a target, and embedded with its legend —
  the page never re-implements the thresholds.
* Never embedded: record ids, pseudonyms (`participant_journeys`, `dq_issues.record_id` are
  only counted), names or contacts (they never leave `raw`). The free text shown is the
  learning log's title and lessons and the recommendations' text — written about programmes —
  and each is screened (`_screen_text`): a text carrying an e-mail, a phone number, a
  participant pseudonym or a record id of the published state is withheld.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import math
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from common.warehouse import PostgresWarehouse, is_postgres_url
from reports import targets

HERE = Path(__file__).resolve().parent
CHART_JS = HERE / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
ALL = "ALL"
# Breakdowns embedded for these period types only (module docstring).
BREAKDOWN_PERIOD_TYPES = ("quarter", "year", "cumulative")
PERIOD_TYPES = ("quarter", "month", "year", "cumulative")
PERIOD_TYPE_FR = {"quarter": "Trimestre", "month": "Mois", "year": "Année",
                  "cumulative": "Cumul depuis le début"}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")
LESSONS_SHOWN = 6
# The outcome rates the "sorties" chart draws (at exit, then at 6 months), catalogue codes.
OUTCOME_INDICATORS = ("SD_SORTIE", "ED_SORTIE", "EMP_SORTIE", "SP_SORTIE", "SD_6M")
FIX_FIRST_SHOWN = 5

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?:\+33|\b0)\s*[1-9](?:[\s.-]*\d{2}){4}\b")


class DashboardError(RuntimeError):
    """The dashboard cannot be built (French message, one line)."""


# -- reading the published state ------------------------------------------------------------------
class _Published:
    """The published tables, read through one connection: the PostgreSQL schema `published`,
    or the DuckDB file attached read-only to a fresh in-memory database — never a cached
    instance of a file this process opened before the last swap (as
    `common.publication.read_publication` reads it)."""

    def __init__(self, warehouse: str, published: str) -> None:
        self._pg: PostgresWarehouse | None = None
        self._duck: Any = None
        if is_postgres_url(warehouse):
            self._pg = PostgresWarehouse(warehouse)
            # The indicator rows are coded by joining small dictionaries (`_indicator_values`).
            # A freshly published table has no statistics yet: PostgreSQL would estimate one
            # row and loop over every dictionary for each of ≈ 400 000 rows (tens of seconds).
            self._pg.execute("set enable_nestloop = off")
            self.prefix, self.schema = "published.", "published"
            return
        if not published or not Path(published).is_file():
            raise DashboardError(f"tableau de bord : aucune publication à lire "
                                 f"({published or '?'}) ; il est produit après une "
                                 "actualisation publiée")
        import duckdb

        self._duck = duckdb.connect(":memory:")
        path = str(Path(published).resolve()).replace("'", "''")
        self._duck.execute(f"attach '{path}' as sea_published (read_only)")
        self._duck.execute("use sea_published")
        self.prefix, self.schema = "", "main"

    def df(self, sql: str) -> pd.DataFrame:
        """`sql` with `{t}` naming the published schema (`{t}indicator_values`)."""
        sql = sql.replace("{t}", self.prefix)
        if self._pg is not None:
            return self._pg.fetch_df(sql)
        return self._duck.execute(sql).df()

    def rows(self, sql: str) -> list[tuple]:
        sql = sql.replace("{t}", self.prefix)
        if self._pg is not None:
            return self._pg.fetchall(sql)
        return self._duck.execute(sql).fetchall()

    def has(self, table: str) -> bool:
        catalog = "" if self._pg is not None else " and table_catalog = 'sea_published'"
        return bool(self.rows(
            "select count(*) from information_schema.tables where table_schema = "
            f"'{self.schema}' and table_name = '{table}'{catalog}")[0][0])

    def close(self) -> None:
        (self._pg or self._duck).close()


# -- small helpers --------------------------------------------------------------------------------
def _nan_to_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _iso(value: Any) -> str | None:
    value = _nan_to_none(value)
    if value is None:
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _records(df: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for row in df.to_dict("records"):
        item = {}
        for col in columns:
            value = _nan_to_none(row.get(col))
            if isinstance(value, (date, datetime, pd.Timestamp)):  # date columns
                value = _iso(value)[:10]
            elif isinstance(value, np.generic):
                value = value.item()
            item[col] = value
        out.append(item)
    return out


def _period_label(period_type: str, start: date) -> str:
    if period_type == "month":
        return f"{MONTHS_FR[start.month - 1]} {start.year}"
    if period_type == "quarter":
        return f"T{(start.month - 1) // 3 + 1} {start.year}"
    if period_type == "year":
        return str(start.year)
    return f"Depuis {MONTHS_FR[start.month - 1]} {start.year}"


class _Labels:
    """French labels of codes, from the published `code_lists` (the project's one source) and
    `axes`, with the dimensions' names, order and value lists from the published
    `disaggregations` seed."""

    def __init__(self, code_lists: pd.DataFrame, disaggregations: pd.DataFrame,
                 axes: pd.DataFrame) -> None:
        self.lists: dict[str, dict[str, str]] = {}
        for row in code_lists.itertuples(index=False):
            self.lists.setdefault(str(row.list_name), {})[str(row.code)] = str(row.label_fr)
        self.lists["axes"] = {str(r.axis): str(r.label_fr) for r in axes.itertuples(index=False)}
        self.dimensions: dict[str, str] = {}
        self.dimension_order: dict[str, int] = {}
        self.values_list: dict[str, str] = {}
        for row in disaggregations.itertuples(index=False):
            self.dimensions[str(row.dimension)] = str(row.label_fr)
            order = row.sort_order
            self.dimension_order[str(row.dimension)] = 99 if pd.isna(order) else int(order)
            if isinstance(row.values_list, str) and row.values_list:
                self.values_list[str(row.dimension)] = row.values_list

    def get(self, list_name: str, code: str, default: str | None = None) -> str:
        found = self.lists.get(list_name, {}).get(code)
        if found is not None:
            return found
        if default is not None:
            return default
        text = code.replace("_", " ").strip()
        if text.isupper() or text.islower():
            text = text.lower()
        return text[:1].upper() + text[1:]

    def programme(self, code: str) -> str:
        return self.get("programme", code, code.replace("_", " "))

    def antenna(self, code: str) -> str:
        if code in ("SANS_ANTENNE", ""):
            return "Sans antenne"
        return self.get("antenna", code, code.replace("_", " ").title())

    def dimension(self, dim: str) -> str:
        return self.dimensions.get(dim) or self.get("disaggregations", dim)

    def category(self, dim: str, value: str) -> str:
        """A breakdown category: its label in the dimension's list (`disaggregations.values_list`);
        a band `a-b` / `a+` of a list (education, French level) from its bounds' labels."""
        unknown = self.get("breakdown_sex", "unknown", "Non renseigné")
        if value == "unknown":
            return unknown
        if value in ("true", "false"):
            return "Oui" if value == "true" else "Non"
        base = self.values_list.get(dim, dim)
        listed = self.lists.get(base, {}).get(value)
        if listed:
            return listed
        bounds = re.fullmatch(r"(.+?)-(.+)", value)
        if bounds and base in self.lists:
            low, high = bounds.groups()
            return (f"{self.get(base, low, low)} à {self.get(base, high, high)}")
        if value.endswith("+"):
            return f"{self.get(base, value[:-1], value[:-1])} et plus"
        return value


# -- indicator values -----------------------------------------------------------------------------
def _shuffle(values: np.ndarray) -> bytes:
    """Byte planes of a Float64 column (byte 0 of every value, then byte 1…): gzip then sees the
    long runs of zero bytes that small integers and quarter-hours have."""
    raw = np.ascontiguousarray(values, dtype="<f8").view(np.uint8).reshape(-1, 8)
    return raw.T.tobytes()


def _packed(columns: dict[str, np.ndarray]) -> tuple[bytes, list[dict[str, Any]]]:
    """The columns laid end to end (8-byte aligned), and their layout."""
    layout = []
    parts = []
    offset = 0
    for name, array in columns.items():
        if array.dtype == np.float64:
            data, kind = _shuffle(array), "f64s"
        else:
            data, kind = np.ascontiguousarray(array).tobytes(), str(array.dtype)
        pad = (-len(data)) % 8
        layout.append({"name": name, "type": kind, "offset": offset, "length": int(len(array))})
        parts.append(data + b"\0" * pad)
        offset += len(data) + pad
    return b"".join(parts), layout


def _encode_values(columns: dict[str, np.ndarray]) -> tuple[Future[str], list[dict[str, Any]]]:
    """gzip + base64 of the columns laid end to end, and their layout. The text is compressed
    on another thread (zlib lets go of the interpreter) — the slowest step of the page, done
    while the other views are read; `collect` waits for it."""
    packed, layout = _packed(columns)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sea-dashboard-gzip")
    try:
        return pool.submit(lambda: base64.b64encode(
            gzip.compress(packed, compresslevel=9, mtime=0)).decode("ascii")), layout
    finally:
        pool.shutdown(wait=False)


def _literal(value: Any) -> str:
    """A key of the published state as an SQL literal (strings and dates: its dictionaries)."""
    if value is None:
        return "null"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return f"date '{pd.Timestamp(value).date().isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _dictionary(alias: str, columns: tuple[str, ...], keys: list[tuple]) -> str:
    """`(values (0, key…), (1, key…)…) as alias(code, columns…)`: a dictionary, joined."""
    rows = ", ".join("(" + ", ".join([str(code), *map(_literal, key)]) + ")"
                     for code, key in enumerate(keys))
    return f"(values {rows}) as {alias}(code, {', '.join(columns)})"


def _period_order(p: tuple) -> tuple:
    return (PERIOD_TYPES.index(p[0]) if p[0] in PERIOD_TYPES else 9, p[1])


def _indicator_values(pub: _Published, labels: _Labels, catalogue: pd.DataFrame,
                      as_of: date) -> dict[str, Any]:
    periods_in = ", ".join(f"'{p}'" for p in BREAKDOWN_PERIOD_TYPES)
    embedded = f"(v.dimension = 'total' or v.period_type in ({periods_in}))"

    def distinct(columns: str) -> list[tuple]:
        return [tuple(row) for row in pub.rows(
            f"select distinct {columns} from {{t}}indicator_values as v where {embedded}")]

    # Dictionaries: indicators in catalogue order, scopes, (dimension, category), periods —
    # built here from the distinct keys (labels decide their order), then joined in SQL: the
    # database codes and sorts the embedded rows (≈ 400 000 at 100 000 participants) and only
    # numbers come back.
    ind_dims = distinct("v.indicator_code, v.dimension")
    if not ind_dims:
        raise DashboardError("tableau de bord : la publication ne contient aucun indicateur")
    codes = list(catalogue["indicator_code"])
    codes += sorted({c for c, _d in ind_dims} - set(codes))
    scopes = sorted(distinct("v.programme, v.antenna"))
    dv_keys = distinct("v.dimension, v.dimension_value")
    dims = sorted({d for d, _v in dv_keys},
                  key=lambda d: (d != "total", labels.dimension_order.get(d, 99), d))
    dim_values: list[tuple[str, str]] = []
    for dim in dims:
        values = sorted(v for d, v in dv_keys if d == dim)
        order = list(labels.lists.get(labels.values_list.get(dim, dim), {}))
        values.sort(key=lambda v: (v == "unknown", order.index(v) if v in order else 99,
                                   labels.category(dim, v)))
        dim_values += [(dim, v) for v in values]
    period_found = sorted((t, pd.Timestamp(a), pd.Timestamp(b)) for t, a, b in
                          distinct("v.period_type, v.period_start, v.period_end"))
    period_keys = [(t, a.date(), b.date()) for t, a, b in sorted(period_found, key=_period_order)]
    if len(scopes) > 255 or len(codes) > 255:
        raise DashboardError("tableau de bord : trop de périmètres ou d'indicateurs")

    coded = (
        "from {t}indicator_values as v "
        f"join {_dictionary('s', ('programme', 'antenna'), scopes)} "
        "on s.programme = v.programme and s.antenna = v.antenna "
        f"join {_dictionary('i', ('indicator_code',), [(c,) for c in codes])} "
        "on i.indicator_code = v.indicator_code "
        f"join {_dictionary('d', ('dimension', 'dimension_value'), dim_values)} "
        "on d.dimension = v.dimension and d.dimension_value = v.dimension_value "
        f"join {_dictionary('p', ('period_type', 'period_start', 'period_end'), period_keys)} "
        "on p.period_type = v.period_type and p.period_start = v.period_start "
        "and p.period_end = v.period_end ")
    keys = "s.code as scope, i.code as ind, d.code as dv, p.code as period"
    order = " order by scope, ind, dv, period"
    df = pub.df(f"select {keys}, v.value, v.numerator, v.denominator, "
                "case when v.indicator_type = 'rate' then 1 else 0 end as is_rate "
                f"{coded}where {embedded}{order}")
    expected = pub.rows(f"select count(*) from {{t}}indicator_values as v where {embedded}")
    if len(df) != expected[0][0]:  # a key the dictionaries miss (a null) would drop its row
        raise DashboardError("tableau de bord : des lignes d'indicateurs sans clé complète")

    is_rate = df["is_rate"].to_numpy() == 1
    value = df["value"].to_numpy(dtype="float64", na_value=np.nan)
    num = df["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    den = df["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    # A rate travels as numerator and denominator (integers: they compress); the page divides.
    exact = is_rate & ~np.isnan(value) & (den > 0) & (num / np.where(den > 0, den, 1) == value)
    measure = np.where(exact, num, value)
    denominator = np.where(exact, den, 0.0)
    columns = {
        "scope": df["scope"].to_numpy(dtype=np.uint8),
        "ind": df["ind"].to_numpy(dtype=np.uint8),
        "dv": df["dv"].to_numpy(dtype=np.uint16),
        "period": df["period"].to_numpy(dtype=np.uint16),
        "measure": measure.astype(np.float64),
        "den": denominator.astype(np.float64),
    }
    # The rows with a target: their position among the embedded rows (sorted on the codes)
    rank = _row_keys(columns)
    with_targets = pub.df(
        f"select {keys}, v.indicator_code, v.indicator_type, v.period_type, v.period_start, "
        "v.programme, v.antenna, v.value, v.target, v.achievement, v.achievement_value, "
        f"v.target_basis {coded}where v.dimension = 'total' "
        f"and v.period_type in ('quarter', 'year'){order}")
    with_targets.index = np.searchsorted(rank, _row_keys(
        {name: with_targets[name].to_numpy(dtype=np.int64)
         for name in ("scope", "ind", "dv", "period")}))
    with_targets["period_start"] = pd.to_datetime(with_targets["period_start"])
    by_indicator: dict[str, set[str]] = {}
    for code, dimension in ind_dims:
        if code is not None:
            by_indicator.setdefault(code, set()).add(dimension)
    blob, layout = _encode_values(columns)
    return {
        "blob": blob,
        "layout": layout,
        "rows": int(len(df)),
        "indicators": codes,
        "scopes": [list(s) for s in scopes],
        "dimValues": [list(dv) for dv in dim_values],
        "dimValueLabels": [labels.category(d, v) if d != "total" else
                           labels.get("breakdown_total", "total", "Ensemble")
                           for d, v in dim_values],
        "dimensions": [{"code": d, "label": labels.dimension(d)} for d in dims],
        # the breakdowns each indicator has rows for: the breakdown table lists those only
        "indicatorDimensions": {code: sorted(by_indicator[code] - {"total"})
                                for code in sorted(by_indicator)},
        "periods": [{"type": t, "start": s.isoformat(), "end": e.isoformat(),
                     "label": _period_label(t, s)} for t, s, e in period_keys],
        "targets": _targets(with_targets, catalogue),
    }


def _row_keys(columns: dict[str, np.ndarray]) -> np.ndarray:
    """One int64 per row, ordered as (scope, indicator, category, period)."""
    return ((columns["scope"].astype(np.int64) << 40) | (columns["ind"].astype(np.int64) << 32)
            | (columns["dv"].astype(np.int64) << 16) | columns["period"].astype(np.int64))


def _targets(rows: pd.DataFrame, catalogue: pd.DataFrame) -> list[list[Any]]:
    """`[row, target, achievement, compared value, basis, status]` of every quarter or year
    `total` row that has a target (status on quarter rows only, by `reports.targets`): a
    quarterly target or an annual count on the year to date as the mart states it; an annual
    rate or median target (on the year row) applied to each quarter's value. `rows`: the
    quarter and year `total` rows, in the embedded order, indexed by their embedded row."""
    kinds = dict(zip(catalogue["indicator_code"], catalogue["indicator_type"], strict=True))
    lower = {c for c, d in zip(catalogue["indicator_code"], catalogue["direction"], strict=True)
             if d == "lower"}
    year_targets = {
        (r.indicator_code, r.period_start.year, r.programme, r.antenna): float(r.target)
        for r in rows[(rows["period_type"] == "year") & rows["target"].notna()].itertuples()}
    out: list[list[Any]] = []
    statuses = [targets.MET, targets.ON_TRACK_STATUS, targets.LATE, targets.NOT_COMPUTABLE]
    for r in rows.itertuples():
        value = _nan_to_none(r.value)
        target = _nan_to_none(r.target)
        ratio = _nan_to_none(r.achievement)
        compared = _nan_to_none(r.achievement_value)
        basis = _nan_to_none(r.target_basis)
        kind = kinds.get(r.indicator_code, r.indicator_type)
        if r.period_type == "year":
            if target is None:
                continue
            out.append([int(r.Index), target, ratio, compared, basis or "year", None])
            continue
        if target is None:
            if kind not in ("rate", "median"):
                continue
            target = year_targets.get((r.indicator_code, r.period_start.year, r.programme,
                                       r.antenna))
            if target is None:
                continue
            basis = "year"
            compared = value
            ratio = targets.achievement(value, target, kind, r.indicator_code in lower)
        elif basis not in targets.BASES:
            basis = "quarter"
        quarter_number = (r.period_start.month - 1) // 3 + 1
        found = targets.status(ratio, basis, quarter_number)
        out.append([int(r.Index), target, ratio, compared if compared is not None else value,
                    basis, statuses.index(found)])
    return out


# -- the other views ------------------------------------------------------------------------------
def _screen_text(text: Any, forbidden: set[str]) -> str | None:
    """A free text as shown, or None when it carries what must never be shown: an e-mail, a
    phone number, a pseudonym or record id of the published state."""
    text = _nan_to_none(text)
    if text is None:
        return None
    text = str(text).strip()
    if _EMAIL.search(text) or _PHONE.search(text):
        return None
    tokens = set(re.findall(r"[A-Za-z0-9_-]{6,}", text))
    if tokens & forbidden:
        return None
    return text


def _tokens(text: Any) -> set[str]:
    """The words of a free text that could be a pseudonym or a record id (`_screen_text`)."""
    text = _nan_to_none(text)
    return set(re.findall(r"[A-Za-z0-9_-]{6,}", str(text))) if text is not None else set()


# (table, column) of the published state holding pseudonyms and record ids
_IDENTIFIER_COLUMNS = (("participant_journeys", "participant_key"),
                       ("participant_journeys", "enrolment_id"),
                       ("dq_issues", "record_id"), ("dq_issues", "related_enrolment_id"))


def _identifiers(pub: _Published, tokens: Iterable[str] | None = None) -> set[str]:
    """Pseudonyms and record ids present in the published state (never shown; used to screen
    the free texts); with `tokens`, only those of them that are one — what screening a text
    needs, since a text is withheld when one of its tokens is an identifier. Asked in SQL:
    the published state holds every identifier of 100 000 participants, the texts a few
    dozen tokens."""
    wanted = None if tokens is None else sorted(set(tokens))
    if wanted is not None and not wanted:
        return set()
    listed = "" if wanted is None else ", ".join(_literal(t) for t in wanted)
    found: set[str] = set()
    for table in dict.fromkeys(t for t, _c in _IDENTIFIER_COLUMNS):
        if not pub.has(table):
            continue
        for column in (c for t, c in _IDENTIFIER_COLUMNS if t == table):
            # text columns (the filter then reads the column's dictionary, not every value)
            where = f" where {column} in ({listed})" if wanted is not None else ""
            found.update(str(x) for (x,) in pub.rows(
                f"select distinct {column} from {{t}}{table}{where}") if x)
    return found


def _quality(pub: _Published, labels: _Labels) -> dict[str, Any]:
    """The scorecard per antenna (its latest month with checks, and 12 months of scores) and,
    per antenna, the rules to fix first: blocking checks first, then by records to fix."""
    card = pub.df("select * from {t}data_quality_scorecard order by antenna, month_start")
    card["month_start"] = pd.to_datetime(card["month_start"]).dt.date
    antennas = sorted(set(card["antenna"]), key=lambda a: (a == "SANS_ANTENNE", a))
    latest = []
    months = sorted(set(card["month_start"]))[-12:]
    series = {}
    for antenna in antennas:
        rows = card[(card["antenna"] == antenna)]
        scored = rows[rows["quality_score"].notna()]
        last = scored.iloc[-1] if len(scored) else rows.iloc[-1]
        quarantined = rows[rows["month_start"] == rows["month_start"].max()]
        latest.append({
            "antenna": antenna, "label": labels.antenna(antenna),
            "month": _period_label("month", last["month_start"]),
            **{k: _nan_to_none(float(last[k])) for k in (
                "quality_score", "completeness_rate", "validity_rate", "consistency_rate",
                "timeliness_rate", "delay_days_median")},
            "quarantined": int(quarantined[["crm_quarantined_records",
                                            "sheet_quarantined_rows"]].sum().sum()),
            "stale_files": int(quarantined["stale_files"].sum()
                               + quarantined["rejected_files"].sum()),
        })
        by_month = dict(zip(rows["month_start"], rows["quality_score"], strict=True))
        series[antenna] = [_nan_to_none(by_month.get(m)) for m in months]
    issues = pub.df("select antenna, rule, rule_label_fr, dimension, gate_check, count(*) as n, "
                    "max(month_start) as last_month from {t}dq_issues "
                    "group by antenna, rule, rule_label_fr, dimension, gate_check")
    severity = _check_severities()
    fix: dict[str, list[dict[str, Any]]] = {}
    rank = {"error": 0, "warn": 1}
    for antenna, rows in issues.groupby("antenna"):
        items = []
        for r in rows.itertuples():
            sev = severity.get(str(r.gate_check)) if _nan_to_none(r.gate_check) else None
            items.append({
                "rule": r.rule_label_fr or labels.get("dq_rule", r.rule),
                "dimension": labels.get("dq_dimension", str(r.dimension)),
                "severity": labels.get("check_severity", sev) if sev else "suivi",
                "rank": rank.get(sev or "", 2), "count": int(r.n),
            })
        items.sort(key=lambda i: (i["rank"], -i["count"], i["rule"]))
        fix[str(antenna)] = items[:FIX_FIRST_SHOWN]
    return {"latest": latest, "months": [_period_label("month", m) for m in months],
            "series": {a: series[a] for a in antennas}, "fixFirst": fix,
            "antennaLabels": {a: labels.antenna(a) for a in antennas}}


def _check_severities() -> dict[str, str]:
    """Each gate check's severity, by its key (`staging.stg_x.rule`), from the suites."""
    try:
        from expectations.suites import all_checks, default_suites

        return {key: check.severity for key, check in all_checks(default_suites()).items()}
    except Exception:  # the suites are code: a broken one is the gate's failure, not ours
        return {}


def _survival(pub: _Published, labels: _Labels) -> list[dict[str, Any]]:
    df = pub.df("select programme, day, employment_probability, at_risk from "
                "{t}time_to_employment order by programme, step_no")
    out = []
    for programme, rows in df.groupby("programme", sort=False):
        out.append({"programme": programme, "label": labels.programme(str(programme)),
                    "points": [[int(d), float(p)] for d, p in
                               zip(rows["day"], rows["employment_probability"], strict=True)
                               if _nan_to_none(p) is not None]})
    out.sort(key=lambda s: (s["programme"] != ALL, s["label"]))
    return out


def _learning(pub: _Published, labels: _Labels, as_of: date) -> dict[str, Any]:
    plan = pub.df("select evaluation_id, programme, antenna, evaluation_type_label_fr, "
                  "evaluation_mode_label_fr, planned_start, planned_end, status, "
                  "status_label_fr, is_due_within_90_days, is_late from {t}evaluation_plan "
                  "order by planned_start, evaluation_id")
    evaluations = _records(plan, plan.columns)
    for item in evaluations:
        item["programme_label"] = labels.programme(str(item["programme"] or ALL))
        item["antenna_label"] = labels.antenna(str(item["antenna"] or ALL))
    recs = pub.df("select recommendation_id, programme, antenna, recommendation, owner_role, "
                  "priority_label_fr, due_date, status_label_fr, is_open, is_overdue, "
                  "days_overdue from {t}recommendations where is_open "
                  "order by is_overdue desc, days_overdue desc nulls last, due_date")
    log = pub.df("select lesson_id, lesson_date, lesson_type_label_fr, programme, antenna, "
                 "title, lessons from {t}learning_log "
                 f"where lesson_date <= date '{as_of.isoformat()}' "
                 "order by lesson_date desc, lesson_id")
    forbidden = _identifiers(pub, set().union(*(
        _tokens(text) for frame, columns in ((recs, ("recommendation",)),
                                             (log, ("title", "lessons")))
        for column in columns for text in frame[column])))
    recommendations = []
    for item in _records(recs, recs.columns):
        text = _screen_text(item.pop("recommendation"), forbidden)
        item["text"] = text if text is not None else "(texte non affiché)"
        item["owner_label"] = labels.get("role", str(item.pop("owner_role") or ""), "")
        item["programme_label"] = labels.programme(str(item["programme"] or ALL))
        item["antenna_label"] = labels.antenna(str(item["antenna"] or ALL))
        recommendations.append(item)
    lessons = []
    for item in _records(log, log.columns):
        title = _screen_text(item.pop("title"), forbidden)
        text = _screen_text(item.pop("lessons"), forbidden)
        if title is None:
            continue
        item.update(title=title, text=text or "", programme_label=labels.programme(
            str(item["programme"] or ALL)), antenna_label=labels.antenna(
            str(item["antenna"] or ALL)))
        lessons.append(item)
    return {"evaluations": evaluations, "recommendations": recommendations,
            "lessons": lessons[:LESSONS_SHOWN], "lessonCount": len(lessons)}


def _programmes(pub: _Published, labels: _Labels, scopes: list[list[str]]
                ) -> list[dict[str, Any]]:
    """The programmes of the data as a tree (programme_reference's parents), depth-first, each
    with its depth: `Tous programmes` first, then each top programme and its children."""
    ref = pub.df("select programme, parent_programme, label_fr from {t}programme_reference")
    parent = {str(r.programme): _nan_to_none(r.parent_programme) for r in ref.itertuples()}
    long_label = {str(r.programme): str(r.label_fr) for r in ref.itertuples()}
    present = {p for p, _a in scopes if p != ALL}
    children: dict[str | None, list[str]] = {}
    for code in sorted(present, key=labels.programme):
        up = parent.get(code)
        children.setdefault(up if up in present else None, []).append(code)
    out = [{"code": ALL, "label": labels.programme(ALL), "depth": 0, "title": ""}]

    def walk(code: str, depth: int) -> None:
        out.append({"code": code, "label": labels.programme(code), "depth": depth,
                    "title": long_label.get(code, "")})
        for child in children.get(code, []):
            walk(child, depth + 1)

    for top in children.get(None, []):
        walk(top, 1)
    return out


# -- the page -------------------------------------------------------------------------------------
def _catalogue(pub: _Published, labels: _Labels) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    cat = pub.df("select * from {t}indicator_catalogue order by display_order, indicator_code")
    items = []
    for r in cat.itertuples():
        items.append({
            "code": r.indicator_code, "label": r.label_fr, "type": r.indicator_type,
            "unit": labels.get("unit", str(r.unit), str(r.unit)), "unitCode": r.unit,
            "direction": r.direction, "level": r.level, "pic": bool(r.pic),
            "disaggregated": bool(r.disaggregated),
            "description": _nan_to_none(getattr(r, "description_fr", None)),
        })
    return cat, items


def _json_script(element_id: str, payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _inline_js(source: str) -> str:
    source = re.sub(r"//# sourceMappingURL=\S+\s*$", "", source.rstrip())
    return source.replace("</script", "<\\/script")


def chart_js_source() -> str:
    """The charting library's UMD build, installed by `make setup` (`npm ci`)."""
    if not CHART_JS.is_file():
        raise DashboardError(f"tableau de bord : Chart.js absent ({CHART_JS}) : lancer make setup")
    return CHART_JS.read_text(encoding="utf-8")


def collect(warehouse: str, published: str) -> dict[str, Any]:
    """Everything the page shows, from the published state (JSON-ready)."""
    pub = _Published(warehouse, published)
    try:
        stamp = pub.df("select as_of, published_at, run_id from {t}publication")
        if stamp.empty:
            raise DashboardError("tableau de bord : la publication n'a pas de date")
        as_of = pd.to_datetime(stamp["as_of"].iloc[0]).date()
        published_at = pd.to_datetime(stamp["published_at"].iloc[0]).to_pydatetime()
        labels = _Labels(pub.df("select list_name, code, label_fr from {t}code_lists"),
                         pub.df("select dimension, label_fr, sort_order, values_list "
                                "from {t}disaggregations"),
                         pub.df("select axis, label_fr from {t}axes"))
        catalogue, indicators = _catalogue(pub, labels)
        values = _indicator_values(pub, labels, catalogue, as_of)
        antennas = sorted({a for _p, a in values["scopes"] if a != ALL}, key=labels.antenna)
        data = {
            "asOf": as_of.isoformat(),
            "publishedAt": published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "indicators": indicators,
            "programmes": _programmes(pub, labels, values["scopes"]),
            "antennas": [{"code": ALL, "label": labels.antenna(ALL)}] + [
                {"code": a, "label": labels.antenna(a)} for a in antennas],
            "periodTypes": [{"code": t, "label": PERIOD_TYPE_FR[t]} for t in PERIOD_TYPES],
            "values": values,
            "outcomeIndicators": [c for c in OUTCOME_INDICATORS if c in values["indicators"]],
            "status": {
                "onTrack": targets.ON_TRACK,
                "labels": [s.label for s in (targets.MET, targets.ON_TRACK_STATUS,
                                             targets.LATE, targets.NOT_COMPUTABLE)],
                "css": [s.css for s in (targets.MET, targets.ON_TRACK_STATUS, targets.LATE,
                                        targets.NOT_COMPUTABLE)],
                "basis": targets.BASIS_FR,
                "legend": targets.legend_lines(),
            },
            "quality": _quality(pub, labels),
            "survival": _survival(pub, labels),
            "learning": _learning(pub, labels, as_of),
        }
    finally:
        pub.close()
    values["blob"] = values["blob"].result()  # compressed meanwhile (`_encode_values`)
    return data


def render(data: dict[str, Any]) -> str:
    """The self-contained page."""
    values = dict(data["values"])
    blob = values.pop("blob")
    meta = {**data, "values": values}
    template = (HERE / "template.html").read_text(encoding="utf-8")
    css = (HERE / "dashboard.css").read_text(encoding="utf-8")
    script = (HERE / "dashboard.js").read_text(encoding="utf-8")
    return (template
            .replace("{{ as_of }}", html.escape(data["asOf"]))
            .replace("/*{{ css }}*/", css)
            .replace("{{ data }}", _json_script("sea-data", meta)
                     + f'\n<script type="text/plain" id="sea-values">{blob}</script>')
            .replace("{{ chartjs }}", "<script>" + _inline_js(chart_js_source()) + "</script>")
            .replace("{{ script }}", "<script>" + _inline_js(script) + "</script>"))


def build_dashboard(warehouse: str, published: str, out_path: Path) -> Path:
    """Write the dashboard of the published state to `out_path` (atomically: a reader opening
    the previous file never sees half a page) and return it.

    `warehouse`: the warehouse setting (a DuckDB path, or a postgresql:// URL whose schema
    `published` is read); `published`: the published DuckDB file (`Settings.published`; unused
    on PostgreSQL). Raises `DashboardError` (one French line) when Chart.js is not installed or
    nothing was published.
    """
    chart_js_source()  # fail before reading anything
    page = render(collect(warehouse, published))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out_path)
    return out_path
