"""Decide whether two parsed answers are equal, cheapest method first, and say which one decided.

Order: structure (canonical form), exact rational arithmetic, numeric comparison with a relative
tolerance, identity tests at random points (exact at rational points when the expressions are
rational functions), and only then sympy in a bounded worker. A method that can *disprove*
equality (two rationals differ, values differ at a point) ends the search, so sympy is reached
only when nothing cheaper can decide.

Shapes follow the reference: a set or a bare list of answers is compared without order; a tuple,
an interval or a sequence with `\\ldots` keeps its order; `x = 3` is the value 3 under the
label x; a labelled list (`a=1, b=2`) is compared label by label, and against bare values in the
order named. Rules beyond plain equality (a reference rounded to its written precision, a ratio
against its value, set-builder sets ...) are listed in `PRECISION_RULES` and named in the evidence
whenever one accepts a comparison.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Any, Callable

from reasonledger.verifiers.math.evaluate import (
    DomainError, Evaluator, Matrix, NotExact, Unsupported, children, free_symbols, integer_symbols,
)
from reasonledger.verifiers.math.limits import Deadline, Limits
from reasonledger.verifiers.math.parse import Node


@dataclass
class Outcome:
    equal: bool
    method: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The knobs of equivalence; the verifier sets all but `rounded_digits` from its config (and so its hash)."""

    rel_tol: float = 1e-6  # when a decimal literal (an approximation) takes part; never against an integer reference
    exact_rel_tol: float = 1e-15  # two closed forms evaluated at 60 digits
    points: int = 6  # random points for identities with free symbols
    strict_labels: bool = True  # `x = 1` is not `y = 1`
    percent_forms: bool = True  # 28% matches 28 and 0.28
    set_relation_symmetric: bool = True  # `-2 <= x <= 7` matches `x in [-2, 7]` in both directions
    rounded_digits: int = 5  # a decimal correctly rounded to >= this many significant digits matches an exact value (0: off)
    limits: Limits = Limits()


SymbolicFn = Callable[[Node, Node, str], "Outcome | None"]


