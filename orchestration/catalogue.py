"""Read access to the versioned reference files (indicator catalogue) from Python."""

from __future__ import annotations

import csv

from common.settings import PROJECT_ROOT

CATALOGUE_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "indicator_catalogue.csv"


def indicator_codes() -> set[str] | None:
    """Codes of the catalogue seed, or None while the catalogue is not there."""
    if not CATALOGUE_CSV.is_file():
        return None
    with CATALOGUE_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["indicator_code"] for row in csv.DictReader(handle)}
