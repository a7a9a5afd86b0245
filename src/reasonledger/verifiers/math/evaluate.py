"""Evaluate an answer tree: exactly in rationals when possible, else in mpmath, always bounded.

Exact rational arithmetic decides most answers outright (`1/2^{99}` is not `1/2^{98}`, whatever
the float rounding). Irrational values are computed with mpmath in a private context at 30 or
60 digits. Before any power or factorial is computed its size is estimated, so `10^{10^{10}}`
or `9999999!` raises `Pathological` at once instead of filling memory.

Free symbols take the values of `env`; undefined functions (`f(x)`, `F_{n-k}`) take stable
pseudo-random values of their arguments, so an identity test at random points treats them as
unknown functions.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction
from typing import Any

import mpmath

from reasonledger.verifiers.math.limits import Deadline, Limits, Pathological
from reasonledger.verifiers.math.parse import Node


class NotExact(Exception):
    """The value is not rational (or needs a transcendental function)."""


class Unsupported(Exception):
    """This node has no numeric value (text, sets, relations) or is outside what is evaluated."""


class DomainError(Exception):
    """Division by zero, log of zero and the like at this point."""


class ShapeError(Exception):
    """A matrix where a number is needed (`M!`, `\\sqrt{M}`, `2^M`) or matrices of mismatched shapes.

    Not passed on to sympy: the answer is malformed, and the verdict says so."""


MAX_MATRIX_POWER = 1_000  # M^k by repeated squaring, up to this k


def _context(dps: int) -> Any:
    ctx = mpmath.ctx_mp.MPContext()
    ctx.dps = dps
    return ctx


CONTEXTS = {30: _context(30), 60: _context(60)}


class Matrix:
    """A matrix value: rows of scalars; supports +, scalar and matrix products."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])


def _stable_value(key: str) -> Fraction:
    h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return Fraction(h % 1_000_003 + 1, 997)


