"""Scaling curves from a CSV (compute, reward[, curve]): fit each curve, split each gain over a baseline."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from reasonledger.scaling.gain import split_gain
from reasonledger.scaling.sigmoid import FitError, SigmoidFit, fit_sigmoid

DEFAULT_CURVE = "curve"


class CurveFileError(ValueError):
    """A curve CSV problem, said as `file:line: what is wrong`."""


def read_curve_csv(path: Path | str, compute: str = "compute", reward: str = "reward",
                   curve: str = "curve") -> dict[str, tuple[list[float], list[float]]]:
    """Points per curve name (one curve called `curve` when the file has no `curve` column)."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise CurveFileError(f"{path}: no such file") from None
    curves: dict[str, tuple[list[float], list[float]]] = {}
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (compute, reward) if c not in (reader.fieldnames or [])]
        if missing:
            raise CurveFileError(f"{path}:1: no column {', '.join(missing)} in the header {reader.fieldnames}; "
                                 f"name the columns with --compute-column / --reward-column")
        for row in reader:
            line = reader.line_num
            try:
                c, r = float(row[compute]), float(row[reward])
            except (TypeError, ValueError):
                raise CurveFileError(f"{path}:{line}: {compute}={row.get(compute)!r}, {reward}={row.get(reward)!r} "
                                     f"are not both numbers") from None
            if not (math.isfinite(c) and math.isfinite(r)) or c <= 0:
                raise CurveFileError(f"{path}:{line}: compute must be a positive number and reward finite "
                                     f"(got {c}, {r})")
            points = curves.setdefault(row.get(curve) or DEFAULT_CURVE, ([], []))
            points[0].append(c)
            points[1].append(r)
    if not curves:
        raise CurveFileError(f"{path}: no data rows")
    return curves


def fit_curves(curves: dict[str, tuple[list[float], list[float]]], r0: float | None = None,
               baseline: str | None = None, at: float | None = None, n_boot: int = 500, level: float = 0.95,
               seed: int = 0) -> dict[str, object]:
    """Fit every curve; with two or more, split each one's gain over the baseline (default: the first)."""
    fits: dict[str, SigmoidFit] = {}
    for name, (compute, reward) in curves.items():
        try:
            fits[name] = fit_sigmoid(compute, reward, r0=r0, n_boot=n_boot, level=level, seed=seed)
        except FitError as exc:
            raise FitError(f"curve {name!r}: {exc}") from None
    report: dict[str, object] = {"model": "R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B)",
                                 "fits": {name: fit.as_dict() for name, fit in fits.items()}}
    if len(fits) > 1:
        baseline = baseline or next(iter(fits))
        if baseline not in fits:
            raise FitError(f"baseline {baseline!r} is not a curve in the file; curves: {', '.join(fits)}")
        report["baseline"] = baseline
        report["gains"] = {name: split_gain(fits[baseline], fit, at) for name, fit in fits.items() if name != baseline}
    return report
