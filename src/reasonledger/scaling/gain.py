"""Split the gain of one run over another, at matched compute, into a ceiling and an efficiency share.

At compute C the gain is R_new(C) - R_base(C). Changing the ceiling A alone and changing the
efficiency (B and C_mid) alone do not add up to it (the curve is not additive in them), so each
factor gets its Shapley share: its effect averaged over the orders in which the factors can be
switched from the baseline's value to the new run's. The shares then sum exactly to the gain.
If the starting reward R0 differs too, it is a third factor, `start`.
"""

from __future__ import annotations

from itertools import permutations
from math import factorial

import numpy as np

from reasonledger.scaling.sigmoid import PARAMS, SigmoidFit, sigmoid

FACTORS = {"start": ("R0",), "ceiling": ("A",), "efficiency": ("B", "C_mid")}


def _shapley(base: dict[str, float], new: dict[str, float], compute: float) -> dict[str, float]:
    factors = [f for f, names in FACTORS.items() if f != "start" or base["R0"] != new["R0"]]
    shares = dict.fromkeys(factors, 0.0)
    for order in permutations(factors):
        params = dict(base)
        before = float(sigmoid(compute, *(params[p] for p in PARAMS)))
        for factor in order:
            params.update({name: new[name] for name in FACTORS[factor]})
            after = float(sigmoid(compute, *(params[p] for p in PARAMS)))
            shares[factor] += after - before
            before = after
    return {f: v / factorial(len(factors)) for f, v in shares.items()}


def matched_compute(base: SigmoidFit, new: SigmoidFit) -> float:
    """The largest compute both runs reached: beyond it one of the curves is extrapolated."""
    return min(base.compute_range[1], new.compute_range[1])


def split_gain(base: SigmoidFit, new: SigmoidFit, compute: float | None = None) -> dict[str, object]:
    """Gain at `compute` (default: matched_compute) and its shares, with intervals from the fits' parameter draws;
    no shares when either fit has an unidentified parameter."""
    compute = matched_compute(base, new) if compute is None else compute
    if compute <= 0:
        raise ValueError("compute must be positive")
    gain = float(new.predict(compute) - base.predict(compute))
    unidentified = [name for name, fit in (("baseline", base), ("new", new)) if not fit.identified]
    if unidentified:
        return {"compute": compute, "gain": gain, "shares": None,
                "warnings": [f"the {' and '.join(unidentified)} fit has unidentified parameters: the gain is not split "
                             f"into ceiling and efficiency"]}
    point = _shapley(base.params, new.params, compute)
    result: dict[str, object] = {"compute": compute, "gain": gain, "shares": point}
    draws = min(len(base.draws), len(new.draws))
    if draws:
        samples = [_shapley(dict(zip(PARAMS, base.draws[i])), dict(zip(PARAMS, new.draws[i])), compute)
                   for i in range(draws)]
        tail = (1.0 - base.level) / 2 * 100
        result["intervals"] = {f: [float(np.percentile([s.get(f, 0.0) for s in samples], q)) for q in (tail, 100 - tail)]
                               for f in point}
    unreliable = [name for name, fit in (("baseline", base), ("new", new)) if fit.warnings]
    warnings = [f"the {' and '.join(unreliable)} fit carries warnings; read the split with them"] if unreliable else []
    if compute > matched_compute(base, new):
        warnings.append(f"compute {compute:.4g} is beyond what one of the runs reached; its curve is extrapolated")
    result["warnings"] = warnings
    return result
