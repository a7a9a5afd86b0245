"""The compute-performance sigmoid R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B).

A is the ceiling the curve tends to, B the efficiency (how steeply it climbs in log compute), C_mid
the compute at which half of the gain from R0 to A is reached (the inflection in log C). Fitted by
nonlinear least squares (scipy) in log C_mid, with residual-bootstrap intervals: a pairs bootstrap
on a dozen points would drop whole stretches of the curve from some resamples.

A fit whose points stop before the inflection is unreliable: the flat start of a sigmoid is
compatible with almost any ceiling, so such fits carry a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

PARAMS = ("R0", "A", "B", "C_mid")


def sigmoid(compute: np.ndarray | float, r0: float, a: float, b: float, c_mid: float) -> np.ndarray:
    compute = np.asarray(compute, dtype=float)
    return r0 + (a - r0) / (1.0 + (c_mid / compute) ** b)


@dataclass
class SigmoidFit:
    params: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    fixed_r0: bool
    points: int
    compute_range: tuple[float, float]
    rms: float
    reaches_inflection: bool
    warnings: list[str] = field(default_factory=list)
    draws: np.ndarray = field(default_factory=lambda: np.empty((0, 4)), repr=False)
    level: float = 0.95

    def predict(self, compute: np.ndarray | float) -> np.ndarray:
        return sigmoid(compute, *(self.params[p] for p in PARAMS))

    def as_dict(self) -> dict[str, object]:
        return {"params": self.params, "intervals": {k: list(v) for k, v in self.intervals.items()},
                "level": self.level, "fixed_r0": self.fixed_r0, "points": self.points,
                "compute_range": list(self.compute_range), "rms": self.rms,
                "reaches_inflection": self.reaches_inflection, "warnings": self.warnings,
                "bootstrap": len(self.draws)}


class FitError(ValueError):
    """The points cannot be fitted (too few, non-positive compute, or no convergence)."""


def _require_scipy():  # type: ignore[no-untyped-def]
    try:
        from scipy.optimize import least_squares
    except ImportError:
        raise FitError("fitting needs scipy: pip install 'reasonledger[scaling]'") from None
    return least_squares


def _linear_part(s: np.ndarray, y: np.ndarray, r0: float | None) -> np.ndarray:
    """Given the sigmoid shape s (rows of candidates), the best (R0, A) by linear least squares:
    R = R0 (1 - s) + A s is linear in them, so only B and C_mid need a nonlinear search."""
    if r0 is not None:
        ss = np.maximum((s * s).sum(-1), 1e-300)
        return np.stack([np.full(s.shape[:-1], r0), r0 + ((y - r0) * s).sum(-1) / ss], -1)
    u = 1.0 - s
    uu, us, ss = (u * u).sum(-1), (u * s).sum(-1), (s * s).sum(-1)
    uy, sy = (u * y).sum(-1), (s * y).sum(-1)
    det = np.where(np.abs(uu * ss - us * us) < 1e-300, 1e-300, uu * ss - us * us)
    return np.stack([(ss * uy - us * sy) / det, (uu * sy - us * uy) / det], -1)


def _shape(log_c: np.ndarray, b: np.ndarray, m: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(np.multiply.outer(b, np.ones_like(log_c)) *
                                       (np.subtract.outer(m, log_c)), -700, 700)))


def _least_squares(log_c: np.ndarray, y: np.ndarray, r0: float | None, start: tuple[float, float] | None = None,
                   ) -> np.ndarray | None:
    """Returns (R0, A, B, log C_mid): a grid over (B, log C_mid) (unless `start` is given), then
    scipy's least squares on those two, with (R0, A) solved exactly at every evaluation."""
    least_squares = _require_scipy()
    span = log_c.max() - log_c.min() + 1.0
    bounds = ([1e-3, log_c.min() - 10 * span], [50.0, log_c.max() + 10 * span])
    if start is None:
        b, m = np.meshgrid(np.geomspace(0.1, 20.0, 14), np.linspace(log_c.min() - span, log_c.max() + 3 * span, 30))
        b, m = b.ravel(), m.ravel()
        shapes = _shape(log_c, b, m)
        linear = _linear_part(shapes, y, r0)
        sse = (((linear[:, :1] * (1 - shapes) + linear[:, 1:] * shapes) - y) ** 2).sum(-1)
        best = int(np.argmin(sse))
        start = (float(b[best]), float(m[best]))

    def residuals(theta: np.ndarray) -> np.ndarray:
        shape = _shape(log_c, np.array(theta[0]), np.array(theta[1]))
        r, a = _linear_part(shape, y, r0)
        return r * (1 - shape) + a * shape - y

    try:
        found = least_squares(residuals, np.clip(start, np.array(bounds[0]) + 1e-9, np.array(bounds[1]) - 1e-9),
                              bounds=bounds, max_nfev=2000)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(found.x)):
        return None
    r, a = _linear_part(_shape(log_c, np.array(found.x[0]), np.array(found.x[1])), y, r0)
    return np.array([r, a, found.x[0], found.x[1]], dtype=float)


