"""Evidence packs: for one evaluation of the plan, the protected figures, the lessons and the
recommendations an external evaluator needs, as xlsx and French HTML/PDF.

`build_evidence_pack(warehouse_target, evaluation_id, *, as_of, output_dir, k)` writes them;
`make evidence EVALUATION=<id>` and the Dagster asset call it.
"""

from reports.evidence.build import (
    EvidenceContent,
    EvidencePack,
    build_evidence_pack,
    collect,
    due_evaluations,
)
from reports.evidence.data import EvaluationNotFound, evidence_quarters

__all__ = [
    "EvaluationNotFound",
    "EvidenceContent",
    "EvidencePack",
    "build_evidence_pack",
    "collect",
    "due_evaluations",
    "evidence_quarters",
]
