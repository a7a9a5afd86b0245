"""The compute-performance sigmoid R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B), and what a fit can say.

A is the ceiling the curve tends to, B the efficiency (how steeply it climbs in log compute), C_mid
the compute at which half of the gain from R0 to A is reached (the inflection in log C). Fitted by
nonlinear least squares (scipy) over (B, log C_mid) with (R0, A) solved exactly at every step.

Intervals are t intervals from the fit's covariance s^2 (J'J)^-1 with n - p degrees of freedom, on
the log scale for B and C_mid (both positive); their coverage is checked by simulation in
tests/scaling/test_intervals_fit.py. A parameter whose interval has zero width, is unbounded (its
standard error is not finite or the interval runs past what the points can represent), or whose
estimate sits on the search bound is reported as `unidentified`, without a number. Every fit
carries a lack-of-fit test, a monotonicity check and its residual size, because a sigmoid fitted to
a curve that rises and then falls still returns parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from reasonledger.stats.pvalues import f_sf, t_quantile

PARAMS = ("R0", "A", "B", "C_mid")
B_BOUNDS = (1e-3, 50.0)
SPAN_FACTOR = 10.0  # the search for C_mid reaches this many data spans (in log C) beyond the points
REACH = 2.0  # an interval reaching further than this many spans of the data (log C; reward) is unbounded


def sigmoid(compute: np.ndarray | float, r0: float, a: float, b: float, c_mid: float) -> np.ndarray:
    compute = np.asarray(compute, dtype=float)
    return r0 + (a - r0) / (1.0 + (c_mid / compute) ** b)


@dataclass
class SigmoidFit:
    params: dict[str, float]  # raw least-squares values, also for unidentified parameters (see `status`)
    intervals: dict[str, tuple[float, float] | None]
    status: dict[str, str]  # identified | unidentified | fixed
    fixed_r0: bool
    points: int
    distinct_compute: int
    compute_range: tuple[float, float]
    rms: float
    df: int
    reaches_inflection: bool
    lack_of_fit: dict[str, object]
    monotonicity: dict[str, object]
    reasons: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    draws: np.ndarray = field(default_factory=lambda: np.empty((0, 4)), repr=False)
    level: float = 0.95

    def predict(self, compute: np.ndarray | float) -> np.ndarray:
        return sigmoid(compute, *(self.params[p] for p in PARAMS))

    @property
    def identified(self) -> bool:
        return all(v != "unidentified" for v in self.status.values())

    def as_dict(self) -> dict[str, object]:
        shown = {k: (None if self.status[k] == "unidentified" else v) for k, v in self.params.items()}
        return {"params": shown, "intervals": {k: (list(v) if v else None) for k, v in self.intervals.items()},
                "status": self.status, "unidentified_because": self.reasons,
                "level": self.level, "interval_method": "t interval from the fit's covariance (log scale for B, C_mid)",
                "df": self.df, "fixed_r0": self.fixed_r0, "points": self.points,
                "distinct_compute": self.distinct_compute, "compute_range": list(self.compute_range), "rms": self.rms,
                "lack_of_fit": self.lack_of_fit, "monotonicity": self.monotonicity,
                "reaches_inflection": self.reaches_inflection, "warnings": self.warnings, "draws": len(self.draws)}


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
    bounds = ([B_BOUNDS[0], log_c.min() - SPAN_FACTOR * span], [B_BOUNDS[1], log_c.max() + SPAN_FACTOR * span])
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



def _jacobian(log_c: np.ndarray, theta: np.ndarray, fixed_r0: bool) -> np.ndarray:
    """d fitted / d (R0, A, log B, log C_mid) at theta = (R0, A, B, log C_mid); without R0 when fixed."""
    r0, a, b, m = theta
    s = 1.0 / (1.0 + np.exp(np.clip(b * (m - log_c), -700, 700)))
    slope = (a - r0) * s * (1 - s)
    columns = [1 - s, s, slope * (log_c - m) * b, -slope * b]
    return np.column_stack(columns[1:] if fixed_r0 else columns)


def _lack_of_fit(log_c: np.ndarray, y: np.ndarray, residuals: np.ndarray, jacobian: np.ndarray) -> dict[str, object]:
    """Pure-error F test when compute values repeat; otherwise the linearised test of adding a linear
    and a quadratic term in log C to the curve (a smooth departure such as a fall)."""
    n, p = jacobian.shape
    sse = float(residuals @ residuals)
    groups: dict[float, list[float]] = {}
    for x, value in zip(log_c.tolist(), y.tolist()):
        groups.setdefault(x, []).append(value)
    pure = sum(float(((np.array(v) - np.mean(v)) ** 2).sum()) for v in groups.values())
    df_pure, df_lof = n - len(groups), len(groups) - p
    if df_pure > 0 and df_lof > 0 and pure > 0:
        f = ((sse - pure) / df_lof) / (pure / df_pure)
        return {"test": "pure error (repeated compute)", "F": round(f, 4), "df": [df_lof, df_pure],
                "p": f_sf(f, df_lof, df_pure)}
    z = (log_c - log_c.mean()) / (log_c.std() or 1.0)
    augmented = np.column_stack([jacobian, z, z * z])
    added = np.linalg.matrix_rank(augmented) - np.linalg.matrix_rank(jacobian)
    df_rest = n - np.linalg.matrix_rank(augmented)
    if added <= 0 or df_rest <= 0 or sse <= 0:
        return {"test": None, "reason": f"{n} points leave no degrees of freedom for a lack-of-fit test "
                                        f"(needs {p + 3} distinct compute values, or repeated ones)"}
    rest = residuals - augmented @ np.linalg.lstsq(augmented, residuals, rcond=None)[0]
    sse_aug = float(rest @ rest)
    f = ((sse - sse_aug) / added) / max(sse_aug / df_rest, 1e-300)
    return {"test": "added linear and quadratic terms in log C", "F": round(f, 4), "df": [int(added), int(df_rest)],
            "p": f_sf(f, added, df_rest)}


def _monotonicity(log_c: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """The largest fall of the (per-compute mean) reward below its running maximum, against the noise
    from second differences (which a smooth trend barely moves; median-based, so one peak does not)."""
    xs = np.unique(log_c)
    means = np.array([y[log_c == x].mean() for x in xs])
    falls = np.maximum.accumulate(means) - means
    at = int(np.argmax(falls))
    out: dict[str, object] = {"largest_fall": round(float(falls[at]), 6)}
    if len(means) < 4:
        return {**out, "falls": None, "reason": "fewer than 4 distinct compute values"}
    pseudo = (means[:-2] - 2 * means[1:-1] + means[2:]) / math.sqrt(6.0)
    noise = 1.4826 * float(np.median(np.abs(pseudo)))
    falls_beyond_noise = bool(falls[at] > 3 * math.sqrt(2.0) * noise and falls[at] > 0)
    peak = int(np.argmax(means[: at + 1]))
    return {**out, "noise": round(noise, 6), "falls": falls_beyond_noise,
            "peak_compute": float(np.exp(xs[peak])), "fall_at_compute": float(np.exp(xs[at]))}


def _identify(theta: np.ndarray, cov: np.ndarray | None, t: float, log_c: np.ndarray, y: np.ndarray,
              fixed_r0: bool) -> tuple[dict[str, tuple[float, float] | None], dict[str, str], dict[str, str]]:
    """Intervals per parameter, and which parameters the points cannot pin down (and why)."""
    span = log_c.max() - log_c.min()
    y_range = max(float(y.max() - y.min()), 1e-12)
    limits = {"R0": (y.min() - REACH * y_range, y.max() + REACH * y_range),
              "A": (y.min() - REACH * y_range, y.max() + REACH * y_range),
              "B": B_BOUNDS,
              "C_mid": (math.exp(log_c.min() - REACH * span), math.exp(log_c.max() + REACH * span))}
    estimates = {"R0": theta[0], "A": theta[1], "B": math.log(theta[2]), "C_mid": theta[3]}  # B, C_mid on log scale
    free = [p for p in PARAMS if not (fixed_r0 and p == "R0")]
    intervals: dict[str, tuple[float, float] | None] = {}
    status: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for i, name in enumerate(free):
        se = math.sqrt(cov[i, i]) if cov is not None and cov[i, i] >= 0 else float("nan")
        low, high = estimates[name] - t * se, estimates[name] + t * se
        if name in ("B", "C_mid"):
            low, high = math.exp(min(low, 700)), math.exp(min(high, 700))
        value = math.exp(estimates[name]) if name in ("B", "C_mid") else estimates[name]
        lo_limit, hi_limit = limits[name]
        reason = None
        if not math.isfinite(se):
            reason = "the points do not determine it (singular covariance)"
        elif se == 0 or high - low <= 1e-12 * max(1.0, abs(value)):
            reason = "its interval has zero width (no residual noise to estimate it from)"
        elif name == "B" and not (B_BOUNDS[0] * 1.001 < value < B_BOUNDS[1] * 0.999):
            reason = f"the estimate sits on the search bound {B_BOUNDS}"
        elif not (lo_limit <= low and high <= hi_limit):
            reason = f"its interval [{low:.4g}, {high:.4g}] runs past what the points can represent"
        intervals[name] = None if reason else (low, high)
        status[name] = "unidentified" if reason else "identified"
        if reason:
            reasons[name] = reason
    if fixed_r0:
        intervals["R0"], status["R0"] = (float(theta[0]), float(theta[0])), "fixed"
    return {p: intervals[p] for p in PARAMS}, {p: status[p] for p in PARAMS}, reasons


def fit_sigmoid(compute: Sequence[float], reward: Sequence[float], r0: float | None = None,
                n_boot: int = 500, level: float = 0.95, seed: int = 0) -> SigmoidFit:
    """Fit R(C) to (compute, reward) points; `r0` fixes the starting reward instead of fitting it.
    `n_boot` parameter draws from the fit's t sampling distribution carry its uncertainty into gain splits."""
    c, y = np.asarray(compute, dtype=float), np.asarray(reward, dtype=float)
    if c.shape != y.shape or c.ndim != 1:
        raise FitError("compute and reward must be two lists of the same length")
    if not np.all(np.isfinite(c)) or not np.all(np.isfinite(y)):
        raise FitError("compute and reward must be finite numbers")
    if np.any(c <= 0):
        raise FitError("compute must be positive (the curve is in log compute)")
    n_params = 3 if r0 is not None else 4
    distinct = len(np.unique(c))
    if distinct < n_params:
        raise FitError(f"{distinct} distinct compute value(s) cannot determine {n_params} parameters; "
                       f"the curve needs points at {n_params} or more compute values")
    if len(c) < n_params + 1:
        raise FitError(f"{len(c)} point(s) cannot fit {n_params} parameters; need at least {n_params + 1}")
    log_c = np.log(c)
    theta = _least_squares(log_c, y, r0)
    if theta is None:
        raise FitError("the least-squares fit did not converge from any starting point")
    fitted = theta[0] + (theta[1] - theta[0]) / (1.0 + np.exp(np.clip(theta[2] * (theta[3] - log_c), -700, 700)))
    residuals = y - fitted
    df = len(c) - n_params
    jacobian = _jacobian(log_c, theta, r0 is not None)
    s2 = float(residuals @ residuals) / df
    information = jacobian.T @ jacobian
    cov = None
    norms = np.sqrt(np.diag(information))
    if np.all(np.isfinite(information)) and np.all(norms > 0):
        scaled = information / np.outer(norms, norms)  # condition of the correlation form: scale-free
        if np.linalg.cond(scaled) < 1e10:
            cov = s2 * np.linalg.inv(scaled) / np.outer(norms, norms)
    intervals, status, reasons = _identify(theta, cov, t_quantile(0.5 + level / 2, df), log_c, y, r0 is not None)
    params = {"R0": float(theta[0]), "A": float(theta[1]), "B": float(theta[2]), "C_mid": float(np.exp(theta[3]))}
    fit = SigmoidFit(params, intervals, status, r0 is not None, len(c), distinct, (float(c.min()), float(c.max())),
                     float(np.sqrt(np.mean(residuals ** 2))), df, bool(params["C_mid"] <= c.max()),
                     _lack_of_fit(log_c, y, residuals, jacobian), _monotonicity(log_c, y), reasons, level=level)
    if cov is not None and not reasons:
        fit.draws = _draws(theta, cov, df, r0 is not None, n_boot, seed)
    fit.warnings = _warnings(fit, n_params)
    return fit


