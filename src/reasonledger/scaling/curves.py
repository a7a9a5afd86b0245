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


FIT_COLUMNS = ("curve", "points", "R0", "A (ceiling)", "B (efficiency)", "C_mid", "rms", "checks")


def fit_row(name: str, fit: dict[str, object]) -> list[str]:
    """One printed row of a fit: an estimate with its interval, `unidentified`, or `fixed`; the residual
    size; and what the lack-of-fit and monotonicity checks found."""
    cells = [name, str(fit["points"])]
    for p in ("R0", "A", "B", "C_mid"):
        value, interval, status = fit["params"][p], fit["intervals"][p], fit["status"][p]
        cells.append("unidentified" if status == "unidentified" else
                     f"{value:.4g} (fixed)" if status == "fixed" else f"{value:.4g} [{interval[0]:.4g}, {interval[1]:.4g}]")
    lof, mono = fit["lack_of_fit"], fit["monotonicity"]
    checks = ["lack of fit: " + ("not testable" if lof.get("p") is None else f"p={lof['p']:.2g}"),
              "falls after its peak" if mono.get("falls") else "monotone" if mono.get("falls") is False else "monotone: n/a"]
    return cells + [f"{fit['rms']:.3g}", "; ".join(checks)]


def gain_line(name: str, baseline: str, gain: dict[str, object]) -> str:
    """`new vs base at C=...: gain ... = ceiling ... [..], efficiency ...`, or the gain alone when it is not split."""
    head = f"{name} vs {baseline} at C={gain['compute']:.4g}: gain {gain['gain']:+.4f}"
    if not gain["shares"]:
        return head + " (not split)"
    intervals = gain.get("intervals") or {}
    return head + " = " + ", ".join(
        f"{f} {v:+.4f}" + (f" [{intervals[f][0]:+.4f}, {intervals[f][1]:+.4f}]" if f in intervals else "")
        for f, v in gain["shares"].items())
