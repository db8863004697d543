"""The `objectifs` key rule: one target per (indicateur, programme, antenne, annee, trimestre,
financeur) — a funder's target (`financeur` filled) and the organisation's (blank) are different
targets.

`docs/indicators.md#9-targets-and-achievement`: the same key twice with different values quarantines
both rows; the same value twice is kept once (the row of the most recently modified file, then the
last row). It runs over every candidate row — read this run or kept from a stale file — because a
target conflicts with another wherever it was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.sheets.values import display

KEY = ("indicateur", "programme", "antenne", "annee", "trimestre", "financeur")


@dataclass
class TargetDecision:
    keep: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # same value as a kept row: dropped
    conflicts: list[tuple[dict, str]] = field(default_factory=list)  # (row, French reason)


def _where(row: dict) -> str:
    return f"{row['source_file']}, feuille '{row['source_sheet']}', ligne {row['source_row']}"


def _shown(row: dict) -> str:
    text = display(row["cible"]).replace(".", ",")
    return f"{text} (cellule %)" if row.get("cible_is_percent_cell") else text


def _value(row: dict) -> tuple[float, bool]:
    return round(float(row["cible"]), 9), bool(row.get("cible_is_percent_cell"))


def _recency(row: dict) -> tuple:
    return (row["file_modified_at"], row["source_file"], row["source_sheet"], row["source_row"])


def decide_targets(rows: Sequence[dict]) -> TargetDecision:
    """Split candidate target rows into kept, identical duplicates and conflicts."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in KEY), []).append(row)
    decision = TargetDecision()
    for group in groups.values():
        if len({_value(r) for r in group}) > 1:
            for row in group:
                others = "; ".join(
                    f"{_where(o)} (cible {_shown(o)})" for o in group if o is not row
                )
                decision.conflicts.append((
                    row,
                    f"objectif en double avec une cible différente (même indicateur, programme, "
                    f"antenne, année, trimestre et financeur) : {others} ; toutes ces lignes "
                    "sont écartées",
                ))
            continue
        ordered = sorted(group, key=_recency)
        decision.keep.append(ordered[-1])
        decision.duplicates.extend(ordered[:-1])
    return decision
