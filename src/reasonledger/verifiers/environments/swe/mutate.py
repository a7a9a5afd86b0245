"""Single-site bugs, SWE-smith style: every place in a program where one small edit makes a plausible bug.

The program is only parsed (`ast`) and unparsed (`ast.unparse`), never run here. Each mutant differs
from the gold program (itself normalised through `ast.unparse`, so the two differ at exactly one
site) by one of:

  binop_flip      a + b -> a - b (and x += b -> x -= b, ...), a - b -> a + b, a * b -> a // b, a // b -> a * b, a / b -> a * b, a % b -> a // b,
                  a & b -> a | b, a | b -> a & b
  compare_flip    < -> <=, <= -> <, > -> >=, >= -> >, == -> !=, != -> ==, in -> not in, is -> is not (and back)
  boolop_swap     and -> or, or -> and
  swap_operands   a - b -> b - a (also / // % ** << >>), a < b -> b < a (a single comparison),
                  f(a, b, ...) -> f(b, a, ...)
  constant        an int constant n -> n + 1, and n -> n - 1 when n > 0 (0 -> 1, 1 -> 0, ...); True <-> False
  negate          the test of an if, elif, while or conditional expression -> not (test)
  range_bound     range(..., stop) -> range(..., stop + 1) and stop - 1
  slice_bound     x[a:b] -> x[a:b + 1] and x[a + 1:b] (each present bound, one at a time)

A mutant is named by (operator, site, variant): the site is the index of the node in `ast.walk`
order of the gold tree, so the same program always yields the same mutants in the same order.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_BINOP_FLIPS: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
                                  ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr,
                                  ast.BitOr: ast.BitAnd}
_CMP_FLIPS: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                                ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
OPERATORS = ("binop_flip", "compare_flip", "boolop_swap", "swap_operands", "constant", "negate", "range_bound",
             "slice_bound")


@dataclass(frozen=True)
class Mutant:
    """One single-site bug: what changed, where (line of the site), and the whole buggy program."""

    operator: str
    site: int  # index of the mutated node in ast.walk order of the gold tree
    variant: int
    line: int
    description: str
    program: str

    @property
    def mutant_id(self) -> str:
        return f"{self.operator}@{self.site}.{self.variant}"


def parse(source: str) -> ast.Module:
    """Dataset code parsed (never run) without its invalid-escape warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def normalise(source: str) -> str:
    """The program as `ast.unparse` writes it: the gold every mutant is one edit away from."""
    return ast.unparse(parse(source))


def _int_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _plus(expr: ast.expr, k: int) -> ast.expr:
    """expr + k (or expr - |k|); a constant is folded so 3 becomes 4, not 3 + 1."""
    if _int_constant(expr) and expr.value + k >= 0:
        return ast.Constant(expr.value + k)
    return ast.BinOp(expr, ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


# An edit: (operator, description, change) where change(node) mutates the copied node in place.
Edit = tuple[str, str, Callable[[ast.AST], None]]


def _edits(node: ast.AST) -> Iterator[Edit]:
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        op = type(node.op)
        if op in _BINOP_FLIPS:
            new = _BINOP_FLIPS[op]
            yield "binop_flip", f"{op.__name__} -> {new.__name__}", lambda n, new=new: setattr(n, "op", new())
        if op in _NON_COMMUTATIVE and isinstance(node, ast.BinOp):
            yield "swap_operands", f"swap the operands of {op.__name__}", _swap_binop
    elif isinstance(node, ast.Compare):
        for i, cmp in enumerate(node.ops):
            new = _CMP_FLIPS.get(type(cmp))
            if new is not None:
                yield "compare_flip", f"{type(cmp).__name__} -> {new.__name__}", lambda n, i=i, new=new: n.ops.__setitem__(i, new())
        if len(node.ops) == 1 and isinstance(node.ops[0], _ORDERING):
            yield "swap_operands", f"swap the operands of {type(node.ops[0]).__name__}", _swap_compare
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield "boolop_swap", f"{type(node.op).__name__} -> {new.__name__}", lambda n, new=new: setattr(n, "op", new())
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "constant", f"{node.value} -> {not node.value}", lambda n: setattr(n, "value", not n.value)
    elif _int_constant(node):
        yield "constant", f"{node.value} -> {node.value + 1}", lambda n: setattr(n, "value", n.value + 1)
        if node.value > 0:
            yield "constant", f"{node.value} -> {node.value - 1}", lambda n: setattr(n, "value", n.value - 1)
    elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
        yield "negate", f"negate the {type(node).__name__} test", _negate
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords:
            stop = 0 if len(node.args) == 1 else 1
            for k in (1, -1):
                yield "range_bound", f"range stop {k:+d}", lambda n, k=k, stop=stop: n.args.__setitem__(stop, _plus(n.args[stop], k))
        if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
            yield "swap_operands", f"swap the first two arguments of {ast.unparse(node.func)}", _swap_arguments
    elif isinstance(node, ast.Slice):
        if node.upper is not None:
            yield "slice_bound", "slice upper bound +1", lambda n: setattr(n, "upper", _plus(n.upper, 1))
        if node.lower is not None:
            yield "slice_bound", "slice lower bound +1", lambda n: setattr(n, "lower", _plus(n.lower, 1))


def _swap_binop(node: ast.AST) -> None:
    node.left, node.right = node.right, node.left


def _swap_arguments(node: ast.AST) -> None:
    node.args[0], node.args[1] = node.args[1], node.args[0]


def _swap_compare(node: ast.AST) -> None:
    node.left, node.comparators[0] = node.comparators[0], node.left


def _negate(node: ast.AST) -> None:
    node.test = ast.UnaryOp(ast.Not(), node.test)


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _in_annotation(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Annotations are never evaluated by the tests: a bug there is no bug."""
    child, parent = node, parents.get(id(node))
    while parent is not None:
        if isinstance(parent, ast.arg) and child is parent.annotation:
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and child is parent.returns:
            return True
        if isinstance(parent, ast.AnnAssign) and child is parent.annotation:
            return True
        child, parent = parent, parents.get(id(parent))
    return False


def mutants(gold: str) -> Iterator[Mutant]:
    """Every single-site mutant of `gold` (already normalised), in a fixed order; a mutant whose code
    equals the gold or an earlier mutant's is not yielded (it is the same program)."""
    tree = parse(gold)
    parents = _parents(tree)
    seen = {gold}
    for site, node in enumerate(ast.walk(tree)):
        if _in_annotation(node, parents):
            continue
        for variant, (operator, description, change) in enumerate(_edits(node)):
            program = _apply(gold, site, change)
            if program is None or program in seen:
                continue
            seen.add(program)
            yield Mutant(operator, site, variant, getattr(node, "lineno", 0), description, program)


def _apply(gold: str, site: int, change: Callable[[ast.AST], None]) -> str | None:
    """The gold with `change` applied to the node at `site` of a fresh parse; None when the result is no program."""
    tree = parse(gold)
    for i, node in enumerate(ast.walk(tree)):
        if i == site:
            change(node)
            break
    try:
        program = ast.unparse(ast.fix_missing_locations(tree))
        parse(program)
    except (SyntaxError, ValueError, RecursionError):
        return None
    return program


__all__ = ["OPERATORS", "Mutant", "mutants", "normalise", "parse"]