class Comparer:
    """Compares reference and response trees; one instance per check (it holds the deadline)."""

    def __init__(self, settings: Settings, deadline: Deadline, symbolic: SymbolicFn | None = None,
                 integer_names: set[str] | frozenset[str] = frozenset()) -> None:
        self.s = settings
        self.deadline = deadline
        self.symbolic = symbolic
        self.symbolic_used = False
        self.integer_names = INTEGER_PARAMETERS | set(integer_names)
        self.rules: list[dict[str, Any]] = []  # the precision and form rules (PRECISION_RULES) that accepted a comparison

    def _accept(self, method: str, rule: str, **detail: Any) -> Outcome:
        self.rules.append({"rule": rule, **detail})
        return Outcome(True, method, detail={"rule": rule, **detail})

    # ----------------------------------------------------------------------------- entry
    def compare(self, ref: Node, resp: Node) -> Outcome:
        self.deadline.check()
        both = approximated(ref)
        if both is not None:
            return self._exact_or_approximate(both, resp)
        resp_both = approximated(resp)
        if resp_both is not None:
            resp = resp_both[0]  # a response that states both is judged on its exact value
        ref_v, resp_v = view(ref), view(resp)
        if canon(ref_v) == canon(resp_v):
            return Outcome(True, "structural")
        if ref_v[0] == "assign" or resp_v[0] == "assign":
            return self._assignments(ref_v, resp_v)
        if is_relation(ref_v) or is_relation(resp_v):
            return self._relations(ref_v, resp_v)
        ref_c, resp_c = collection(ref_v), collection(resp_v)
        if ref_c is not None or resp_c is not None:
            return self._collections(ref_v, resp_v, ref_c, resp_c)
        if is_realset(ref_v) or is_realset(resp_v):
            return self._realsets(ref_v, resp_v)
        return self._scalars(ref_v, resp_v)

    def _exact_or_approximate(self, both: tuple[Node, Node], resp: Node) -> Outcome:
        """A reference `A \\approx d`: the response equals A, or d at d's stated precision."""
        exact = self.compare(both[0], resp)
        if exact.equal:
            return self._accept(exact.method, "reference_exact_and_approximate", matched="exact part")
        if not has_decimal(resp):  # an exact response is judged on the exact part alone
            return exact
        approx = self.compare(both[1], resp)
        if approx.equal:
            return self._accept(approx.method, "reference_exact_and_approximate", matched="approximate part")
        return Outcome(False, exact.method, f"neither the exact nor the approximate reference: {exact.reason}")

    # ----------------------------------------------------------------------------- labels
    def _assignments(self, ref: Node, resp: Node) -> Outcome:
        if ref[0] == "assign" and resp[0] == "assign":
            if self.s.strict_labels and ref[1] != resp[1]:
                return Outcome(False, "labels", f"the reference names {ref[1]}, the response {resp[1]}")
            out = self.compare(ref[2], resp[2])
            return out
        # a labelled value against a relation: compare as relations (y = 2x + 3 against 2x - y + 3 = 0)
        other = resp if ref[0] == "assign" else ref
        if is_relation(other) and other[0] == "rel" and "=" in other[2]:
            r = as_relation(ref)
            p = as_relation(resp)
            return self._relations(r, p)
        return self.compare(ref[2] if ref[0] == "assign" else ref, resp[2] if resp[0] == "assign" else resp)

    # ----------------------------------------------------------------------------- collections
    def _collections(self, ref: Node, resp: Node, ref_c: tuple[str, list[Node]] | None,
                     resp_c: tuple[str, list[Node]] | None) -> Outcome:
        if ref_c is None:
            if resp_c is not None and len(resp_c[1]) == 1:
                return self.compare(ref, resp_c[1][0])
            if ref[0] == "matrix" and resp_c is not None:
                return self._vector(ref, resp_c)
            if is_realset(ref) and resp_c is not None and resp_c[0] == "tuple" and len(resp_c[1]) == 2:
                return self._realsets(ref, ("interval", resp_c[1][0], resp_c[1][1], False, False))
            return Outcome(False, "shape", f"the reference is a single {ref[0]}, the response a {resp_c[0] if resp_c else resp[0]}")
        if resp_c is None:
            if len(ref_c[1]) == 1:
                return self.compare(ref_c[1][0], resp)
            if resp[0] == "matrix":
                return self._vector(resp, ref_c)
            if is_realset(resp) and ref_c[0] == "tuple" and len(ref_c[1]) == 2:
                return self._realsets(("interval", ref_c[1][0], ref_c[1][1], False, False), resp)
            return Outcome(False, "shape", f"the reference has {len(ref_c[1])} items, the response is a single {resp[0]}")
        rkind, ritems = ref_c
        pkind, pitems = resp_c
        # labelled lists: compare label by label when both label the same names
        rl, pl = [labelled(x) for x in ritems], [labelled(x) for x in pitems]
        if all(x is not None for x in rl) and all(x is not None for x in pl):
            rkeys, pkeys = {x[0] for x in rl}, {x[0] for x in pl}  # type: ignore[index]
            if rkeys == pkeys:
                return self._by_label(rl, pl)  # type: ignore[arg-type]
            if self.s.strict_labels and len(rkeys) == len(ritems) and len(pkeys) == len(pitems):
                return Outcome(False, "labels", f"the reference names {sorted(rkeys)}, the response {sorted(pkeys)}")
        named = _named_against_bare(rl, pl)
        ritems = [strip_label(x) for x in ritems]
        pitems = [strip_label(x) for x in pitems]
        if named and len(ritems) == len(pitems):
            for i, (a, b) in enumerate(zip(ritems, pitems)):
                out = self.compare(a, b)
                if not out.equal:
                    return Outcome(False, out.method, f"item {i + 1} (named values are compared in the order named): {out.reason}".strip())
            return self._accept("ordered", "named_values_in_order", items=len(ritems))
        ordered = rkind == "tuple" or any(x[0] == "ellipsis" for x in ritems + pitems)
        if rkind == "set" and pkind == "tuple" and len(pitems) == 2 and len(ritems) != 2:
            return Outcome(False, "shape", "the reference is a set, the response an ordered pair")
        if ordered:
            if rkind == "tuple" and pkind == "set":
                return Outcome(False, "shape", "the reference is a tuple, the response a set")
            if len(ritems) != len(pitems):
                return Outcome(False, "shape", f"the reference has {len(ritems)} items in order, the response {len(pitems)}")
            for i, (a, b) in enumerate(zip(ritems, pitems)):
                out = self.compare(a, b)
                if not out.equal:
                    return Outcome(False, out.method, f"item {i + 1}: {out.reason}".strip())
            return Outcome(True, "ordered", detail={"items": len(ritems)})
        return self._unordered(ritems, pitems)

    def _unordered(self, ritems: list[Node], pitems: list[Node]) -> Outcome:
        cache: dict[tuple[int, int], bool] = {}
        methods: set[str] = set()

        def eq(i: int, j: int) -> bool:
            if (i, j) not in cache:
                out = self.compare(ritems[i], pitems[j])
                cache[(i, j)] = out.equal
                if out.equal:
                    methods.add(out.method)
            return cache[(i, j)]

        for i in range(len(ritems)):
            if not any(eq(i, j) for j in range(len(pitems))):
                return Outcome(False, "set", f"reference item {i + 1} has no match in the response")
        for j in range(len(pitems)):
            if not any(eq(i, j) for i in range(len(ritems))):
                return Outcome(False, "set", f"response item {j + 1} has no match in the reference")
        return Outcome(True, "set", detail={"items": len(ritems), "item_methods": sorted(methods)})

    def _by_label(self, rl: list[tuple[str, Node]], pl: list[tuple[str, Node]]) -> Outcome:
        groups_r: dict[str, list[Node]] = {}
        groups_p: dict[str, list[Node]] = {}
        for k, v in rl:
            groups_r.setdefault(k, []).append(v)
        for k, v in pl:
            groups_p.setdefault(k, []).append(v)
        for k in groups_r:
            a, b = groups_r[k], groups_p[k]
            out = self.compare(a[0], b[0]) if len(a) == len(b) == 1 else self._unordered(a, b)
            if not out.equal:
                return Outcome(False, "labels", f"{k}: {out.reason}".strip())
        return Outcome(True, "labels", detail={"labels": sorted(groups_r)})

    def _vector(self, matrix: Node, coll: tuple[str, list[Node]]) -> Outcome:
        rows = matrix[1]
        cells = [r[0] for r in rows] if all(len(r) == 1 for r in rows) else list(rows[0]) if len(rows) == 1 else None
        if cells is None or len(cells) != len(coll[1]):
            return Outcome(False, "shape", "a matrix against a list")
        for a, b in zip(cells, coll[1]):
            out = self.compare(a, strip_label(b))
            if not out.equal:
                return out
        return Outcome(True, "ordered", detail={"vector": len(cells)})

    # ----------------------------------------------------------------------------- sets of reals
    def _realsets(self, ref: Node, resp: Node) -> Outcome:
        a, b = self._pieces(ref), self._pieces(resp)
        if a is None or b is None:
            return Outcome(False, "shape", f"a {ref[0]} against a {resp[0]}")
        if len(a) == len(b):
            sa, sb = self._sorted_pieces(a), self._sorted_pieces(b)
            if all(x[3:] == y[3:] and self.compare(x[1], y[1]).equal and self.compare(x[2], y[2]).equal for x, y in zip(sa, sb)):
                return Outcome(True, "interval", detail={"pieces": len(a)})
        na, nb = self._numeric_set(a), self._numeric_set(b)
        if na is not None and nb is not None:
            if len(na) != len(nb):
                return Outcome(False, "interval", "the sets have different pieces")
            for (l1, h1, c1, d1), (l2, h2, c2, d2) in zip(na, nb):
                if c1 != c2 or d1 != d2:
                    return Outcome(False, "interval", "an endpoint is open in one set and closed in the other")
                if not (_close(l1, l2, self.s.rel_tol) and _close(h1, h2, self.s.rel_tol)):
                    return Outcome(False, "interval", "the endpoints differ")
            return Outcome(True, "interval", detail={"pieces": len(na)})
        if len(a) != len(b):
            return Outcome(False, "interval", "the sets have different pieces")
        for x, y in zip(a, b):
            if x[3:] != y[3:]:
                return Outcome(False, "interval", "an endpoint is open in one set and closed in the other")
            for e1, e2 in ((x[1], y[1]), (x[2], y[2])):
                out = self.compare(e1, e2)
                if not out.equal:
                    return Outcome(False, "interval", f"endpoint: {out.reason}")
        return Outcome(True, "interval", detail={"pieces": len(a)})

    def _pieces(self, node: Node) -> list[Node] | None:
        """`realset`, and also set-builder sets, inequalities joined by "or", and a set minus finitely many points."""
        kind = node[0]
        if kind == "setbuilder":
            pieces = self._solved(node[2])
            if pieces is not None:
                self.rules.append({"rule": "set_builder", "variable": node[1]})
            return pieces
        if kind == "or":
            pieces = self._solved(node)
            if pieces is not None:
                self.rules.append({"rule": "inequalities_or"})
            return pieces
        if kind == "setminus":
            whole, points = self._pieces(node[1]), node[2]
            if whole is None or points[0] != "set":
                return None
            out = self._without_points(whole, list(points[1]))
            if out is not None:
                self.rules.append({"rule": "set_difference", "points": len(points[1])})
            return out
        return realset(node)

    def _solved(self, cond: Node) -> list[Node] | None:
        """The set of reals where `cond` holds: one relation, or relations joined by "or" (a union)."""
        if cond[0] == "or":
            out: list[Node] = []
            for part in cond[1]:
                sub = self._solved(part)
                if sub is None:
                    return None
                out.extend(sub)
            return out
        if cond[0] == "list" and any(_exclusion(x) for x in cond[1]):  # x < 3/2, x != -6: bounds, then points removed
            rest = [x for x in cond[1] if not _exclusion(x)]
            whole = [("interval", ("neg", ("const", "oo")), ("const", "oo"), False, False)] if not rest else \
                self._solved(rest[0] if len(rest) == 1 else ("list", tuple(rest)))
            return None if whole is None else self._without_points(whole, [x[1][1] for x in cond[1] if _exclusion(x)])
        if _exclusion(cond):
            return self._solved(("list", (cond,)))
        if is_relation(cond):
            return relation_to_set(cond, self)
        return realset(view(cond))

    def _without_points(self, pieces: list[Node], points: list[Node]) -> list[Node] | None:
        out = list(pieces)
        for p in points:
            x = _endpoint(p, self)
            if x is None:
                return None
            nxt: list[Node] = []
            for piece in out:
                lo, hi = _endpoint(piece[1], self), _endpoint(piece[2], self)
                if lo is None or hi is None:
                    return None
                inside = (lo < x or (lo == x and piece[3])) and (x < hi or (x == hi and piece[4]))
                if not inside:
                    nxt.append(piece)
                    continue
                if lo != x:
                    nxt.append(("interval", piece[1], p, piece[3], False))
                if hi != x:
                    nxt.append(("interval", p, piece[2], False, piece[4]))
            out = nxt
        return out

    def _sorted_pieces(self, pieces: list[Node]) -> list[Node]:
        keys = [_endpoint(p[1], self) for p in pieces]
        if any(k is None for k in keys):
            return pieces
        order = sorted(range(len(pieces)), key=lambda i: float(keys[i]))
        return [pieces[i] for i in order]

    def _numeric_set(self, pieces: list[Node]) -> list[tuple[Any, Any, bool, bool]] | None:
        out = []
        for p in pieces:
            lo, hi = _endpoint(p[1], self), _endpoint(p[2], self)
            if lo is None or hi is None:
                return None
            out.append((lo, hi, bool(p[3]), bool(p[4])))
        out.sort(key=lambda t: (float(t[0]), float(t[1])))
        merged: list[tuple[Any, Any, bool, bool]] = []
        for piece in out:
            if merged:
                lo, hi, lc, hc = merged[-1]
                if piece[0] < hi or (piece[0] == hi and (hc or piece[2])):
                    if piece[1] > hi or (piece[1] == hi and piece[3]):
                        merged[-1] = (lo, piece[1], lc, piece[3] if piece[1] != hi else (hc or piece[3]))
                    continue
            merged.append(piece)
        return merged

    # ----------------------------------------------------------------------------- relations
    def _relations(self, ref: Node, resp: Node) -> Outcome:
        r_rel, p_rel = is_relation(ref), is_relation(resp)
        if r_rel and p_rel:
            return self._two_relations(as_relation(ref), as_relation(resp))
        rel, other = (ref, resp) if r_rel else (resp, ref)
        if is_realset(other) or (other[0] == "tuple" and len(other[1]) == 2):
            if not self.s.set_relation_symmetric and rel is resp:
                return Outcome(False, "shape", "the reference is a set, the response a relation")
            target = other if other[0] != "tuple" else ("interval", other[1][0], other[1][1], False, False)
            pieces = relation_to_set(as_relation(rel), self)
            if pieces is None:
                return self._symbolic(ref, resp, "relation_set") or Outcome(False, "relation", "could not solve the relation for its variable")
            return self._realsets(("union", tuple(pieces)) if rel is ref else target, target if rel is ref else ("union", tuple(pieces)))
        if rel is ref:
            return Outcome(False, "shape", "the reference is an equation or inequality, the response a value")
        return Outcome(False, "shape", "the response is an equation or inequality, the reference a value")

    def _two_relations(self, a: Node, b: Node) -> Outcome:
        atoms_a, atoms_b = atoms(a), atoms(b)
        if len(atoms_a) == len(atoms_b):
            orders = [atoms_b] if len(atoms_b) == 1 else [atoms_b, atoms_b[::-1]]
            for candidate in orders:
                results = [self._atom_pair(x, y) for x, y in zip(atoms_a, candidate)]
                if all(r is True for r in results):
                    return Outcome(True, "relation", detail={"atoms": len(atoms_a)})
        # different shapes of the same solution set: solve when univariate
        sa, sb = relation_to_set(a, self), relation_to_set(b, self)
        if sa is not None and sb is not None:
            return self._realsets(("union", tuple(sa)), ("union", tuple(sb)))
        sym = self._symbolic(a, b, "relation")
        if sym is not None:
            return sym
        return Outcome(False, "relation", "the relations are not multiples of each other")

    def _atom_pair(self, x: tuple[Node, str, Node], y: tuple[Node, str, Node]) -> bool | None:
        (l1, op1, r1), (l2, op2, r2) = x, y
        if op1 != op2:
            return False
        f = ("add", (r1, ("neg", l1)))
        g = ("add", (r2, ("neg", l2)))
        sign = None if op1 in ("=", "!=", "~") else 1
        return self._proportional(f, g, sign)

    def _proportional(self, f: Node, g: Node, sign: int | None) -> bool | None:
        """Whether g = c*f for a constant c (c > 0 when `sign`), by exact or numeric evaluation."""
        names = sorted(free_symbols(f) | free_symbols(g))
        ratio: Any = None
        agreed = 0
        for env, mode, known in self._points(f, g, names):
            try:
                fv, gv = known or (self._eval(f, env, mode), self._eval(g, env, mode))
            except (DomainError, NotExact, ZeroDivisionError, OverflowError, ValueError):
                continue
            except Unsupported:
                return None
            if isinstance(fv, Matrix) or isinstance(gv, Matrix):
                return None
            if fv == 0 or gv == 0:
                if fv == 0 and gv == 0 or (mode == "mp" and _close(fv, gv, 1e-12)):
                    continue
                return False
            r = gv / fv
            if ratio is None:
                if mode == "mp" and _im(r) != 0 and abs(_im(r)) > 1e-12 * abs(r):
                    return False
                ratio = r
                if sign == 1 and _re(r) <= 0:
                    return False
            elif not (r == ratio if mode == "exact" and isinstance(ratio, Fraction) else _close(r, ratio, 1e-10)):
                return False
            agreed += 1
        return True if agreed >= 2 or (agreed >= 1 and not names) else None

    # ----------------------------------------------------------------------------- scalars
    def _scalars(self, ref: Node, resp: Node) -> Outcome:
        if ref[0] == "text" or resp[0] == "text":
            a, b = letters(ref), letters(resp)
            if a is not None and b is not None and a == b:
                return Outcome(True, "text")
            return Outcome(False, "text", "the texts differ" if ref[0] == resp[0] == "text" else "text against an expression")
        if ref[0] == "pct" or resp[0] == "pct":
            return self._percent(ref, resp)
        if ref[0] == "base" or resp[0] == "base":
            if ref[0] == resp[0] == "base" and ref[2] == resp[2] and int(ref[1], ref[2]) == int(resp[1], resp[2]):
                return Outcome(True, "exact_rational")
            return Outcome(False, "base", "numerals in different bases or of different values")
        if ref[0] == "ratio" or resp[0] == "ratio":
            if ref[0] == resp[0] == "ratio" and len(ref[1]) == len(resp[1]):
                for a, b in zip(ref[1], resp[1]):
                    out = self.compare(a, b)
                    if not out.equal:
                        return Outcome(False, "ratio", "the ratios differ")
                return Outcome(True, "ratio")
            ratio, value = (ref, resp) if ref[0] == "ratio" else (resp, ref)
            if value[0] != "ratio" and len(ratio[1]) == 2:
                out = self._values(("mul", (ratio[1][0], ("inv", ratio[1][1]))), value)
                if out.equal:
                    return self._accept(out.method, "ratio_value", ratio=f"{canon(ratio[1][0])}:{canon(ratio[1][1])}")
                return Outcome(False, "ratio", f"the ratio's value differs: {out.reason}")
            return Outcome(False, "ratio", "a ratio of more than two terms against a value")
        if ref[0] == "ellipsis" or resp[0] == "ellipsis":
            return Outcome(ref[0] == resp[0], "structural", "" if ref[0] == resp[0] else "an ellipsis against a value")
        return self._values(ref, resp)

    def _percent(self, ref: Node, resp: Node) -> Outcome:
        if ref[0] == "pct" and resp[0] == "pct":
            return self._values(ref[1], resp[1])
        if not self.s.percent_forms:
            return Outcome(False, "percent", "a percentage against a plain number")
        pct, plain = (ref[1], resp) if ref[0] == "pct" else (resp[1], ref)
        first = self._values(pct, plain)
        if first.equal:
            return Outcome(True, first.method, detail={"percent": "same number"})
        second = self._values(("mul", (pct, ("inv", ("num", Fraction(100), 0)))), plain)
        if second.equal:
            return Outcome(True, second.method, detail={"percent": "as a fraction of 100"})
        if ref[0] == "pct":
            stated = bare_decimal(pct)
            if stated is not None:
                out = self._stated_precision((stated[0] / 100, stated[1] / 100), plain, "percent_stated_precision")
                if out is not None:
                    return out
        return Outcome(False, first.method, first.reason or "the percentage differs")

    def _values(self, ref: Node, resp: Node) -> Outcome:
        if canon(ref) == canon(resp):
            return Outcome(True, "structural")
        if has_kind(ref, _NOT_NUMERIC) or has_kind(resp, _NOT_NUMERIC):
            return Outcome(False, "structural", "infinities, sets or text inside an expression are compared by form only")
        names = sorted(free_symbols(ref) | free_symbols(resp))
        if not names:
            return self._constants(ref, resp)
        renamed = self._renamed_parameter(ref, resp)
        if renamed is not None:
            return renamed
        return self._identity(ref, resp, names)

    def _renamed_parameter(self, ref: Node, resp: Node) -> Outcome | None:
        """`\\pi k` against `n \\pi`: a periodic family whose one integer parameter has another name."""
        fa, fb = free_symbols(ref), free_symbols(resp)
        if len(fa) != 1 or len(fb) != 1 or fa == fb or not (has_pi(ref) and has_pi(resp)):
            return None
        (a,), (b,) = fa, fb
        if a not in self.integer_names or b not in self.integer_names:
            return None
        out = self._identity(ref, rename(resp, b, a), [a])
        if out.equal:
            return self._accept(out.method, "integer_parameter", renamed=f"{b} -> {a}")
        return out

    def _constants(self, ref: Node, resp: Node) -> Outcome:
        decimal = has_decimal(ref) or has_decimal(resp)
        try:
            a = self._eval(ref, {}, "exact")
            b = self._eval(resp, {}, "exact")
            if isinstance(a, Matrix) or isinstance(b, Matrix):
                return self._matrices(a, b, decimal)
            if a == b:
                return Outcome(True, "exact_rational")
            if not decimal:
                return Outcome(False, "exact_rational", "the exact values differ")
            rounded = self._rounded(ref, resp, a)
            if rounded is not None:
                return rounded
            stated = self._reference_rounded(ref, resp)
            if stated is not None:
                return stated
            if not has_decimal(ref) and isinstance(a, Fraction) and a.denominator == 1:
                # a tolerance is for approximations: 2000001.5 is not 2000000, whatever the relative error
                return Outcome(False, "exact_rational", "the reference is an integer and the decimal is not equal to it")
            ok = _close(a, b, self.s.rel_tol)
            return Outcome(ok, "numeric", "" if ok else "the values differ beyond the relative tolerance",
                           {"rel_tol": self.s.rel_tol})
        except NotExact:
            pass
        except DomainError as exc:
            return Outcome(False, "undefined", f"a value is undefined: {exc}")
        except Unsupported:
            return self._symbolic(ref, resp, "value") or Outcome(False, "unsupported", "the answer could not be evaluated")
        try:
            a = self._eval(ref, {}, "mp", 30)
            b = self._eval(resp, {}, "mp", 30)
        except DomainError as exc:
            return Outcome(False, "undefined", f"a value is undefined: {exc}")
        except (Unsupported, NotExact, ValueError, ZeroDivisionError):
            return self._symbolic(ref, resp, "value") or Outcome(False, "unsupported", "the answer could not be evaluated")
        if isinstance(a, Matrix) or isinstance(b, Matrix):
            return self._matrices(a, b, decimal)
        return self._close_numbers(ref, resp, a, b, decimal)

    def _rounded(self, ref: Node, resp: Node, exact: Any) -> Outcome | None:
        """An exact reference against a decimal that is it, correctly rounded to >= `rounded_digits` significant digits."""
        if self.s.rounded_digits <= 0 or has_decimal(ref):
            return None
        lit = bare_decimal(resp)
        if lit is None or _im(exact) != 0:
            return None
        value, ulp = lit
        digits = len(str(abs((value / ulp).numerator)))
        if digits < self.s.rounded_digits:
            return None
        if abs(exact - (value if isinstance(exact, Fraction) else float(value))) <= (ulp / 2 if isinstance(exact, Fraction) else float(ulp) / 2 * (1 + 1e-9)):
            return Outcome(True, "rounded_decimal", detail={"significant_digits": digits, "half_ulp": str(ulp / 2)})
        return None

    def _reference_rounded(self, ref: Node, resp: Node) -> Outcome | None:
        """A decimal reference against an exact response: does the exact value round to it at its written precision?"""
        stated = bare_decimal(ref)
        if stated is None or has_decimal(resp):
            return None
        return self._stated_precision(stated, resp, "reference_rounded")

    def _stated_precision(self, stated: tuple[Fraction, Fraction], exact: Node, rule: str) -> Outcome | None:
        """`exact` (no decimal in it) is within half a unit of the last written digit of `stated`, which has
        at least STATED_DIGITS significant digits (0.5 is not a precision anyone states for 1/3)."""
        value, ulp = stated
        digits = len(str(abs(value / ulp).numerator)) if value else 0
        if digits < STATED_DIGITS or has_decimal(exact) or free_symbols(exact) or has_kind(exact, _NOT_NUMERIC):
            return None
        try:
            v = self._eval(exact, {}, "exact")
            close = abs(v - value) <= ulp / 2
        except NotExact:
            try:
                v = self._eval(exact, {}, "mp", 30)
            except (NotExact, Unsupported, DomainError, ValueError, ZeroDivisionError):
                return None
            if isinstance(v, Matrix) or _im(v) != 0:
                return None
            close = abs(v - float(value)) <= float(ulp) / 2 * (1 + 1e-9)
        except (Unsupported, DomainError, ValueError, ZeroDivisionError, TypeError):
            return None
        if isinstance(v, Matrix) or not close:
            return None
        return self._accept("rounded_reference", rule, decimals=_places(ulp), significant_digits=digits,
                            half_unit=str(ulp / 2))

    def _close_numbers(self, ref: Node, resp: Node, a: Any, b: Any, decimal: bool) -> Outcome:
        if decimal:
            rounded = self._rounded(ref, resp, a) or self._reference_rounded(ref, resp)
            if rounded is not None:
                return rounded
            ok = _close(a, b, self.s.rel_tol)
            return Outcome(ok, "numeric", "" if ok else "the values differ beyond the relative tolerance", {"rel_tol": self.s.rel_tol})
        if not _close(a, b, 1e-6):
            # far apart at 30 digits, unless one side is a cancellation to zero
            if not (_tiny_vs(a, b) or _tiny_vs(b, a)):
                return Outcome(False, "numeric", "the values differ", {"rel_tol": self.s.exact_rel_tol})
        a60 = self._eval(ref, {}, "mp", 60)
        b60 = self._eval(resp, {}, "mp", 60)
        a60, b60 = _cancel_to_zero(a, a60), _cancel_to_zero(b, b60)
        ok = _close(a60, b60, self.s.exact_rel_tol)
        return Outcome(ok, "numeric", "" if ok else "the values differ", {"rel_tol": self.s.exact_rel_tol, "digits": 60})

    def _matrices(self, a: Any, b: Any, decimal: bool) -> Outcome:
        if not (isinstance(a, Matrix) and isinstance(b, Matrix)):
            return Outcome(False, "shape", "a matrix against a scalar")
        if a.shape != b.shape:
            return Outcome(False, "shape", f"matrix shapes {a.shape} and {b.shape}")
        tol = self.s.rel_tol if decimal else 1e-12
        for ra, rb in zip(a.rows, b.rows):
            for x, y in zip(ra, rb):
                if not (x == y or (not (isinstance(x, Fraction) and isinstance(y, Fraction)) or decimal) and _close(x, y, tol)):
                    return Outcome(False, "matrix", "an entry differs")
        return Outcome(True, "matrix")

    def _identity(self, ref: Node, resp: Node, names: list[str]) -> Outcome:
        decimal = has_decimal(ref) or has_decimal(resp)
        agreed = 0
        exact_points = 0
        for env, mode, known in self._points(ref, resp, names):
            try:
                a, b = known or (self._eval(ref, env, mode), self._eval(resp, env, mode))
            except (DomainError, ZeroDivisionError, OverflowError, ValueError, NotExact):
                continue
            except Unsupported:
                return self._symbolic(ref, resp, "value") or Outcome(False, "unsupported", "the answer could not be evaluated")
            if isinstance(a, Matrix) or isinstance(b, Matrix):
                if mode == "mp" and isinstance(a, Matrix) and isinstance(b, Matrix) and a.shape == b.shape and any(
                    _is_complex(x) != _is_complex(y) for ra, rb in zip(a.rows, b.rows) for x, y in zip(ra, rb)
                ):
                    continue
                out = self._matrices(a, b, decimal or mode == "mp")
                if not out.equal:
                    return Outcome(False, "random_points", out.reason)
                agreed += 1
                continue
            if mode == "exact":
                if a != b and not (decimal and _close(a, b, self.s.rel_tol)):
                    return Outcome(False, "random_points", "the expressions differ at a rational point", {"point": _show(env)})
                exact_points += 1
            else:
                if _is_complex(a) != _is_complex(b):
                    continue  # a branch cut on one side only (cube root against a fractional power)
                if not _close(a, b, self.s.rel_tol if decimal else 1e-10):
                    return Outcome(False, "random_points", "the expressions differ at a point", {"point": _show(env)})
            agreed += 1
        if agreed >= 3:
            return Outcome(True, "random_points", detail={"points": agreed, "exact_points": exact_points})
        return self._symbolic(ref, resp, "value") or Outcome(False, "inconclusive", "too few points where both sides are defined")

    # ----------------------------------------------------------------------------- helpers
    def _eval(self, node: Node, env: dict[str, Fraction], mode: str, dps: int = 30) -> Any:
        return Evaluator(self.s.limits, self.deadline, dict(env), mode, dps).value(node)

    def _points(self, a: Node, b: Node, names: list[str]):
        """Deterministic points (env, mode, values): rational (exact) first, then real positive and negative values.

        The exact values of a and b are passed on when finding that the point is exact computed them;
        otherwise values is None and the caller evaluates (and meets the same error, if any)."""
        seed = int.from_bytes(hashlib.blake2b((canon(a) + "|" + canon(b)).encode(), digest_size=8).digest(), "big")
        rng = random.Random(seed)
        ints = integer_symbols(a) | integer_symbols(b)
        n = self.s.points
        exact_ok = True
        for k in range(n * 2):
            self.deadline.check()
            env: dict[str, Fraction] = {}
            negative = k % 3 == 2
            for name in names:
                if name in ints:
                    env[name] = Fraction(rng.randint(1, 9))
                else:
                    v = Fraction(rng.randint(11, 97), rng.randint(7, 31))
                    env[name] = -v if negative else v
            if exact_ok:
                try:
                    values = (self._eval(a, env, "exact"), self._eval(b, env, "exact"))
                except NotExact:
                    exact_ok = False
                except (DomainError, ZeroDivisionError, Unsupported, ValueError, OverflowError):
                    yield env, "exact", None
                    continue
                else:
                    yield env, "exact", values
                    if k + 1 >= n:
                        return
                    continue
            yield env, "mp", None
            if k + 1 >= n + 2:
                return

    def _symbolic(self, ref: Node, resp: Node, kind: str) -> Outcome | None:
        if self.symbolic is None:
            return None
        self.symbolic_used = True
        return self.symbolic(ref, resp, kind)


