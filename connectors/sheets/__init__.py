"""The shared spreadsheets staff keep (docs/spreadsheets.md), loaded into the raw layer.

`load_spreadsheets` rebuilds `raw.sheet_*` from the files present. Modules: `names` (the
normalising rule), `values` (French cell parsers), `kinds` (the kinds as data), `reader` (files,
sheets, header rows), `rows` (typing one row), `targets` (the objectifs key rule), `schema`
(DDL), `loader`. The demo folder's writer is dev tooling: `devtools/demo_sheets.py`.
"""

from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets

__all__ = ["SheetsLoadReport", "load_spreadsheets"]
