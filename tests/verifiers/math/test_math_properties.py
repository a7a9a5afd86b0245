"""Property tests: one number in different notations matches; different numbers do not."""

from fractions import Fraction

from hypothesis import given, settings, strategies as st

from reasonledger.verifiers.math import MathVerifier

V = MathVerifier()

rationals = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4)


def notations(q: Fraction) -> list[str]:
    """Ways to write q: fractions (LaTeX, plain, unreduced, boxed, in prose) and, where exact, decimals."""
    n, d = q.numerator, q.denominator
    sign = "-" if n < 0 else ""
    a = abs(n)
    out = [f"{n}/{d}", f"{sign}\\frac{{{a}}}{{{d}}}", f"$\\boxed{{{sign}\\dfrac{{{a}}}{{{d}}}}}$",
           f"\\left({sign}\\frac{{{2 * a}}}{{{2 * d}}}\\right)", f"The answer is ${n}/{d}$."]
    if d == 1:
        out += [str(n), f"{n}.0", f"{n:,}", f"{sign}{a:,}".replace(",", "{,}")]
    rest = d
    for p in (2, 5):
        while rest % p == 0:
            rest //= p
    if rest == 1:  # a terminating decimal: plain, boxed and scientific
        digits = 0
        while (q * 10**digits).denominator != 1:
            digits += 1
        out += [f"{float(q):.{digits}f}", f"\\boxed{{{float(q):.{digits}f}}}"]
        if q != 0:
            out.append(f"{float(q * 1000):.{digits}f} \\times 10^{{-3}}")
            out.append(f"{float(q * 1000):.{digits}f}e-3")
    return out


@settings(max_examples=150, deadline=None)
@given(rationals, st.data())
def test_same_number_in_different_notations_matches(q, data):
    forms = notations(q)
    ref = data.draw(st.sampled_from(forms))
    resp = data.draw(st.sampled_from(forms))
    verdict = V.verify(ref, resp)
    assert verdict.passed, (ref, resp, verdict.evidence)


@settings(max_examples=150, deadline=None)
@given(rationals, rationals, st.data())
def test_different_numbers_do_not_match(q, r, data):
    if q == r:
        return
    ref = data.draw(st.sampled_from(notations(q)))
    resp = data.draw(st.sampled_from(notations(r)))
    verdict = V.verify(ref, resp)
    assert not verdict.passed, (ref, resp, verdict.evidence)


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=400))
def test_tiny_numbers_are_compared_relatively(a, b):
    ref, resp = f"\\frac{{1}}{{2^{{{a}}}}}", f"2^{{-{b}}}"
    assert V.verify(ref, resp).passed == (a == b)


_PIECES = st.sampled_from([
    "\\frac", "\\sqrt", "{", "}", "(", ")", "[", "]", "\\{", "\\}", "^", "_", "!", "=", "<", "\\le", ",", ";", ":",
    "\\pm", "\\infty", "\\pi", "x", "e", "i", "2", "10", "0.5", "-", "+", "*", "/", "|", "\\boxed{", "$", "\\text{cm}",
    "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\sum_{k=1}^{n}", "%", "\\ldots", " and ", "\\cup", "\\in",
    # the answer forms of issue 15
    "\\mid", "\\neq", "\\text{ or }", "\\setminus", "\\approx", "1.36", "41.4\\%", "21 \\dfrac{13}{14}", "^\\circ", "42'",
    "\u2462", "\uff11\uff12", "<sup>", "</sup>", "\\text{ for all }", "\\mathbb{Z}", "k", "n", "p=3", "\u2032",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join), st.lists(_PIECES, max_size=25).map("".join))
def test_arbitrary_latex_never_raises_and_stays_in_time(sympy_worker_started, ref, resp):
    import time

    t = time.perf_counter()
    verdict = V.verify(ref or "1", resp)
    assert time.perf_counter() - t < 1.5
    assert verdict.evidence["method"] != "error", verdict.evidence
    assert verdict.passed or verdict.evidence["reason"]