# --------------------------------------------------------------------------------------------
# views of an answer


def view(node: Node) -> Node:
    """Unwrap what is not the answer: `x \\in S` is S, `x = 5+5+1 = 11` is 11, `k = 1` labels 1."""
    if node[0] == "in" and is_label(node[1]):
        return node[2]
    if node[0] == "rel" and set(node[2]) <= {"=", "~"}:
        parts, ops = list(node[1]), list(node[2])
        while len(ops) > 1 and ops[-1] == "~" and "=" in ops:
            parts.pop()
            ops.pop()
        if len(parts) >= 3:
            return ("assign", label_key(parts[0]), parts[-1], parts[0]) if is_label(parts[0]) else parts[-1]
        lhs, rhs = parts
        if is_label(lhs):
            return ("assign", label_key(lhs), rhs, lhs)
        if ops == ["~"] or (not free_symbols(lhs) and not free_symbols(rhs)):
            return rhs
    return node


def is_label(node: Node) -> bool:
    """A name for an unknown (x, a_3, f(x), |AB|, AB:CD, (p, q), \\frac{NO}{BO}), not an expression in it."""
    kind = node[0]
    if kind in ("sym", "idx", "ufunc", "text"):
        return True
    if kind == "const":
        return node[1] in ("e", "i")
    if kind in ("mul", "ratio", "tuple"):
        return all(is_label(x) for x in node[1])
    if kind in ("inv", "abs"):
        return is_label(node[1])
    return False


