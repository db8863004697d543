"""Pausing CPython's cyclic garbage collector around bulk, allocation-heavy work.

Building many objects that stay alive (spreadsheet cells and typed rows, WeasyPrint's boxes)
keeps triggering full collections; each walks the whole heap of the process (pandas, DuckDB,
matplotlib, Dagster… well over 100 000 objects) and frees next to nothing: at the benchmark's
size such passes are a visible share of a spreadsheet load and of the Plan SEA's PDF render
(docs/performance.md). Reference counting still frees everything that is not in a cycle
while the collector is paused; the few cycles left go at its next run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block; a collector that was already off stays off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
