"""What makes two CRM payloads the same version: the contract's fields, as raw stores them.

A version's identity is (resource, `id`, `updated_at` as a UTC instant, a hash of the other
contract fields). Unknown extra fields are left out of the hash on purpose: a CRM that starts
sending a new field re-sends the records of the overlap window with it, and those are the
versions raw already holds, not new ones (a new version per (`id`, `updated_at`) would read as a
duplicate id to the quality gate, forever). Two payloads that differ in a contract field do get
two hashes, and are still reported as a duplicate id.

The hash is taken over the fields' stored text form (`as_text`, the raw columns), so it can be
recomputed from raw's own columns in SQL, on DuckDB and PostgreSQL: the migration of warehouses
loaded with an older identity does exactly that. `contract_hash` (Python, at load time) and
`contract_hash_sql` (SQL, in the warehouse) must agree byte for byte; tests hold them to it.

Canonical form: each hashed field, in the contract's order, written as `~` when null, else
`<length in UTF-8 bytes>:<text>`. The length prefix makes the concatenation unambiguous whatever
the texts contain, without any escaping that two SQL dialects would have to reproduce.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from connectors.crm.schema import RESOURCES

# Already in the version key on their own: hashing them again would add nothing, and
# `updated_at` is compared as an instant, not as the text the CRM happened to send.
_KEY_FIELDS = frozenset({"id", "updated_at"})


def hashed_fields(resource: str) -> list[str]:
    """The contract fields of `resource` that the version hash covers, in contract order."""
    return [f.name for f in RESOURCES[resource] if f.name not in _KEY_FIELDS]


def contract_hash(texts: Sequence[str | None]) -> str:
    """SHA-256 (hex) of the canonical form of `texts`, the hashed fields' stored texts."""
    canonical = "".join("~" if t is None else f"{len(t.encode('utf-8'))}:{t}" for t in texts)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def contract_hash_sql(resource: str, dialect: str, alias: str | None = None) -> str:
    """The SQL expression computing `contract_hash` from a raw row of `resource`.

    DuckDB's `strlen` and PostgreSQL's `octet_length` both count UTF-8 bytes; `||` is null when
    either side is, so `coalesce` turns a null field into `~`.
    """
    prefix = f"{alias}." if alias else ""
    length = "strlen" if dialect == "duckdb" else "octet_length"
    parts = [f"coalesce(cast({length}({prefix}{name}) as varchar) || ':' || {prefix}{name}, '~')"
             for name in hashed_fields(resource)]
    canonical = " || ".join(parts) if parts else "''"
    if dialect == "duckdb":
        return f"sha256({canonical})"
    return f"encode(sha256(convert_to({canonical}, 'UTF8')), 'hex')"