def label_key(node: Node) -> str:
    if node[0] == "ufunc":
        return node[1] + "()"  # f(x) and f(y) name the same function
    return canon(node)


def labelled(node: Node) -> tuple[str, Node] | None:
    v = view(node)
    return (v[1], v[2]) if v[0] == "assign" else None


def strip_label(node: Node) -> Node:
    v = view(node)
    return v[2] if v[0] == "assign" else v


def collection(node: Node) -> tuple[str, list[Node]] | None:
    """(kind, items) for lists, sets, tuples and ±; None for a single answer."""
    kind = node[0]
    if kind == "list":
        items: list[Node] = []
        for x in node[1]:
            items.extend(expand_pm(x))
        return "list", items
    if kind == "set":
        items = []
        for x in node[1]:
            items.extend(expand_pm(x))
        return "set", items
    if kind == "tuple":
        if has_pm(node):  # (\\pm 1, 2) is the tuples (1, 2) and (-1, 2)
            return "set", expand_pm(node)
        return "tuple", list(node[1])
    if has_pm(node):
        return "set", expand_pm(node)
    return None


def has_pm(node: Node) -> bool:
    if node[0] == "pmt":
        return True
    return any(has_pm(c) for c in children(node))


def expand_pm(node: Node) -> list[Node]:
    """`a \\pm b` as [a + b, a - b]; nested ± multiply out (at most 8 variants)."""
    if not has_pm(node):
        return [node]
    if node[0] == "pmt":
        inner = expand_pm(node[1])
        return inner + [("neg", x) for x in inner]
    if node[0] in ("rel",) and node[1] and is_label(node[1][0]):
        return [("rel", (node[1][0],) + tuple(v), node[2]) for v in product(*(expand_pm(p) for p in node[1][1:]))][:8]
    variants = [node[:1]]
    for part in node[1:]:
        options: list[Any]
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            options = expand_pm(part)
        elif isinstance(part, tuple) and part and isinstance(part[0], tuple):
            options = [tuple(v) for v in product(*(expand_pm(p) for p in part))]
        else:
            options = [part]
        variants = [v + (o,) for v in variants for o in options][:8]
    return variants