class Evaluator:
    """One evaluation mode over one environment: `exact` (Fractions) or `mp` (mpmath at `dps`)."""

    def __init__(self, limits: Limits, deadline: Deadline | None, env: dict[str, Fraction] | None = None,
                 mode: str = "exact", dps: int = 30) -> None:
        self.limits = limits
        self.deadline = deadline
        self.env = env or {}
        self.mode = mode
        self.mp = CONTEXTS[dps] if mode == "mp" else None
        self.steps = 0

    # -- entry
    def value(self, node: Node) -> Any:
        self.steps += 1
        if self.deadline is not None and self.steps % 64 == 0:
            self.deadline.check()
        kind = node[0]
        fn = getattr(self, "_" + kind, None)
        if fn is None:
            raise Unsupported(f"{kind} has no numeric value")
        return fn(node)

    def scalar(self, node: Node, what: str) -> Any:
        """The value of `node`, which `what` needs to be a number."""
        v = self.value(node)
        if isinstance(v, Matrix):
            raise ShapeError(f"a matrix where {what} needs a number")
        return v

    # -- leaves
    def _num(self, node: Node) -> Any:
        return node[1] if self.mode == "exact" else self.mp.mpf(node[1].numerator) / node[1].denominator

    def _lift(self, q: Fraction) -> Any:
        return q if self.mode == "exact" else self.mp.mpf(q.numerator) / q.denominator

    def _sym(self, node: Node) -> Any:
        name = node[1]
        if name not in self.env:
            raise Unsupported(f"free symbol {name}")
        return self._lift(self.env[name])

    def _const(self, node: Node) -> Any:
        c = node[1]
        if c == "oo":
            raise Unsupported("infinity")
        if self.mode == "exact":
            raise NotExact(c)
        return {"pi": self.mp.pi, "e": self.mp.e, "i": self.mp.mpc(0, 1)}[c]

    def _base(self, node: Node) -> Any:
        return self._lift(Fraction(int(node[1], node[2])))

    def _pct(self, node: Node) -> Any:
        return self.scalar(node[1], "a percentage") / 100

    def _text(self, node: Node) -> Any:
        raise Unsupported("text")

    # -- arithmetic
    def _add(self, node: Node) -> Any:
        total: Any = None
        for t in node[1]:
            v = self.value(t)
            total = v if total is None else _plus(total, v)
        return total

    def _neg(self, node: Node) -> Any:
        v = self.value(node[1])
        return _scale(v, -1)

    def _pmt(self, node: Node) -> Any:
        raise Unsupported("unexpanded ±")

    def _mul(self, node: Node) -> Any:
        total: Any = None
        for f in node[1]:
            v = self.value(f)
            total = v if total is None else _times(total, v, self)
        return total

    def _inv(self, node: Node) -> Any:
        v = self.value(node[1])
        if isinstance(v, Matrix):
            raise ShapeError("the inverse of a matrix is not evaluated")
        if v == 0:
            raise DomainError("division by zero")
        return 1 / v

    def _pow(self, node: Node) -> Any:
        base = self.value(node[1])
        exp_node = node[2]
        exp = self.value(exp_node)
        if isinstance(exp, Matrix):
            raise ShapeError("a matrix as an exponent")
        if isinstance(base, Matrix):
            return self._matrix_power(base, exp)
        return self.power(base, exp)

    def _matrix_power(self, m: Matrix, exp: Any) -> Matrix:
        """M^k for a square M and a whole k in [0, MAX_MATRIX_POWER], by repeated squaring."""
        n, cols = m.shape
        if n != cols:
            raise ShapeError(f"a power of a non-square {n}x{cols} matrix")
        k = _whole(exp, self.mp)
        if k is None or k < 0 or k > MAX_MATRIX_POWER:
            raise ShapeError(f"a matrix power other than a whole number from 0 to {MAX_MATRIX_POWER:,}")
        result = Matrix([[self._lift(Fraction(int(i == j))) for j in range(n)] for i in range(n)])
        square = m
        while k:
            if k & 1:
                result = _times(result, square, self)
            k >>= 1
            if k:
                square = _times(square, square, self)
        return result

    def power(self, base: Any, exp: Any) -> Any:
        if self.mode == "exact":
            if exp.denominator == 1:
                e = exp.numerator
                if base == 0:
                    if e < 0:
                        raise DomainError("0 to a negative power")
                    return Fraction(1) if e == 0 else Fraction(0)
                if abs(base) != 1:
                    if abs(e) > self.limits.max_exponent:
                        raise Pathological(f"power with exponent {_size(e)} exceeds the limit of {self.limits.max_exponent:,}")
                    bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
                    if bits * abs(e) > self.limits.max_int_bits:
                        raise Pathological(f"power of about {bits * abs(e):,} bits exceeds the limit of {self.limits.max_int_bits:,}")
                return base**e
            # rational exponent: exact only for perfect powers of a positive base
            if base < 0:
                raise NotExact("root of a negative number")
            q = exp.denominator
            if q > 64:
                raise NotExact("high root")
            rn, rd = _iroot(base.numerator, q), _iroot(base.denominator, q)
            if rn is None or rd is None:
                raise NotExact("irrational root")
            return self.power(Fraction(rn, rd), Fraction(exp.numerator))
        mp = self.mp
        if abs(exp) > self.limits.max_exponent and abs(base) != 1 and base != 0:
            raise Pathological("power with an exponent beyond the limit")
        if base == 0:
            if mp.re(exp) < 0:
                raise DomainError("0 to a negative power")
            return mp.mpf(0) if exp != 0 else mp.mpf(1)
        if mp.im(exp) == 0 and mp.im(base) == 0 and mp.re(base) > 0:
            return mp.power(mp.re(base), mp.re(exp))
        return mp.power(base, exp)

    def _root(self, node: Node) -> Any:
        x = self.scalar(node[1], "a root")
        n = self.scalar(node[2], "a root index")
        if self.mode == "exact":
            if n.denominator != 1 or n.numerator < 2:
                raise NotExact("root index")
            k = n.numerator
            if k > 64:
                raise NotExact("high root")
            sign = 1
            if x < 0:
                if k % 2 == 0:
                    raise NotExact("even root of a negative number")
                sign, x = -1, -x
            rn, rd = _iroot(x.numerator, k), _iroot(x.denominator, k)
            if rn is None or rd is None:
                raise NotExact("irrational root")
            return sign * Fraction(rn, rd)
        mp = self.mp
        if mp.im(x) == 0 and mp.re(x) < 0 and n == int(n) and int(n) % 2 == 1:
            return -mp.root(-mp.re(x), int(n))  # the real odd root, as written
        if mp.im(x) == 0 and mp.re(x) >= 0:
            return mp.root(mp.re(x), n) if n == int(n) else mp.power(mp.re(x), 1 / n)
        return mp.power(x, 1 / n)

    def _fact(self, node: Node) -> Any:
        x = self.scalar(node[1], "a factorial")
        if self.mode == "exact":
            if x.denominator != 1 or x < 0:
                raise NotExact("factorial of a non-integer")
            if x > self.limits.max_factorial:
                raise Pathological(f"factorial of {_size(x)} exceeds the limit of {self.limits.max_factorial:,}")
            return Fraction(math.factorial(int(x)))
        if abs(x) > self.limits.max_factorial:
            raise Pathological("factorial beyond the limit")
        return self.mp.gamma(x + 1)

    def _abs(self, node: Node) -> Any:
        v = self.value(node[1])
        if isinstance(v, Matrix):
            raise ShapeError("|matrix| (a determinant is written \\det)")
        return abs(v)

    def _ufunc(self, node: Node) -> Any:
        args = [self.value(a) for a in node[2]]
        return self._lift(_stable_value(node[1] + "(" + ",".join(self._key(a) for a in args) + ")"))

    def _idx(self, node: Node) -> Any:
        sub = self.value(node[2])
        return self._lift(_stable_value(node[1] + "_[" + self._key(sub) + "]"))

    def _key(self, v: Any) -> str:
        if isinstance(v, Fraction):
            return f"{v.numerator}/{v.denominator}"
        if isinstance(v, Matrix):
            raise ShapeError("a matrix as a function argument or subscript")
        re_, im_ = self.mp.re(v), self.mp.im(v)
        if im_ == 0 and re_ == int(re_) and abs(re_) < 10**15:
            return f"{int(re_)}/1"
        return self.mp.nstr(v, 12)

    def _sum(self, node: Node) -> Any:
        return self._big(node, add=True)

    def _prod(self, node: Node) -> Any:
        return self._big(node, add=False)

    def _big(self, node: Node, add: bool) -> Any:
        _, var, lo_n, hi_n, body = node
        lo, hi = self.scalar(lo_n, "a bound of a sum or product"), self.scalar(hi_n, "a bound of a sum or product")
        if self.mode == "mp":
            if self.mp.im(lo) != 0 or self.mp.im(hi) != 0 or lo != int(lo) or hi != int(hi):
                raise Unsupported("non-integer bounds")
            lo, hi = Fraction(int(lo)), Fraction(int(hi))
        if lo.denominator != 1 or hi.denominator != 1:
            raise Unsupported("non-integer bounds")
        if hi - lo + 1 > self.limits.max_terms:
            raise Pathological(f"a sum or product of {_size(hi - lo + 1)} terms exceeds the limit of {self.limits.max_terms:,}")
        saved = self.env.get(var)
        total: Any = self._lift(Fraction(0 if add else 1))
        try:
            k = lo
            while k <= hi:
                self.env[var] = k
                v = self.scalar(body, "a term of a sum or product")
                total = total + v if add else total * v
                k += 1
        finally:
            if saved is None:
                self.env.pop(var, None)
            else:
                self.env[var] = saved
        return total

    def _matrix(self, node: Node) -> Any:
        return Matrix([[self.scalar(c, "a matrix entry") for c in row] for row in node[1]])

    def _func(self, node: Node) -> Any:
        name = node[1]
        args = [self.value(a) for a in node[2]]
        if name == "det":
            m = args[0]
            if not isinstance(m, Matrix) or m.shape[0] != m.shape[1]:
                raise ShapeError("det of something other than a square matrix")
            return _det(m.rows, self.deadline)
        if any(isinstance(a, Matrix) for a in args):
            raise ShapeError(f"{name} of a matrix")
        if self.mode == "exact":
            return self._exact_func(name, args)
        return self._mp_func(name, args)

    def _exact_func(self, name: str, args: list[Fraction]) -> Fraction:
        x = args[0]
        if name in ("floor", "ceil"):
            return Fraction(math.floor(x) if name == "floor" else math.ceil(x))
        if name in ("max", "min"):
            return max(args) if name == "max" else min(args)
        if name in ("gcd", "lcm"):
            if any(a.denominator != 1 for a in args):
                raise DomainError(f"{name} of non-integers")
            ints = [int(a) for a in args]
            return Fraction(math.gcd(*ints) if name == "gcd" else math.lcm(*ints))
        if name == "binom":
            n, k = args
            if n.denominator != 1 or k.denominator != 1:
                raise NotExact("binomial of non-integers")
            if abs(n) > self.limits.max_factorial:
                raise Pathological(f"binomial of {_size(n)} exceeds the limit of {self.limits.max_factorial:,}")
            return Fraction(math.comb(int(n), int(k))) if n >= 0 and k >= 0 else Fraction(0)
        if name == "sgn":
            return Fraction((x > 0) - (x < 0))
        if name == "logb":
            value, base = args
            return _exact_log(value, base)
        if x == 0 and name in ("sin", "tan", "arcsin", "arctan", "sinh", "tanh"):
            return Fraction(0)
        if x == 0 and name in ("cos", "cosh", "exp", "sec"):
            return Fraction(1)
        if x == 1 and name in ("ln", "log"):
            return Fraction(0)
        raise NotExact(name)

    def _mp_func(self, name: str, args: list[Any]) -> Any:
        mp = self.mp
        x = args[0]
        simple = {
            "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "sec": mp.sec, "csc": mp.csc, "cot": mp.cot,
            "arcsin": mp.asin, "arccos": mp.acos, "arctan": mp.atan, "arcsec": mp.asec, "arccsc": mp.acsc,
            "arccot": mp.acot, "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh, "coth": mp.coth,
            "exp": mp.exp,
        }
        if name in simple:
            if name in ("exp", "sinh", "cosh") and abs(mp.re(x)) > 10**6:
                raise Pathological("exponential of a huge argument")
            return simple[name](x)
        if name in ("ln", "log"):
            if x == 0:
                raise DomainError("log of zero")
            return mp.log(x)
        if name == "logb":
            value, base = args
            if value == 0 or base == 0 or base == 1:
                raise DomainError("log base")
            return mp.log(value) / mp.log(base)
        if name in ("floor", "ceil", "max", "min", "sgn"):
            if any(mp.im(a) != 0 for a in args):
                raise DomainError(f"{name} of a complex number")
            reals = [mp.re(a) for a in args]
            if name == "floor":
                return mp.floor(reals[0])
            if name == "ceil":
                return mp.ceil(reals[0])
            if name == "sgn":
                return mp.sign(reals[0])
            return max(reals) if name == "max" else min(reals)
        if name == "binom":
            return mp.binomial(args[0], args[1])
        raise Unsupported(name)


