"""Every evaluation path under the per-check deadline, and malformed answers failed with a reason.

An 11x11 determinant once ran for minutes against a 1 s limit (cofactor expansion), and
Cyrillic letters, matrices under `!` and matrix powers ended as `internal error` reasons."""

import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonledger.verifiers.math import MathVerifier

V = MathVerifier()
BOUND = 2.0  # seconds per check (the limit is 1 s; the margin is for a loaded machine)


def _matrix(rows: list[list[int]]) -> str:
    return r"\begin{pmatrix}" + r" \\ ".join(" & ".join(map(str, r)) for r in rows) + r"\end{pmatrix}"


def _det(rows: list[list[int]]) -> Fraction:
    a = [[Fraction(x) for x in r] for r in rows]
    n, out = len(a), Fraction(1)
    for c in range(n):
        p = next((r for r in range(c, n) if a[r][c]), None)
        if p is None:
            return Fraction(0)
        if p != c:
            a[c], a[p], out = a[p], a[c], -out
        out *= a[c][c]
        for r in range(c + 1, n):
            f = a[r][c] / a[c][c]
            a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return out


def _timed(reference, response):
    t = time.perf_counter()
    verdict = V.verify(reference, response)
    elapsed = time.perf_counter() - t
    assert elapsed < BOUND, (elapsed, verdict.evidence)
    assert verdict.evidence["method"] != "error", verdict.evidence
    assert verdict.passed or verdict.evidence["reason"]
    return verdict


@pytest.mark.parametrize("n", [11, 12])
def test_a_large_determinant_is_computed_in_time(sympy_worker_started, n):
    rng = random.Random(n)
    rows = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]
    det = rf"$\det{_matrix(rows)}$"
    assert _timed(str(_det(rows)), det).passed
    assert not _timed(str(_det(rows) + 1), det).passed


@pytest.mark.parametrize("response", [
    "$а + б$", "$х+1$", "$Ω$", "$𝑥+1$", "$x²$",  # Cyrillic, Greek and mathematical look-alikes
    r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}!$", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}!!$",
    r"$\sqrt{\begin{pmatrix}1&2\\3&4\end{pmatrix}}$", r"$2^{\begin{pmatrix}1&2\\3&4\end{pmatrix}}$",
    r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{-1}$", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{x}$",
    r"$\begin{pmatrix}1&2&3\\3&4&5\end{pmatrix}^{2}$", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{100000}$",
    r"$\sin\begin{pmatrix}1&2\\3&4\end{pmatrix}$", r"$|\begin{pmatrix}1&2\\3&4\end{pmatrix}|$",
    r"$\binom{\begin{pmatrix}1\end{pmatrix}}{2}$", r"$\det(x)$", r"$\begin{pmatrix}\begin{pmatrix}1\end{pmatrix}\end{pmatrix}$",
    r"$\sum_{k=1}^{3} \begin{pmatrix}k\end{pmatrix}$", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix} + 1$",
])
@pytest.mark.parametrize("reference", ["5", r"\begin{pmatrix}7&10\\15&22\end{pmatrix}", "x+1"])
def test_malformed_answers_fail_cleanly(sympy_worker_started, reference, response):
    verdict = _timed(reference, response)
    assert not verdict.passed
    assert "internal error" not in verdict.evidence["reason"]
    assert not any(name in verdict.evidence["reason"] for name in ("AssertionError", "TypeError", "AttributeError"))


def test_matrix_powers_are_evaluated():
    assert _timed(r"\begin{pmatrix}7&10\\15&22\end{pmatrix}", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{2}$").passed
    assert _timed(r"\begin{pmatrix}1&0\\0&1\end{pmatrix}", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{0}$").passed
    assert not _timed(r"\begin{pmatrix}7&10\\15&23\end{pmatrix}", r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}^{2}$").passed


_PIECES = [
    r"\frac", r"\sqrt", "{", "}", "(", ")", "^", "_", "!", "=", ",", r"\pm", r"\pi", "x", "e", "2", "10", "0.5", "-",
    "+", "/", "|", r"\boxed{", "$", r"\text{cm}", r"\begin{pmatrix}", r"\end{pmatrix}", "&", r"\\", r"\det", "х", "а",
    r"\sum_{k=1}^{n}", "%", " and ", "99!", "^{99}", "<think>", "</think>", " not ", "\n",
]
_PHRASES = ["answer: ", "the answer is ", "Answer: ", "#### ", r"\boxed{", "$", "<answer>", "not ", "1 123 ", "**"]


@st.composite
def _latex(draw):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["pieces", "det", "repeat", "power"]))
        if kind == "pieces":
            parts.append("".join(draw(st.lists(st.sampled_from(_PIECES), max_size=20))))
        elif kind == "det":
            n = draw(st.integers(1, 13))
            seed = draw(st.integers(0, 10**6))
            rng = random.Random(seed)
            parts.append(r"\det" + _matrix([[rng.choice(["x", "1", "-3", "7", "0", "2^{9}"]) for _ in range(n)] for _ in range(n)]))
        elif kind == "repeat":
            parts.append(draw(st.sampled_from(_PHRASES)) * draw(st.integers(1, 30_000)))
        else:
            parts.append(_matrix([[1, 2], [3, 4]]) + "^{" + str(draw(st.integers(-3, 2000))) + "}")
    return draw(st.sampled_from(["", "$", r"\boxed{", "The answer is $"])) + "".join(parts) + draw(st.sampled_from(["", "$", "}"]))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_latex(), _latex())
def test_fuzz_every_check_returns_within_the_bound(sympy_worker_started, ref, resp):
    _timed(ref or "1", resp)
