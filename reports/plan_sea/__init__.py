"""The Plan SEA: the MEL plan document, generated in French from the versioned data and
regenerated whenever the plan changes. `build_plan_sea(warehouse_target, *, output_dir, k)`."""

from reports.plan_sea.build import PlanSea, build_plan_sea

__all__ = ["PlanSea", "build_plan_sea"]
