"""τ-bench's `calculate` tool without `eval`: the expression is parsed to an AST and only numbers,
parentheses and + - * / ** are computed, with Python's own operators so results and error messages
match what τ-bench returned."""

from __future__ import annotations

import ast
import operator
from typing import Any

ALLOWED = set("0123456789+-*/(). ")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPONENT = 10_000  # a larger power could run for minutes; τ-bench's eval would try


class CalcError(Exception):
    """An expression this evaluator refuses (a node that is not arithmetic, a huge exponent)."""


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalcError(f"exponent {right} too large")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    raise CalcError(f"unsupported expression element {type(node).__name__}")


def calculate(expression: str) -> str:
    """What τ-bench's calculate returns: the value rounded to 2 places, or an `Error: ...` string."""
    if not all(char in ALLOWED for char in expression):
        return "Error: invalid characters in expression"
    try:
        # eval() drops leading spaces of its source; ast.parse would call them an indent
        tree = ast.parse(expression.lstrip(" "), filename="<string>", mode="eval")
        return str(round(float(_value(tree.body)), 2))
    except Exception as exc:  # τ-bench reports every failure as its message
        return f"Error: {exc}"
