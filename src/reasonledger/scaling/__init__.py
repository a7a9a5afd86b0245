"""Scaling: pass@k, pass@(k,T), scaling-curve fits, gain splits, reuse accounting.

scipy (for the curve fits) is imported only when a curve is fitted.
"""

from reasonledger.scaling.budget import passk_budget_report
from reasonledger.scaling.card import save_curves, scaling_section
from reasonledger.scaling.curves import fit_curves, read_curve_csv
from reasonledger.scaling.gain import split_gain
from reasonledger.scaling.passk import collect_outcomes, pass_at_k, passk_estimate, passk_report
from reasonledger.scaling.reuse import reuse_report
from reasonledger.scaling.sigmoid import fit_sigmoid, sigmoid

__all__ = ["collect_outcomes", "fit_curves", "fit_sigmoid", "pass_at_k", "passk_budget_report", "passk_estimate",
           "passk_report", "read_curve_csv", "reuse_report", "save_curves", "scaling_section", "sigmoid", "split_gain"]