def _size(n: Any) -> str:
    """A number for a message: digits when short, its magnitude when huge (str() of a 10^5-digit int is refused)."""
    if isinstance(n, Fraction) and n.denominator == 1:
        n = n.numerator
    if isinstance(n, int):
        return f"{n:,}" if n.bit_length() < 64 else f"about 2^{n.bit_length():,}"
    return "a non-integer"


def _plus(a: Any, b: Any) -> Any:
    if isinstance(a, Matrix) or isinstance(b, Matrix):
        if not (isinstance(a, Matrix) and isinstance(b, Matrix)) or a.shape != b.shape:
            raise ShapeError("a matrix added to a number or to a matrix of another shape")
        return Matrix([[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a.rows, b.rows)])
    return a + b


def _scale(a: Any, k: Any) -> Any:
    if isinstance(a, Matrix):
        return Matrix([[x * k for x in row] for row in a.rows])
    return a * k


def _times(a: Any, b: Any, ev: Evaluator) -> Any:
    if isinstance(a, Matrix) and isinstance(b, Matrix):
        (n, m), (m2, p) = a.shape, b.shape
        if m != m2:
            raise ShapeError("a product of matrices whose shapes do not match")
        rows = []
        for i in range(n):
            if ev.deadline is not None:
                ev.deadline.check()
            rows.append([sum((a.rows[i][k] * b.rows[k][j] for k in range(m)), ev._lift(Fraction(0))) for j in range(p)])
        return Matrix(rows)
    if isinstance(a, Matrix):
        return _scale(a, b)
    if isinstance(b, Matrix):
        return _scale(b, a)
    return a * b