def fit_sigmoid(compute: Sequence[float], reward: Sequence[float], r0: float | None = None,
                n_boot: int = 500, level: float = 0.95, seed: int = 0) -> SigmoidFit:
    """Fit R(C) to (compute, reward) points; `r0` fixes the starting reward instead of fitting it."""
    c, y = np.asarray(compute, dtype=float), np.asarray(reward, dtype=float)
    if c.shape != y.shape or c.ndim != 1:
        raise FitError("compute and reward must be two lists of the same length")
    if not np.all(np.isfinite(c)) or not np.all(np.isfinite(y)):
        raise FitError("compute and reward must be finite numbers")
    if np.any(c <= 0):
        raise FitError("compute must be positive (the curve is in log compute)")
    n_params = 3 if r0 is not None else 4
    if len(c) < n_params + 1:
        raise FitError(f"{len(c)} point(s) cannot fit {n_params} parameters; need at least {n_params + 1}")
    log_c = np.log(c)
    theta = _least_squares(log_c, y, r0)
    if theta is None:
        raise FitError("the least-squares fit did not converge from any starting point")
    fitted = theta[0] + (theta[1] - theta[0]) / (1.0 + np.exp(theta[2] * (theta[3] - log_c)))
    residuals = y - fitted
    draws, failures = _bootstrap(log_c, fitted, residuals, r0, theta, n_params, n_boot, seed)
    params = {"R0": float(theta[0]), "A": float(theta[1]), "B": float(theta[2]), "C_mid": float(np.exp(theta[3]))}
    tail = (1.0 - level) / 2 * 100
    intervals = {name: (float(np.percentile(draws[:, i], tail)), float(np.percentile(draws[:, i], 100 - tail)))
                 for i, name in enumerate(PARAMS)} if len(draws) else {}
    fit = SigmoidFit(params, intervals, r0 is not None, len(c), (float(c.min()), float(c.max())),
                     float(np.sqrt(np.mean(residuals ** 2))), bool(params["C_mid"] <= c.max()), draws=draws, level=level)
    fit.warnings = _warnings(fit, n_params, failures, n_boot)
    return fit


def _bootstrap(log_c: np.ndarray, fitted: np.ndarray, residuals: np.ndarray, r0: float | None,
               theta: np.ndarray, n_params: int, n_boot: int, seed: int) -> tuple[np.ndarray, int]:
    """Refit on fitted + resampled residuals (scaled for the degrees of freedom the fit used)."""
    rng = np.random.default_rng(seed)
    scale = np.sqrt(len(residuals) / max(len(residuals) - n_params, 1))
    centred = (residuals - residuals.mean()) * scale
    draws, failures = [], 0
    for _ in range(n_boot):
        sample = fitted + rng.choice(centred, size=len(centred), replace=True)
        found = _least_squares(log_c, sample, r0, (theta[2], theta[3]))
        if found is None:
            failures += 1
            continue
        draws.append([found[0], found[1], found[2], np.exp(found[3])])
    return np.array(draws, dtype=float).reshape(-1, 4), failures


def _warnings(fit: SigmoidFit, n_params: int, failures: int, n_boot: int) -> list[str]:
    out = []
    low, high = fit.compute_range
    c_mid = fit.params["C_mid"]
    if not fit.reaches_inflection:
        out.append(f"the points do not reach the inflection (C_mid ~ {c_mid:.4g} > largest compute {high:.4g}): "
                   f"the ceiling A and efficiency B are extrapolated and unreliable; add points past C_mid")
    elif fit.intervals and fit.intervals["C_mid"][1] > high:
        out.append(f"the inflection is not pinned down: the C_mid interval reaches {fit.intervals['C_mid'][1]:.4g}, "
                   f"beyond the largest compute {high:.4g}; treat A and B as uncertain")
    if not fit.fixed_r0 and c_mid < low:
        out.append(f"the points start after the inflection (C_mid ~ {c_mid:.4g} < smallest compute {low:.4g}): "
                   f"R0 is extrapolated; fix it with r0 if the starting reward is known")
    if fit.points < n_params + 3:
        out.append(f"only {fit.points} points for {n_params} parameters: intervals are rough")
    if n_boot and failures > 0.1 * n_boot:
        out.append(f"{failures} of {n_boot} bootstrap refits did not converge: intervals are rough")
    return out
