"""The Beta distribution and the one posterior-interval default for pass rates.

Every pass-rate interval in reasonledger (the audit's difficulty band, the `pass_rate` step, and
through it `band_filter`) comes from `beta_interval` with the prior and level below unless a recipe
or the audit config overrides them, and every place that reports one records the prior and level.
Jeffreys' prior Beta(1/2, 1/2) is used because its equal-tailed interval has close to nominal
frequentist coverage for a binomial proportion even with a handful of trials (Brown, Cai and
DasGupta 2001), where the uniform prior's interval is pulled towards 1/2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Posterior:
    prior: tuple[float, float]
    level: float

    def describe(self) -> dict[str, object]:
        a, b = self.prior
        name = "Jeffreys" if (a, b) == (0.5, 0.5) else "uniform" if (a, b) == (1.0, 1.0) else "custom"
        return {"prior": [a, b], "prior_name": f"Beta({a:g}, {b:g}) ({name})", "level": self.level,
                "interval": "equal-tailed posterior interval"}


DEFAULT_POSTERIOR = Posterior(prior=(0.5, 0.5), level=0.9)


def posterior_record(prior: Sequence[float], level: float) -> dict[str, object]:
    """The prior and level used, beside the default, for a report or card to show both."""
    used = Posterior((float(prior[0]), float(prior[1])), float(level))
    return {**used.describe(), "default": DEFAULT_POSTERIOR.describe(), "overrides_default": used != DEFAULT_POSTERIOR}


def posteriors_used(steps: Sequence[dict[str, Any]], difficulty: dict[str, Any] | None) -> dict[str, object]:
    """For the release card: the default, and the posterior each place that made an interval used
    (the `pass_rate` steps of the run, from their recorded params; the audit's difficulty section)."""
    used: dict[str, object] = {"default": DEFAULT_POSTERIOR.describe()}
    for step in steps:
        if step.get("step") == "pass_rate":
            params = step.get("params", {})
            label = step.get("label") or "pass_rate"
            used[f"step {label}"] = posterior_record(params.get("prior", DEFAULT_POSTERIOR.prior),
                                                     params.get("level", DEFAULT_POSTERIOR.level))
    if difficulty and isinstance(difficulty.get("posterior"), dict):
        used["audit difficulty"] = difficulty["posterior"]
    used["overridden"] = [k for k, v in used.items() if isinstance(v, dict) and v.get("overrides_default")]
    return used


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta (Lentz's method)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def beta_quantile(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection on `beta_cdf`."""
    low, high = 0.0, 1.0
    for _ in range(64):
        mid = (low + high) / 2
        low, high = (mid, high) if beta_cdf(mid, a, b) < q else (low, mid)
    return (low + high) / 2


@lru_cache(maxsize=65536)
def beta_interval(passed: int, n: int, prior: tuple[float, float] = DEFAULT_POSTERIOR.prior,
                  level: float = DEFAULT_POSTERIOR.level) -> tuple[float, float]:
    """Equal-tailed `level` interval of the Beta(prior_a + passed, prior_b + n - passed) posterior."""
    a, b = prior[0] + passed, prior[1] + n - passed
    tail = (1.0 - level) / 2.0
    return beta_quantile(tail, a, b), beta_quantile(1.0 - tail, a, b)


def describe_posteriors(used: dict[str, Any] | None) -> str:
    """One line for a card: the default, then each place that made intervals, marking overrides."""
    if not used:
        return "unknown"

    def one(entry: dict[str, Any]) -> str:
        return f"{entry['prior_name']} at {entry['level']:.0%}"

    parts = [f"default {one(used['default'])}"]
    parts += [f"{name}: {one(entry)}" + (" (overrides the default)" if entry.get("overrides_default") else "")
              for name, entry in used.items() if name not in ("default", "overridden") and isinstance(entry, dict)]
    return "; ".join(parts)
