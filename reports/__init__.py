"""Quarterly deliverables of `sea`: the collecteur workbook, the accountability report, frozen
versioned deliveries, all under statistical disclosure control.

A pure library: the Dagster assets and `make report` call `build_quarterly_deliverables`.
"""

from reports.delivery import DeliveryResult, DiffSummary, build_quarterly_deliverables
from reports.learning import LearningInputs
from reports.quality import QualityCheck, QualityGateError, QualitySummary, Waiver

__all__ = [
    "DeliveryResult",
    "DiffSummary",
    "LearningInputs",
    "QualityCheck",
    "QualityGateError",
    "QualitySummary",
    "Waiver",
    "build_quarterly_deliverables",
]
