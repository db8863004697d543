"""Normalising names: the one rule that lets staff spell files, sheets and headers their own way.

`docs/spreadsheets.md` fixes it: strip accents, lower-case, every run of characters other than
letters and digits becomes `_`, `_` trimmed at the ends. Used for folders, files, sheets, headers
and the closed-list values staff type (`Création` → `creation`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Ligatures that Unicode does not decompose but that French writers use (cœur, ex æquo).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_NOT_ALNUM = re.compile(r"[\W_]+")


def strip_accents(text: str) -> str:
    """Remove combining marks after a compatibility decomposition (é → e, ﬁ → fi)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_name(name: str) -> str:
    """The spec's rule: `Date d'entrée` → `date_d_entree`, `Durée (minutes)` → `duree_minutes`."""
    return _normalise(str(name))


@lru_cache(maxsize=8192)
def _normalise(text: str) -> str:
    # Memoised: every closed-list cell normalises its value and each listed choice, so the same
    # few strings come back thousands of times a load.
    return _NOT_ALNUM.sub("_", strip_accents(text).lower()).strip("_")
