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


def _number(x: Any) -> bool:
    """int or float, not bool: True is not 1 here (Python's == says it is)."""
    return type(x) in (int, float)


def _close(got: Any, expected: Any, atol: float, rtol: float) -> bool:
    """Same shape and types, element by element; a float expected is met by a number within
    atol + rtol * |expected| (when atol > 0), NaN by nothing, an infinity only by itself."""
    te = type(expected)
    if te is float:
        if not _number(got):
            return False
        if got == expected:
            return True
        if atol <= 0 or math.isnan(expected) or math.isinf(expected) or math.isinf(got) or math.isnan(got):
            return False
        return abs(got - expected) <= atol + rtol * abs(expected)
    if te is int:
        return _number(got) and got == expected
    if te in (list, tuple):
        return type(got) is te and len(got) == len(expected) and all(
            _close(g, e, atol, rtol) for g, e in zip(got, expected))
    if te is dict:
        return type(got) is dict and got.keys() == expected.keys() and all(
            _close(got[k], v, atol, rtol) for k, v in expected.items())
    if type(got) is not te:  # bool, str, bytes, None, sets, ...: the same type and Python equality
        return False
    try:
        return bool(got == expected)
    except Exception:  # e.g. comparing iterators; never equal then
        return False


def to_plain_json(x: Any) -> Any:
    """Tuples as lists (what a plain-JSON reference can express); other values unchanged."""
    if type(x) in (list, tuple):
        return [to_plain_json(v) for v in x]
    if type(x) is dict:
        return {k: to_plain_json(v) for k, v in x.items()}
    return x


def values_equal(got: Any, expected: Any, atol: float = 0.0, rtol: float = 1e-7) -> bool:
    """Equality on decoded builtins that respects type and shape (a list is not its element, True
    is not 1, a tuple is not a list), with evalplus's float rule: when the expected value is a float
    (or a list of floats) a tolerance of max(atol, 1e-6) applies (rtol 1e-7), to its floats only."""
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    return _close(got, expected, atol, rtol)
