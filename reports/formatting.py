"""French number formatting for everything a reader sees.

French typography groups thousands with a narrow no-break space and writes a decimal comma
(`1 234`, `42,5 %`); numbers formatted the English way look foreign in a report to a French
ministry. Suppressed figures come as `Suppressed` markers and are displayed by `display()`.
"""

from __future__ import annotations

import math

THOUSANDS = "\u202f"  # espace fine insécable
NBSP = "\u00a0"
NOT_COMPUTABLE = "–"


def _group(digits: str) -> str:
    out = []
    for i, ch in enumerate(reversed(digits)):
        if i and i % 3 == 0:
            out.append(THOUSANDS)
        out.append(ch)
    return "".join(reversed(out))


def number(value: float, decimals: int = 0) -> str:
    """`1234.5` → `1 234,5` (with `decimals` fixed digits after the comma)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_COMPUTABLE
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if value < 0 and float(text) != 0 else ""
    return sign + _group(whole) + ("," + frac if frac else "")


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a French percentage: `0.425` → `42,5 %`."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return NOT_COMPUTABLE
    return number(fraction * 100, decimals) + NBSP + "%"


def signed(value: float, decimals: int = 0, unit: str = "") -> str:
    """A difference with its sign, `+3`, `−1,5 pt`: used by version diffs."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_COMPUTABLE
    body = number(abs(value), decimals)
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return sign + body + (NBSP + unit if unit else "")


def by_kind(value: float | None, kind: str, unit: str | None = None) -> str:
    """Format one exact figure by indicator type (count, sum, rate, median)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_COMPUTABLE
    if kind == "rate":
        return percent(value)
    if kind == "median":
        return number(value, 0 if float(value).is_integer() else 1) + NBSP + "j"
    if kind == "sum":
        if unit in (None, "", "heures", "h", "hours"):
            return number(value, 0) + NBSP + "h"
        return number(value, 0 if float(value).is_integer() else 1)
    return number(value, 0)


def achievement(ratio: float | None) -> str:
    """Achievement (value / target) as a percentage without decimals: `0.87` → `87 %`."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return NOT_COMPUTABLE
    return number(ratio * 100, 0) + NBSP + "%"