def is_relation(node: Node) -> bool:
    if node[0] == "assign":
        return False
    if node[0] == "rel":
        return True
    return node[0] == "list" and len(node[1]) > 0 and all(x[0] == "rel" and set(x[2]) & {"<", ">", "<=", ">="} for x in node[1])


def as_relation(node: Node) -> Node:
    if node[0] == "assign":
        return ("rel", (node[3], node[2]), ("=",))
    return node


def atoms(rel: Node) -> list[tuple[Node, str, Node]]:
    """A chain a < b <= c as [(a, '<', b), (b, '<=', c)], with > and >= turned around."""
    out: list[tuple[Node, str, Node]] = []
    rels = rel[1] if rel[0] == "list" else (rel,)
    for r in rels:
        if r[0] != "rel":
            continue
        parts, ops = r[1], r[2]
        for i, op in enumerate(ops):
            a, b = parts[i], parts[i + 1]
            if op == ">":
                out.append((b, "<", a))
            elif op == ">=":
                out.append((b, "<=", a))
            else:
                out.append((a, op, b))
    return out


def is_realset(node: Node) -> bool:
    return node[0] in ("interval", "union", "inter", "setminus", "setbuilder", "or") or (node[0] == "set" and not has_pm(node))


def realset(node: Node) -> list[Node] | None:
    """A union of intervals and points as ('interval', lo, hi, lo_closed, hi_closed) pieces."""
    kind = node[0]
    if kind == "interval":
        return [node]
    if kind == "union":
        out: list[Node] = []
        for p in node[1]:
            sub = realset(p)
            if sub is None:
                return None
            out.extend(sub)
        return out
    if kind == "set":
        return [("interval", x, x, True, True) for x in node[1]]
    if kind == "tuple" and len(node[1]) == 2:
        return [("interval", node[1][0], node[1][1], False, False)]
    if kind == "list" and all(x[0] in ("interval", "set") for x in node[1]):
        return realset(("union", node[1]))
    return None


