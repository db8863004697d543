"""Waivers (*dérogations*): a data lead accepts one failing `error` check for one quarter.

They live in `expectations/waivers.yml`, versioned and reviewed like code, so every accepted
defect has a reason, an author and a quarter on record; the reporting run prints each one it
used. A malformed entry fails loudly: a waiver silently ignored would block a report for no
visible reason, and one silently widened would let a wrong number through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.quarters import Quarter
from expectations.suites import Check, SuiteError

WAIVERS_FILE = Path(__file__).resolve().parent / "waivers.yml"
_KEYS = {"check", "quarter", "reason", "who", "date"}


@dataclass(frozen=True)
class Waiver:
    check: str  # check key, `<schema>.<table>.<check>`
    quarter: str  # `YYYY-Qn`
    reason: str
    who: str
    date: str | None = None  # when it was granted, informative

    def as_dict(self) -> dict[str, str]:
        out = {"check": self.check, "quarter": self.quarter, "reason": self.reason,
               "who": self.who}
        if self.date:
            out["date"] = self.date
        return out

    def message(self) -> str:
        return (f"Dérogation pour {self.quarter} sur le contrôle {self.check}, accordée par "
                f"{self.who}{f' le {self.date}' if self.date else ''} : {self.reason}")


def check_quarter(quarter: str) -> str:
    """`2026-Q3` (case-insensitive); anything else, `2026-T3` included, is a one-line error:
    a waiver names its quarter exactly as the gate and the deliverables record it."""
    try:
        return Quarter.from_code(quarter).code
    except ValueError:
        raise SuiteError(f"trimestre invalide {quarter!r} : attendu par exemple 2026-Q3") from None


def load_waivers(path: Path | None = None, *, checks: Mapping[str, Check]) -> tuple[Waiver, ...]:
    """Parse and validate the waivers file against the known checks."""
    path = path or WAIVERS_FILE
    if not path.is_file():
        return ()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path.name} : YAML illisible ({exc})") from None
    entries = raw.get("waivers") if isinstance(raw, dict) else None
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise SuiteError(f"{path.name} : « waivers » doit être une liste")
    waivers: list[Waiver] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name}, dérogation n° {number}"
        if not isinstance(entry, dict):
            raise SuiteError(f"{where} : une dérogation doit être un dictionnaire")
        unknown = set(entry) - _KEYS
        missing = [k for k in ("check", "quarter", "reason", "who")
                   if not str(entry.get(k) or "").strip()]
        if unknown or missing:
            raise SuiteError(
                f"{where} : " + "; ".join(
                    ([f"clé(s) inconnue(s) : {', '.join(sorted(unknown))}"] if unknown else [])
                    + ([f"champ(s) manquant(s) : {', '.join(missing)}"] if missing else [])))
        key = str(entry["check"]).strip()
        if key not in checks:
            raise SuiteError(f"{where} : contrôle inconnu {key!r}")
        if checks[key].severity != "error":
            raise SuiteError(f"{where} : {key} est un avertissement, il ne bloque rien : "
                             "une dérogation n'a de sens que pour un contrôle bloquant")
        waivers.append(Waiver(
            check=key, quarter=check_quarter(str(entry["quarter"])),
            reason=str(entry["reason"]).strip(), who=str(entry["who"]).strip(),
            date=str(entry["date"]).strip() if entry.get("date") else None))
    pairs = [(w.check, w.quarter) for w in waivers]
    twice = sorted({p for p in pairs if pairs.count(p) > 1})
    if twice:
        raise SuiteError(f"{path.name} : dérogation en double pour " + ", ".join(
            f"{c} ({q})" for c, q in twice))
    return tuple(waivers)


def waivers_for(quarter: str, waivers: Iterable[Waiver]) -> dict[str, Waiver]:
    """The waivers of one quarter, by check key."""
    return {w.check: w for w in waivers if w.quarter == quarter}
