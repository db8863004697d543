"""`python -m reports.evidence <id>` — what `make evidence EVALUATION=<id>` runs.

Reads the settings (warehouse, output folder, k) like every command, so a configuration mistake
stops it with one line; `--due` builds the packs of every evaluation due within 90 days or
running. Exit code 2 for configuration, 1 for an unknown evaluation (with the known ids).
"""

from __future__ import annotations

import argparse
import sys

from reports.evidence.build import build_evidence_pack, due_evaluations
from reports.evidence.data import EvaluationNotFound


def main(argv: list[str] | None = None) -> int:
    from common.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="python -m reports.evidence",
                                     description="Dossier de preuves d'une évaluation du plan.")
    parser.add_argument("evaluation", nargs="?",
                        help="identifiant de l'évaluation (plan_evaluation)")
    parser.add_argument("--due", action="store_true",
                        help="toutes les évaluations en cours ou à échéance sous 90 jours")
    parser.add_argument("--no-pdf", action="store_true", help="HTML et xlsx seulement")
    args = parser.parse_args(argv)
    if not args.evaluation and not args.due:
        parser.error("préciser EVALUATION=<identifiant> (ou --due)")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"sea: erreur de configuration : {exc}", file=sys.stderr)
        return 2
    ids = due_evaluations(settings.warehouse) if args.due else [args.evaluation]
    output = settings.output_dir / "evidence"
    for evaluation_id in ids:
        try:
            pack = build_evidence_pack(settings.warehouse, evaluation_id, as_of=settings.as_of,
                                       output_dir=output, k=settings.disclosure_k,
                                       pdf=not args.no_pdf)
        except EvaluationNotFound as exc:
            print(f"sea: {exc}", file=sys.stderr)
            return 1
        print(f"Dossier de preuves {evaluation_id} (données arrêtées au "
              f"{pack.as_of:%d/%m/%Y}) : {pack.pdf or pack.html}")
    if not ids:
        print("Aucune évaluation en cours ni à échéance sous 90 jours.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