def relation_to_set(rel: Node, cmp: Comparer) -> list[Node] | None:
    """Solve a chain in one unknown for its set of reals: bounds on a term, linear, or on |x|."""
    parts = atoms(rel)
    if not parts:
        return None
    terms = set()
    bounds = []
    for lhs, op, rhs in parts:
        lc, rc = not free_symbols(lhs), not free_symbols(rhs)
        if lc == rc:
            return None
        term, value, flipped = (rhs, lhs, True) if lc else (lhs, rhs, False)
        terms.add(canon(term))
        bounds.append((term, op, value, flipped))
    if len(terms) != 1 or any(op in ("~", "!=") for _, op, _, _ in bounds):
        return None
    term = bounds[0][0]
    lo: Node = ("neg", ("const", "oo"))
    hi: Node = ("const", "oo")
    lc = hc = False
    point: Node | None = None
    linear = _linear(term, cmp)
    for _, op, value, flipped in bounds:
        if linear is not None:
            slope, offset = linear
            # term = slope*x + offset  =>  x = (value - offset) / slope
            value = ("mul", (("add", (value, ("neg", ("num", offset, False)))), ("inv", ("num", slope, False))))
            if slope < 0:
                flipped = not flipped
        if op == "=":
            point = value
            continue
        closed = op == "<="
        # term op value  (flipped: value op term)
        if not flipped:
            hi, hc = value, closed
        else:
            lo, lc = value, closed
    if point is not None:
        return [("interval", point, point, True, True)] if len(bounds) == 1 else None
    if term[0] == "abs" and linear is None:
        # a <= |x| <= b  =>  [-b, -a] u [a, b]  (for a >= 0)
        neg_hi = ("neg", hi)
        if lo == ("neg", ("const", "oo")):
            return [("interval", neg_hi, hi, hc, hc)]
        return [("interval", neg_hi, ("neg", lo), hc, lc), ("interval", lo, hi, lc, hc)]
    return [("interval", lo, hi, lc, hc)]


