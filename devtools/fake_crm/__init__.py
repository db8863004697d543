"""The fake CRM: a seeded synthetic CRM population served over the ``docs/crm-api.md``
contract.

Used by ``make demo``, the tests and the benchmark; the real CRM is reached by changing the base
URL and the token, nothing else.
"""

from .bad_records import BAD_RECORD_KINDS, BadRecordError
from .server import DEFAULT_TOKEN, FAULT_KINDS, FakeCRMServer
from .world import DEFAULT_NOW, World

__all__ = [
    "BAD_RECORD_KINDS",
    "DEFAULT_NOW",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "BadRecordError",
    "FakeCRMServer",
    "World",
]
