"""The release card's scaling section, computed from a run directory's data (and saved curve fits)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonledger.engine.rundir import RunDir
from reasonledger.records.io import data_path, iter_valid
from reasonledger.records.model import Kind
from reasonledger.records.parquet import write_json_atomic
from reasonledger.records.targets import rollout_index
from reasonledger.scaling.budget import passk_budget_report
from reasonledger.scaling.passk import collect_outcomes, passk_report
from reasonledger.scaling.reuse import reuse_report

NO_BUDGET = ("not applicable: no rollout carries a token count (rollout.meta.tokens) or an announced "
             "budget (rollout.meta.budget or record.meta.budget)")


def save_curves(run_dir: Path | str, report: dict[str, Any]) -> Path:
    """Keep a `scaling fit` result with a run, so its card shows the curves."""
    path = RunDir(run_dir).curves
    write_json_atomic(report, path)
    return path


def _rollout_verifiers(data: Path) -> list[str]:
    return sorted({v.verifier for r in iter_valid(data) if r.kind == Kind.rollout_set
                   for v in r.verdicts if rollout_index(v.target) is not None})


def _passk_sections(data: Path, verifier: str | None, n_boot: int) -> dict[str, Any]:
    outcomes = collect_outcomes(iter_valid(data), verifier)
    budget = passk_budget_report(outcomes.problems, n_boot=n_boot)
    return {"passk": passk_report(outcomes, n_boot=n_boot),
            "passk_budget": budget or {"mode": None, "note": NO_BUDGET}}


def scaling_section(run_dir: Path | str, n_boot: int = 1000) -> dict[str, Any] | None:
    """pass@k, pass@(k,T) with its budget regime, reuse accounting, and saved curve fits; None when
    the run has no judged rollouts and no saved curves. pass@k is given per verifier when several
    verifiers judged the rollouts."""
    run_dir = Path(run_dir)
    data = data_path(run_dir)
    section: dict[str, Any] = {}
    if data.exists():
        verifiers = _rollout_verifiers(data)
        if len(verifiers) == 1:
            section.update(_passk_sections(data, None, n_boot))
        elif verifiers:
            section["by_verifier"] = {name: _passk_sections(data, name, n_boot) for name in verifiers}
        if verifiers:
            section["reuse"] = reuse_report(iter_valid(data), verifier=verifiers[0] if len(verifiers) > 1 else None)
    curves = RunDir(run_dir).curves
    if curves.exists():
        section["curves"] = json.loads(curves.read_text(encoding="utf-8"))
    return section or None