def _linear(term: Node, cmp: Comparer) -> tuple[Fraction, Fraction] | None:
    """(slope, offset) when `term` is linear in its single symbol, exactly; None for a bare symbol or non-linear."""
    names = free_symbols(term)
    if term[0] in ("sym", "ufunc", "idx") or len(names) != 1:
        return None
    (name,) = names
    try:
        v = [cmp._eval(term, {name: Fraction(k)}, "exact") for k in (0, 1, 2, 5, -3)]
    except (NotExact, DomainError, Unsupported, ZeroDivisionError):
        return None
    slope = v[1] - v[0]
    if slope == 0 or v[2] - v[0] != 2 * slope or v[3] - v[0] != 5 * slope or v[4] - v[0] != -3 * slope:
        return None
    return slope, v[0]


def _endpoint(node: Node, cmp: Comparer) -> Any:
    if node == ("const", "oo"):
        return float("inf")
    if node == ("neg", ("const", "oo")):
        return float("-inf")
    if free_symbols(node):
        return None
    try:
        return cmp._eval(node, {}, "exact")
    except NotExact:
        try:
            v = cmp._eval(node, {}, "mp")
        except (NotExact, Unsupported, DomainError):
            return None
        return None if _im(v) != 0 else float(v) if abs(v) > 1e-300 else v
    except (Unsupported, DomainError):
        return None


_NOT_NUMERIC = frozenset({"interval", "tuple", "list", "set", "union", "inter", "setminus", "setbuilder", "or", "text",
                          "ellipsis", "ratio", "rel", "in"})
