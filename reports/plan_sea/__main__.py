"""`python -m reports.plan_sea [--force]` — regenerate the Plan SEA if the plan changed."""

from __future__ import annotations

import argparse
import sys

from reports.plan_sea.build import build_plan_sea


def main(argv: list[str] | None = None) -> int:
    from common.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="python -m reports.plan_sea",
                                     description="Plan de suivi, évaluation et apprentissage.")
    parser.add_argument("--force", action="store_true", help="régénérer même sans changement")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"sea: erreur de configuration : {exc}", file=sys.stderr)
        return 2
    plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                          k=settings.disclosure_k, force=args.force)
    state = "régénéré" if plan.changed else "inchangé"
    print(f"Plan SEA {state} (à jour au {plan.as_of:%d/%m/%Y}, version {plan.fingerprint[:10]}) "
          f": {plan.pdf or plan.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