def _det(rows: list[list[Any]], deadline: Deadline | None) -> Any:
    """Gaussian elimination with the largest pivot: O(n^3) and checking the deadline (cofactor
    expansion is O(n!): an 11x11 determinant ran for minutes). Exact for Fractions."""
    a = [r[:] for r in rows]
    if any(isinstance(x, Matrix) for r in a for x in r):
        raise ShapeError("a matrix inside a matrix")
    n = len(a)
    result: Any = 1
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(a[r][c]))
        if a[pivot][c] == 0:
            return a[0][0] * 0
        if pivot != c:
            a[c], a[pivot] = a[pivot], a[c]
            result = -result
        p = a[c][c]
        result = result * p
        for r in range(c + 1, n):
            if deadline is not None:
                deadline.check()
            f = a[r][c] / p
            if f:
                row, top = a[r], a[c]
                for k in range(c + 1, n):
                    row[k] = row[k] - f * top[k]
    return result


def _whole(x: Any, mp: Any) -> int | None:
    """x as an int when it is a whole real number (Fraction or mpmath), else None."""
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else None
    if mp is None or mp.im(x) != 0 or mp.re(x) != int(mp.re(x)):
        return None
    return int(mp.re(x))


def _iroot(n: int, k: int) -> int | None:
    """The exact integer k-th root of n >= 0, or None."""
    if n < 0:
        return None
    if n < 2:
        return n
    r = round(n ** (1.0 / k)) if n.bit_length() < 1000 else _newton_root(n, k)
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**k == n:
            return c
    return None