PRECISION_RULES = {
    "reference_rounded": "a decimal reference with >= 3 significant digits against an exact response: the exact value "
                         "rounds to the reference at its written precision (85.71 for 600/7; half a unit of the last digit)",
    "percent_stated_precision": "a percentage reference against a value: the same, at the percentage's written precision "
                                "(41.4% for \\sqrt{2}-1)",
    "reference_exact_and_approximate": "a reference A \\approx d: an exact response must equal A; a decimal response may "
                                       "equal A or d (by the decimal rules)",
    "named_values_in_order": "named values (p=3, q=4) against bare values: compared in the order named, exactly",
    "ratio_value": "a two-term ratio a:b against a value: a/b must equal the value exactly",
    "set_builder": "{x | condition} is the set of reals solving the condition",
    "inequalities_or": "inequalities joined by 'or' are the union of their solution sets",
    "set_difference": "a set minus finitely many points splits its intervals at those points",
    "integer_parameter": "a periodic family (with \\pi) whose single integer parameter (k, n, m or declared in a qualifier) "
                         "has another name is compared after renaming it; the expressions must agree exactly",
}
STATED_DIGITS = 3  # a decimal reference states a precision for an exact response from this many significant digits
INTEGER_PARAMETERS = frozenset({"k", "n", "m"})  # names a periodic family's integer parameter takes


def approximated(node: Node) -> tuple[Node, Node] | None:
    """(exact, decimal) of `A \\approx d` with no unknowns, else None."""
    if node[0] == "rel" and node[2] == ("~",) and not free_symbols(node) and has_decimal(node[1][1]) \
            and not has_decimal(node[1][0]):
        return node[1][0], node[1][1]
    return None


def _exclusion(node: Node) -> bool:
    """`x != a` with a constant a."""
    return node[0] == "rel" and node[2] == ("!=",) and node[1][0][0] == "sym" and not free_symbols(node[1][1])


def has_pi(node: Node) -> bool:
    return node == ("const", "pi") or any(has_pi(c) for c in children(node))


def rename(node: Any, old: str, new: str) -> Any:
    if node == ("sym", old):
        return ("sym", new)
    if isinstance(node, tuple):
        return tuple(rename(c, old, new) for c in node)
    return node


def _places(ulp: Fraction) -> int:
    places = 0
    while ulp < 1 and places < 60:
        ulp *= 10
        places += 1
    return places


def _named_against_bare(rl: list[Any], pl: list[Any]) -> bool:
    """The reference names each value once with a plain name (`p=3, q=4`), the response lists bare values: the
    response is read in the order named. Indexed names (`x_1, x_2`, usually roots) and a named response keep
    the unordered comparison."""
    return (all(x is not None and _plain_name(x[0]) for x in rl) and len({x[0] for x in rl}) == len(rl) > 1
            and all(x is None for x in pl))


def _plain_name(key: str) -> bool:
    return (key.startswith("sym:") and "_" not in key) or key.endswith("()")


def has_kind(node: Node, kinds: frozenset[str]) -> bool:
    """Whether the tree holds a node of one of `kinds` (or an infinity, when "oo" is asked for)."""
    if node[0] in kinds or (node[0] == "const" and node[1] == "oo"):
        return True
    return any(has_kind(c, kinds) for c in children(node))


def bare_decimal(node: Node) -> tuple[Fraction, Fraction] | None:
    """(value, ulp) of a response that is just a decimal literal, possibly negated."""
    sign = 1
    if node[0] == "neg":
        node, sign = node[1], -1
    if node[0] == "num" and node[2]:
        return sign * node[1], node[2]
    return None


def has_decimal(node: Node) -> bool:
    if node[0] == "num":
        return bool(node[2])
    return any(has_decimal(c) for c in children(node))


def letters(node: Node) -> str | None:
    """The letters of a textual answer, for `\\text{odd}` against `odd` and `\\text{(C)}` against C."""
    if node[0] == "text":
        return "".join(ch for ch in node[1].lower() if ch.isalnum())
    if node[0] == "sym":
        return node[1].lower()
    if node[0] == "const" and node[1] in ("e", "i"):
        return node[1]
    if node[0] == "mul":
        parts = [letters(x) for x in node[1]]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if node[0] == "num" and node[1].denominator == 1:
        return str(node[1].numerator)
    return None


def canon(node: Any) -> str:
    """A canonical string: commutative arguments sorted, so reordered sums and products coincide."""
    if not isinstance(node, tuple):
        return repr(node)
    kind = node[0]
    if kind == "num":
        return str(node[1])
    if kind in ("sym", "const", "text"):
        return f"{kind}:{node[1]}"
    if kind in ("add", "mul"):
        return kind + "(" + ",".join(sorted(canon(x) for x in node[1])) + ")"
    if kind == "assign":
        return f"assign({node[1]},{canon(node[2])})"  # the label node itself (node[3]) is not compared
    if kind in ("set",):
        return "set(" + ",".join(sorted(canon(x) for x in node[1])) + ")"
    parts = []
    for p in node[1:]:
        if isinstance(p, tuple) and p and isinstance(p[0], tuple):
            parts.append("[" + ",".join(canon(x) if isinstance(x, tuple) and x and isinstance(x[0], str) else canon_seq(x) for x in p) + "]")
        else:
            parts.append(canon(p) if isinstance(p, tuple) else repr(p))
    return kind + "(" + ",".join(parts) + ")"


def canon_seq(x: Any) -> str:
    if isinstance(x, tuple):
        return "[" + ",".join(canon(y) for y in x) + "]"
    return repr(x)


def _re(v: Any) -> Any:
    return v.real if hasattr(v, "real") else v


def _im(v: Any) -> Any:
    return v.imag if hasattr(v, "imag") else 0


def _is_complex(v: Any) -> bool:
    im = _im(v)
    return im != 0 and abs(im) > 1e-20 * abs(v)


def _close(a: Any, b: Any, rel_tol: float) -> bool:
    """|a - b| <= rel_tol * max(|a|, |b|): relative, never an absolute zero test."""
    if a == b:
        return True
    if isinstance(a, float) or isinstance(b, float):
        if a in (float("inf"), float("-inf")) or b in (float("inf"), float("-inf")):
            return a == b
    diff = abs(a - b)
    scale = max(abs(a), abs(b))
    if isinstance(diff, Fraction) and isinstance(scale, Fraction):
        return bool(diff <= Fraction(rel_tol) * scale)  # exact: a float product overflows past 2^1024
    return bool(diff <= rel_tol * scale)


def _tiny_vs(a: Any, b: Any) -> bool:
    return b == 0 and a != 0


def _cancel_to_zero(v30: Any, v60: Any) -> Any:
    """A value that shrinks by 20+ orders when the precision doubles is a cancellation to zero."""
    if v30 != 0 and abs(v60) < abs(v30) * 1e-20:
        return 0
    return v60


def _show(env: dict[str, Fraction]) -> dict[str, str]:
    return {k: str(v) for k, v in env.items()}
