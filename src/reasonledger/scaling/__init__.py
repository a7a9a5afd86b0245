"""Scaling: pass@k, scaling-curve fits, reuse accounting."""