def _newton_root(n: int, k: int) -> int:
    x = 1 << ((n.bit_length() + k - 1) // k)
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def _exact_log(value: Fraction, base: Fraction) -> Fraction:
    if value <= 0 or base <= 0 or base == 1:
        raise DomainError("log of a non-positive number")
    if value == 1:
        return Fraction(0)
    # value = base^(p/q) with small q: try q = 1..4
    for q in (1, 2, 3, 4):
        for sign in (1, -1):
            b = base if sign == 1 else 1 / base
            p = 1
            acc = b
            while p <= 256:
                if q == 1 and acc == value:
                    return Fraction(sign * p)
                if q > 1:
                    rn, rd = _iroot(acc.numerator, q), _iroot(acc.denominator, q)
                    if rn is not None and rd is not None and Fraction(rn, rd) == value:
                        return Fraction(sign * p, q)
                if abs(acc.numerator).bit_length() > 4096 or acc.denominator.bit_length() > 4096:
                    break
                acc *= b
                p += 1
    raise NotExact("irrational logarithm")


NODE_KINDS = frozenset(
    "num sym const add neg pmt mul inv pow func ufunc idx fact abs root pct base text ellipsis tuple list set "
    "interval union inter setminus matrix rel ratio sum prod in".split()
)


def children(node: Any) -> list[Any]:
    """The sub-nodes of a node, wherever they sit in its tuple."""
    out: list[Any] = []
    for part in node[1:]:
        _collect(part, out)
    return out


def _collect(x: Any, out: list[Any]) -> None:
    if isinstance(x, tuple) and x:
        if isinstance(x[0], str):
            if x[0] in NODE_KINDS:
                out.append(x)
            return
        for y in x:
            _collect(y, out)


def free_symbols(node: Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """Names whose values an evaluation needs (summation indices are bound)."""
    out: set[str] = set()
    _free(node, bound, out)
    return out


def _free(node: Any, bound: frozenset[str], out: set[str]) -> None:
    kind = node[0]
    if kind == "sym":
        if node[1] not in bound:
            out.add(node[1])
        return
    if kind in ("sum", "prod"):
        _, var, lo, hi, body = node
        _free(lo, bound, out)
        _free(hi, bound, out)
        _free(body, bound | {var}, out)
        return
    for child in children(node):
        _free(child, bound, out)


def integer_symbols(node: Any, out: set[str] | None = None) -> set[str]:
    """Symbols that appear in summation bounds or factorials, which need integer values."""
    out = set() if out is None else out
    if node[0] in ("sum", "prod"):
        out |= free_symbols(node[2]) | free_symbols(node[3])
    if node[0] == "fact":
        out |= free_symbols(node[1])
    for child in children(node):
        integer_symbols(child, out)
    return out
