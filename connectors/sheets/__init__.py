"""The shared spreadsheets staff keep (`spreadsheets.md`), loaded into the raw layer.

`load_spreadsheets` rebuilds `raw.sheet_*` from the files present; `write_demo_spreadsheets`
writes a demo folder that reads like AERé's. Modules: `names` (the normalising rule), `values`
(French cell parsers), `kinds` (the kinds as data), `reader` (files, sheets, header rows),
`rows` (typing one row), `targets` (the objectifs key rule), `schema` (DDL), `loader`, `demo`.
"""

from connectors.sheets.demo import write_demo_spreadsheets
from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets

__all__ = ["SheetsLoadReport", "load_spreadsheets", "write_demo_spreadsheets"]
