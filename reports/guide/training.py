"""The team's training documents, built together: the user guide and the Plan SEA deck, into
`SEA_INTERNAL_DIR/formation/` (internal: the deck's exercise names an antenna's quality score).
Called by `make demo` right after the Plan SEA, and by the Dagster asset that follows it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reports.guide.build import Rendered, build_guide
from reports.guide.figures import CurrentFigures, read_current_figures
from reports.slides.build import Deck, build_deck

FOLDER = "formation"


@dataclass(frozen=True)
class Training:
    guide: Rendered
    deck: Deck
    figures: CurrentFigures | None


def build_training(warehouse: str, published: str, internal_dir: Path, *, k: int,
                   pdf: bool = True) -> Training:
    """Write the guide (figures from the published state) and the deck (from the warehouse,
    as the Plan SEA) under `internal_dir/formation`."""
    folder = Path(internal_dir) / FOLDER
    figures = read_current_figures(warehouse, published, k)
    guide = build_guide(folder, figures, pdf=pdf)
    deck = build_deck(warehouse, folder, k=k, figures=figures, pdf=pdf)
    return Training(guide, deck, figures)
