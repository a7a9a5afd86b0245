"""The last resort: sympy, run only inside a worker process of `pool.SymbolicPool`.

sympy can take unbounded time (simplify, solveset, denesting radicals), and pure-Python code
in the verifier's own process cannot be interrupted from another thread. So this module is
imported by the workers, which the pool kills when their time is up; the verifier's process
never imports sympy for a check. Trees arrive as the parser's tuples and are rebuilt here
directly, without a LaTeX round trip.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

_FUNCS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arcsec": sp.asec, "arccsc": sp.acsc,
    "arccot": sp.acot, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "coth": sp.coth, "exp": sp.exp,
    "ln": sp.log, "log": sp.log, "floor": sp.floor, "ceil": sp.ceiling, "sgn": sp.sign, "arg": sp.arg,
}


class NotConvertible(Exception):
    pass


_MAX_DET_SIZE = 16


def to_sympy(node: Any) -> Any:
    kind = node[0]
    if kind == "num":
        q: Fraction = node[1]
        return sp.Rational(q.numerator, q.denominator)
    if kind == "sym":
        return sp.Symbol(node[1], real=True)
    if kind == "const":
        return {"pi": sp.pi, "e": sp.E, "i": sp.I, "oo": sp.oo}[node[1]]
    if kind == "add":
        return sp.Add(*[to_sympy(t) for t in node[1]])
    if kind == "neg":
        return -to_sympy(node[1])
    if kind == "mul":
        return sp.Mul(*[to_sympy(t) for t in node[1]])
    if kind == "inv":
        return 1 / to_sympy(node[1])
    if kind == "pow":
        return sp.Pow(to_sympy(node[1]), to_sympy(node[2]))
    if kind == "root":
        x, n = to_sympy(node[1]), to_sympy(node[2])
        return sp.real_root(x, n) if n.is_Integer and n % 2 == 1 else sp.root(x, n)
    if kind == "fact":
        return sp.factorial(to_sympy(node[1]))
    if kind == "abs":
        return sp.Abs(to_sympy(node[1]))
    if kind == "pct":
        return to_sympy(node[1]) / 100
    if kind == "base":
        return sp.Integer(int(node[1], node[2]))
    if kind == "func":
        name, args = node[1], [to_sympy(a) for a in node[2]]
        if name in _FUNCS:
            return _FUNCS[name](*args)
        if name == "logb":
            return sp.log(args[0], args[1])
        if name == "binom":
            return sp.binomial(*args)
        if name in ("max", "min"):
            return (sp.Max if name == "max" else sp.Min)(*args)
        if name in ("gcd", "lcm"):
            return (sp.gcd if name == "gcd" else sp.lcm)(*args)
        if name == "det":
            m = args[0]
            if not isinstance(m, sp.MatrixBase) or not m.is_square or m.rows > _MAX_DET_SIZE:
                raise NotConvertible(f"det needs a square matrix of at most {_MAX_DET_SIZE} rows")
            return m.det(method="bareiss")  # polynomial; cofactor expansion is O(n!)
        raise NotConvertible(name)
    if kind == "ufunc":
        return sp.Function(node[1])(*[to_sympy(a) for a in node[2]])
    if kind == "idx":
        return sp.Function(node[1] + "_")(to_sympy(node[2]))
    if kind in ("sum", "prod"):
        _, var, lo, hi, body = node
        k = sp.Symbol(var, integer=True)
        b = to_sympy(body).subs(sp.Symbol(var, real=True), k)
        cls = sp.Sum if kind == "sum" else sp.Product
        return cls(b, (k, to_sympy(lo), to_sympy(hi)))
    if kind == "matrix":
        return sp.Matrix([[to_sympy(c) for c in row] for row in node[1]])
    if kind == "interval":
        lo, hi = to_sympy(node[1]), to_sympy(node[2])
        return sp.Interval(lo, hi, not node[3], not node[4])
    if kind == "union":
        return sp.Union(*[to_sympy(p) for p in node[1]])
    if kind == "inter":
        return sp.Intersection(*[to_sympy(p) for p in node[1]])
    if kind == "setminus":
        return sp.Complement(to_sympy(node[1]), to_sympy(node[2]))
    if kind == "set":
        return sp.FiniteSet(*[to_sympy(x) for x in node[1]])
    if kind == "rel":
        return _relation(node)
    if kind == "list" and all(x[0] == "rel" for x in node[1]):
        return sp.And(*[_relation(x) for x in node[1]])
    raise NotConvertible(kind)


_REL = {"=": sp.Eq, "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "!=": sp.Ne, "~": sp.Eq}


def _relation(node: Any) -> Any:
    parts = [to_sympy(p) for p in node[1]]
    rels = [_REL[op](parts[i], parts[i + 1], evaluate=False) for i, op in enumerate(node[2]) if op in _REL]
    if len(rels) != len(node[2]):
        raise NotConvertible("relation")
    return rels[0] if len(rels) == 1 else sp.And(*rels)


def _as_set(expr: Any) -> Any:
    if isinstance(expr, sp.Set):
        return expr
    syms = expr.free_symbols
    if len(syms) != 1:
        raise NotConvertible("relation in several unknowns")
    (x,) = syms
    return expr.as_set() if x.is_real else sp.solveset(expr, x, sp.S.Reals)


def compare(ref: Any, resp: Any, kind: str) -> tuple[bool | None, str]:
    """(equal, how): equal is None when sympy cannot decide either way."""
    try:
        a, b = to_sympy(ref), to_sympy(resp)
    except (NotConvertible, TypeError, ValueError) as exc:
        return None, f"not convertible: {exc}"
    if kind in ("relation", "relation_set"):
        if isinstance(a, (sp.Eq,)) and isinstance(b, sp.Eq) and kind == "relation":
            ratio = sp.simplify((a.lhs - a.rhs) / (b.lhs - b.rhs))
            if not ratio.free_symbols and ratio != 0:
                return True, "equations are multiples"
        try:
            sa, sb = _as_set(a), _as_set(b)
        except (NotConvertible, NotImplementedError, TypeError, ValueError) as exc:
            return None, f"could not solve: {exc}"
        return bool(sa == sb or sp.simplify(sp.SymmetricDifference(sa, sb)) == sp.S.EmptySet), "solution sets"
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            return False, "matrix shapes"
        return all(sp.simplify(x - y) == 0 for x, y in zip(a, b)), "matrix entries"
    diff = sp.simplify(a - b)
    if diff == 0:
        return True, "simplify(a - b) = 0"
    eq = a.equals(b)
    if eq is True:
        return True, "equals"
    if eq is False or diff.is_number and diff != 0:
        return False, "simplify(a - b) != 0"
    return None, "undecided"


def hold(seconds: float) -> bool:
    """Keep a worker busy (a stand-in for a sympy call that never ends); the pool's kill is tested with it."""
    import time

    time.sleep(seconds)
    return True