def _draws(theta: np.ndarray, cov: np.ndarray, df: int, fixed_r0: bool, n: int, seed: int) -> np.ndarray:
    """Parameter draws (R0, A, B, C_mid) from the multivariate t the intervals come from."""
    rng = np.random.default_rng(seed)
    centre = np.array([theta[1], math.log(theta[2]), theta[3]] if fixed_r0 else
                      [theta[0], theta[1], math.log(theta[2]), theta[3]])
    normal = rng.multivariate_normal(np.zeros(len(centre)), cov, size=n, method="eigh")
    sample = centre + normal * np.sqrt(df / rng.chisquare(df, size=n))[:, None]
    if fixed_r0:
        sample = np.column_stack([np.full(n, theta[0]), sample])
    return np.column_stack([sample[:, 0], sample[:, 1], np.exp(sample[:, 2]), np.exp(sample[:, 3])])


def _warnings(fit: SigmoidFit, n_params: int) -> list[str]:
    out = []
    low, high = fit.compute_range
    c_mid = fit.params["C_mid"]
    for name, reason in fit.reasons.items():
        out.append(f"{name} is unidentified: {reason}; it is not reported as an estimate")
    lof = fit.lack_of_fit
    if lof.get("p") is not None and lof["p"] < 0.05:
        out.append(f"lack of fit (p = {lof['p']:.2g}, {lof['test']}): the points depart from a sigmoid; its parameters "
                   f"and intervals hold only if the sigmoid does")
    if fit.monotonicity.get("falls"):
        m = fit.monotonicity
        out.append(f"the reward falls by {m['largest_fall']:.4g} after its peak at C={m['peak_compute']:.4g} (noise "
                   f"~{m['noise']:.2g}); a rising sigmoid cannot describe a fall")
    if not fit.reaches_inflection:
        where = f"C_mid ~ {c_mid:.4g} > " if fit.status["C_mid"] == "identified" else "the best fit puts C_mid beyond "
        out.append(f"the points do not reach the inflection ({where}the largest compute {high:.4g}): "
                   f"the ceiling A and efficiency B are extrapolated and unreliable; add points past C_mid")
    if fit.status["C_mid"] == "identified":
        if fit.reaches_inflection and fit.intervals["C_mid"] and fit.intervals["C_mid"][1] > high:
            out.append(f"the inflection is not pinned down: the C_mid interval reaches {fit.intervals['C_mid'][1]:.4g}, "
                       f"beyond the largest compute {high:.4g}; treat A and B as uncertain")
        if not fit.fixed_r0 and c_mid < low:
            out.append(f"the points start after the inflection (C_mid ~ {c_mid:.4g} < smallest compute {low:.4g}): "
                       f"R0 is extrapolated; fix it with r0 if the starting reward is known")
    if fit.points < n_params + 3:
        out.append(f"only {fit.points} points for {n_params} parameters: no lack-of-fit test, and intervals rest on "
                   f"{fit.df} degree(s) of freedom")
    return out
