"""Output checkers for stdio tests, and value comparison for call tests. Run in the parent, on data.

stdio checkers (the reference's `checker`):
  exact  - equal after normalising line ends (\\r\\n, \\r) and trailing spaces, and trailing blank lines
  tokens - equal as whitespace-separated token sequences
  float  - token by token; numeric tokens equal within abs or rel tolerance (default 1e-6),
           NaN and inf only equal to themselves written the same way
  yesno  - token by token, case-insensitive (YES == yes), otherwise exact
A special-judge program is not here: it runs in its own sandbox (see execute.py).
"""

from __future__ import annotations

import math
from typing import Any

STDIO_CHECKERS = ("exact", "tokens", "float", "yesno")


def normalise_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [ln.rstrip() for ln in lines]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def check_exact(got: str, expected: str) -> bool:
    return normalise_lines(got) == normalise_lines(expected)


def check_tokens(got: str, expected: str) -> bool:
    return got.split() == expected.split()


def _num(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def check_float(got: str, expected: str, tol: float = 1e-6) -> bool:
    g, e = got.split(), expected.split()
    if len(g) != len(e):
        return False
    for a, b in zip(g, e):
        if a == b:
            continue
        x, y = _num(a), _num(b)
        if x is None or y is None:
            return False
        if not (math.isfinite(x) and math.isfinite(y)):
            return False  # nan/inf match only when written identically (handled above)
        if abs(x - y) <= tol or abs(x - y) <= tol * abs(y):
            continue
        return False
    return True


def check_yesno(got: str, expected: str) -> bool:
    g, e = got.split(), expected.split()
    if len(g) != len(e):
        return False
    return all(a == b or (a.lower() in ("yes", "no") and a.lower() == b.lower()) for a, b in zip(g, e))


def check_stdio(checker: str, got: str, expected: str, tol: float = 1e-6) -> bool:
    if checker == "exact":
        return check_exact(got, expected)
    if checker == "tokens":
        return check_tokens(got, expected)
    if checker == "float":
        return check_float(got, expected, tol)
    if checker == "yesno":
        return check_yesno(got, expected)
    raise ValueError(f"unknown checker {checker!r}; one of {', '.join(STDIO_CHECKERS)} or a special judge program")


# --- values ---------------------------------------------------------------------------------


def _is_floats(x: Any) -> bool:
    if type(x) is float:
        return True
    if type(x) in (list, tuple) and x:
        return all(type(v) is float for v in x)
    return False


def _flat(x: Any) -> list | None:
    if type(x) in (int, float, bool):
        return [float(x)]
    if type(x) in (list, tuple):
        out: list = []
        for v in x:
            f = _flat(v)
            if f is None:
                return None
            out += f
        return out
    return None


def _allclose(a: Any, b: Any, atol: float, rtol: float) -> bool:
    fa, fb = _flat(a), _flat(b)
    if fa is None or fb is None or len(fa) != len(fb):
        return False
    for x, y in zip(fa, fb):
        if math.isnan(x) or math.isnan(y):
            return False
        if math.isinf(x) or math.isinf(y):
            if x != y:
                return False
            continue
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


def to_plain_json(x: Any) -> Any:
    """Tuples as lists (what a plain-JSON reference can express); other values unchanged."""
    if type(x) in (list, tuple):
        return [to_plain_json(v) for v in x]
    if type(x) is dict:
        return {k: to_plain_json(v) for k, v in x.items()}
    return x


def values_equal(got: Any, expected: Any, atol: float = 0.0, rtol: float = 1e-7) -> bool:
    """Python equality on decoded builtins, with evalplus's float rule: when the expected value is
    a float (or a list of floats) a tolerance of max(atol, 1e-6) applies (rtol 1e-7)."""
    try:
        if got == expected:
            return True
    except Exception:  # noqa: BLE001 - e.g. comparing iterators; never equal then
        return False
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    if atol:
        return _allclose(got, expected, atol, rtol)
    return False
