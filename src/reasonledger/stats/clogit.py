"""Conditional logistic regression (one stratum per prompt) by Newton's method, with numpy only.

Within stratum h with m attempts of which s passed, the conditional likelihood of which s passed is
exp(sum_{i passed} x_i b) / e_s(exp(x_1 b), ..., exp(x_m b)), where e_s is the elementary symmetric
polynomial of degree s. Conditioning on s removes the stratum's own intercept (the prompt's
difficulty), so b measures how an attempt's covariates relate to passing among attempts at the same
prompt. e_s and its first two derivatives come from the recursion e_k <- e_k + w_j e_{k-1}, run for all
strata of one size at once and rescaled at every step so that large strata do not overflow.
Strata where every attempt passed or every attempt failed carry no information and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reasonledger.stats.pvalues import chi2_1, normal_quantile

CHUNK = 2048  # strata per vectorised block: memory is CHUNK x (s+1) x p x p floats


@dataclass(frozen=True)
class CLogitFit:
    coef: np.ndarray
    cov: np.ndarray | None  # None when the information matrix is singular (e.g. separation)
    loglik: float
    converged: bool
    strata: int
    attempts: int


@dataclass(frozen=True)
class _Block:
    x: np.ndarray  # (S, m, p), centred within each stratum
    y: np.ndarray  # (S, m) bool
    s: np.ndarray  # (S,) passes per stratum


def _blocks(strata: np.ndarray, y: np.ndarray, x: np.ndarray) -> list[_Block]:
    """Informative strata grouped by size (so each group is one dense array), chunked."""
    order = np.argsort(strata, kind="stable")
    keys, starts, sizes = np.unique(strata[order], return_index=True, return_counts=True)
    passes = np.add.reduceat(y[order].astype(int), starts) if len(keys) else np.zeros(0, int)
    keep = (passes > 0) & (passes < sizes)
    blocks = []
    for m in np.unique(sizes[keep]):
        chosen = np.flatnonzero(keep & (sizes == m))
        index = starts[chosen][:, None] + np.arange(m)[None, :]
        rows = order[index]
        for lo in range(0, len(rows), CHUNK):
            part = rows[lo:lo + CHUNK]
            xs = x[part]
            blocks.append(_Block(xs - xs.mean(axis=1, keepdims=True), y[part], passes[chosen[lo:lo + CHUNK]]))
    return blocks


def _block_terms(block: _Block, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    x, s = block.x, block.s
    n_strata, m, p = x.shape
    eta = x @ beta
    shift = eta.max(axis=1, keepdims=True)
    w = np.exp(eta - shift)
    top = int(s.max())
    e = np.zeros((n_strata, top + 1))
    e[:, 0] = 1.0
    g = np.zeros((n_strata, top + 1, p))
    h = np.zeros((n_strata, top + 1, p, p))
    log_scale = np.zeros(n_strata)
    for j in range(m):
        wj, xj = w[:, j], x[:, j, :]
        e_old, g_old, h_old = e[:, :-1], g[:, :-1], h[:, :-1]
        outer = xj[:, None, :, None] * g_old[:, :, None, :]
        h_add = h_old + outer + np.swapaxes(outer, 2, 3) + (xj[:, :, None] * xj[:, None, :])[:, None] * e_old[..., None, None]
        g_add = g_old + xj[:, None, :] * e_old[..., None]
        e = np.concatenate([e[:, :1], e[:, 1:] + wj[:, None] * e_old], axis=1)
        g = np.concatenate([g[:, :1], g[:, 1:] + wj[:, None, None] * g_add], axis=1)
        h = np.concatenate([h[:, :1], h[:, 1:] + wj[:, None, None, None] * h_add], axis=1)
        scale = e.max(axis=1)
        e, g, h = e / scale[:, None], g / scale[:, None, None], h / scale[:, None, None, None]
        log_scale += np.log(scale)
    rows = np.arange(n_strata)
    es, gs, hs = e[rows, s], g[rows, s], h[rows, s]
    mean = gs / es[:, None]
    log_denominator = np.log(es) + log_scale + s * shift[:, 0]
    observed = (x * block.y[..., None]).sum(axis=1)
    loglik = float((observed @ beta).sum() - log_denominator.sum())
    gradient = (observed - mean).sum(axis=0)
    hessian = -(hs / es[:, None, None] - mean[:, :, None] * mean[:, None, :]).sum(axis=0)
    return loglik, gradient, hessian


def _terms(blocks: list[_Block], beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    p = len(beta)
    total, gradient, hessian = 0.0, np.zeros(p), np.zeros((p, p))
    for block in blocks:
        ll, g, h = _block_terms(block, beta)
        total, gradient, hessian = total + ll, gradient + g, hessian + h
    return total, gradient, hessian


def _newton(blocks: list[_Block], p: int, max_iter: int = 60) -> tuple[np.ndarray, float, np.ndarray, bool]:
    beta = np.zeros(p)
    ll, gradient, hessian = _terms(blocks, beta)
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(-hessian, gradient)
        except np.linalg.LinAlgError:
            step = gradient * 1e-2
        for _halving in range(30):
            candidate = beta + step
            new_ll, new_g, new_h = _terms(blocks, candidate)
            if new_ll >= ll - 1e-12:
                break
            step = step / 2
        else:
            return beta, ll, hessian, False
        done = abs(new_ll - ll) < 1e-10 and float(np.max(np.abs(step))) < 1e-8
        beta, ll, gradient, hessian = candidate, new_ll, new_g, new_h
        if done:
            return beta, ll, hessian, True
    return beta, ll, hessian, False


def fit_clogit(strata: np.ndarray, y: np.ndarray, x: np.ndarray) -> CLogitFit:
    """Fit on attempts with stratum ids `strata`, outcomes `y` and covariates `x` (n x p)."""
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    blocks = _blocks(np.asarray(strata), np.asarray(y, dtype=bool), x)
    p = x.shape[1]
    if p == 0:
        ll, _, _ = _terms(blocks, np.zeros(0))
        return CLogitFit(np.zeros(0), np.zeros((0, 0)), ll, True, len(blocks), 0)
    beta, ll, hessian, converged = _newton(blocks, p)
    cov = None
    information = -hessian
    if converged and np.all(np.isfinite(information)) and np.linalg.cond(information) < 1e12:
        cov = np.linalg.inv(information)
    return CLogitFit(beta, cov, ll, converged, sum(len(b.s) for b in blocks), sum(b.y.size for b in blocks))


def estimable_columns(strata: np.ndarray, x: np.ndarray) -> list[int]:
    """Columns of x that vary within some stratum and are not collinear with earlier ones."""
    order = np.argsort(strata, kind="stable")
    _, inverse = np.unique(strata[order], return_inverse=True)
    sums = np.zeros((inverse.max() + 1, x.shape[1]))
    np.add.at(sums, inverse, x[order])
    counts = np.bincount(inverse)[:, None]
    centred = x[order] - (sums / counts)[inverse]
    keep: list[int] = []
    for column in range(x.shape[1]):
        trial = centred[:, keep + [column]]
        if np.linalg.matrix_rank(trial, tol=1e-9 * max(1.0, float(np.abs(trial).max()))) == len(keep) + 1:
            keep.append(column)
    return keep


@dataclass(frozen=True)
class Effect:
    """The first covariate's conditional log odds ratio, with a Wald interval and a likelihood-ratio p."""

    coef: float
    se: float | None
    interval: tuple[float, float] | None
    p: float
    separated: bool
    strata: int
    attempts: int


def first_effect(strata: np.ndarray, y: np.ndarray, x: np.ndarray, level: float = 0.95) -> Effect:
    """Fit with all columns and without the first; the LR test stays valid when the first covariate
    separates passes from failures (where the Wald interval does not exist)."""
    full = fit_clogit(strata, y, x)
    reduced = fit_clogit(strata, y, x[:, 1:])
    p = chi2_1(2.0 * (full.loglik - reduced.loglik))
    coef = float(full.coef[0])
    se = math.sqrt(full.cov[0, 0]) if full.cov is not None and full.cov[0, 0] > 0 else None
    separated = se is None or abs(coef) > 15
    interval = None
    if not separated and se is not None:
        z = normal_quantile(0.5 + level / 2)
        interval = (coef - z * se, coef + z * se)
    return Effect(coef, None if separated else se, interval, p, separated, full.strata, full.attempts)

