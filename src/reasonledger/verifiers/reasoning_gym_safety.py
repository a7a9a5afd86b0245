"""Which answers may reach a reasoning-gym scorer that runs text as Python, and which may not.

Model output is hostile input, and nine scorers of reasoning-gym 0.1.25 hand the answer to
Python's `eval` inside the scoring process (sympy's `parse_expr` is an `eval` of the answer after
a token rewrite; it resolves names in sympy's namespace and the builtins, `__import__` included).
Five also evaluate the reference, which an imported file supplies. `WHERE` lists each call with
its file and line under reasoning_gym/. No other scorer evaluates text (the base `score_answer`
compares strings; the others read numbers, JSON or dates);
`tests/verifiers/test_reasoning_gym_unsafe.py` traces every dataset's scorer to keep the list true
when reasoning-gym changes.

Each check below returns None for text the scorer may see, or why it may not. The grammars are
closed: what they accept can only build numbers, the task's symbols and listed math functions,
or Python literals, so no accepted text can name a builtin, reach an attribute or call anything
else. Slow algebra (a huge power, a hard `simplify`) is not code but can still hang a process, so
the sympy algebra scorers run in a locked-down worker that is killed at its deadline
(`reasoning_gym_scorers`).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Callable
from typing import Any

WHERE: dict[str, tuple[str, ...]] = {  # reasoning-gym 0.1.25: "file:line call", files under reasoning_gym/
    "countdown": ("games/countdown.py:221 parse_expr(answer)",),
    "puzzle24": ("games/puzzle24.py:119 parse_expr(answer)",),
    "polynomial_multiplication": ("algebra/polynomial_multiplication.py:166 sp.parse_expr(answer)",
                                  "algebra/polynomial_multiplication.py:167 sp.parse_expr(entry[\"answer\"])"),
    "simple_integration": ("algebra/simple_integration.py:107 sympy.parse_expr(answer",
                           "algebra/simple_integration.py:110 sympy.parse_expr(metadata[\"integrand\"]"),
    "intermediate_integration": ("algebra/intermediate_integration.py:260 sympy.parse_expr(answer",
                                 "algebra/intermediate_integration.py:263 sympy.parse_expr(metadata[\"integrand\"]"),
    "binary_matrix": ("algorithmic/binary_matrix.py:111 eval(answer)",),
    "n_queens": ("games/n_queens.py:155 eval(answer)",),
    "spiral_matrix": ("algorithmic/spiral_matrix.py:143 eval(answer)",),
    "string_insertion": ("algorithmic/string_insertion.py:88 eval(answer)",),
    "number_sorting": ("algorithmic/number_sorting.py:131 eval(entry[\"answer\"])",),  # when the gold is not JSON
    "bitwise_arithmetic": ("arithmetic/bitwise_arithmetic.py:101 eval(problem)",),  # metadata["problem"]
}

MAX_EXPRESSION = 512  # characters; reasoning-gym's own algebra golds stay under 200
MAX_LITERAL = 100_000  # characters of a Python literal (a board or a matrix)

# Countdown and 24: integers, + - * / and parentheses. No letters, so no name; no `**`, so no
# tower of powers; within 256 characters every value is small.
_ARITHMETIC = re.compile(r"[0-9 \t+\-*/()]{1,256}")

# sympy algebra: numbers, one-letter symbols and these functions (all harmless in sympy's namespace).
_FUNCTIONS = frozenset("sin cos tan cot sec csc asin acos atan acot sinh cosh tanh exp log ln sqrt Abs pi "
                       "Integral".split())  # intermediate_integration's golds keep some integrals unevaluated
_SPECIAL_LETTERS = frozenset("NOQS")  # sympy's N(), Order, assumptions and sympify: not symbols
_OPERATORS = frozenset("+ - * / ** ^ ( ) ,".split())
_DECIMAL = re.compile(r"(\d+(\.\d*)?|\.\d+)")
_LAYOUT = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})


def arithmetic(text: str) -> str | None:
    """countdown, puzzle24: digits, spaces, tabs, + - * / and parentheses; at most 256 characters; no `**`."""
    if _ARITHMETIC.fullmatch(text) and "**" not in text:
        return None
    return ("not an arithmetic expression of digits, spaces, + - * / and parentheses (at most 256 characters, "
            "no **); the scorer would run it as Python through sympy's parse_expr")


def _name_allowed(name: str) -> bool:
    return name in _FUNCTIONS or (len(name) == 1 and name.isascii() and name.isalpha()
                                  and name not in _SPECIAL_LETTERS)


def algebra(text: str) -> str | None:
    """The sympy algebra tasks: decimal numbers, one-letter symbols (not N, O, Q or S), the functions in
    `_FUNCTIONS`, + - * / ** ^ , and parentheses; ASCII, one line, at most 512 characters; checked token by
    token with Python's tokenizer, the one sympy's parse_expr uses."""
    refusal = ("not an algebraic expression of numbers, one-letter symbols, " + "/".join(sorted(_FUNCTIONS))
               + ", + - * / ** ^ , and parentheses (ASCII, at most 512 characters); the scorer would run it "
               "as Python through sympy's parse_expr")
    if not text.isascii() or len(text) > MAX_EXPRESSION or "\n" in text or "\r" in text:
        return refusal
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return refusal
    for tok in tokens:
        if tok.type in _LAYOUT:
            continue
        ok = ((tok.type == tokenize.NUMBER and _DECIMAL.fullmatch(tok.string))
              or (tok.type == tokenize.NAME and _name_allowed(tok.string))
              or (tok.type == tokenize.OP and tok.string in _OPERATORS))
        if not ok:
            return f"{refusal} ({tok.string!r} is not allowed)"
    return None


_HEX_OR_DECIMAL = re.compile(r"0[xX][0-9a-fA-F]+|\d+")
_BITWISE_OPERATORS = frozenset("+ - * << >> ( )".split())


def bitwise_problem(text: str) -> str | None:
    """bitwise_arithmetic's problem: hex or decimal integers, + - * << >> and parentheses, every shift by a
    literal of at most 64 (reasoning-gym writes shifts by 0 to 3), at most 1,000 characters."""
    refusal = "the problem is not integers, + - * << >> and parentheses; the scorer would run it with eval"
    if not text.isascii() or len(text) > 1000 or "\n" in text:
        return refusal
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in _LAYOUT]
    except (tokenize.TokenError, SyntaxError):
        return refusal
    for before, tok in zip([None, *tokens], tokens):
        if tok.type == tokenize.NUMBER and _HEX_OR_DECIMAL.fullmatch(tok.string):
            if before is not None and before.string in ("<<", ">>") and int(tok.string, 0) > 64:
                return f"{refusal} (a shift by {tok.string})"
        elif tok.type == tokenize.OP and tok.string in _BITWISE_OPERATORS:
            if before is not None and before.string in ("<<", ">>"):
                return f"{refusal} (a shift by an expression)"
        else:
            return f"{refusal} ({tok.string!r} is not allowed)"
    return None


def _runs_code(text: str) -> bool:
    """True unless eval(text) would fail to compile or would only build a literal.

    eval strips leading spaces and tabs and compiles like ast.parse: a SyntaxError there means eval
    raises before running anything; a tree that ast.literal_eval accepts holds literals only."""
    source = text.lstrip(" \t")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):
        return False
    except (RecursionError, MemoryError):
        return True
    try:
        ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return True
    return False


def python_literal(text: str) -> str | None:
    """The tasks that eval an answer other than the gold: a Python literal (a list of lists, say) or text
    Python cannot compile (eval fails before running anything); at most 100,000 characters."""
    if len(text) <= MAX_LITERAL and not _runs_code(text) and not _runs_code(text.strip()):
        return None
    return ("a Python expression that is not a literal (or over 100,000 characters); the scorer would run it "
            "with eval")


def _list_answer(exact: Callable[[str, dict[str, Any]], bool]) -> Callable[[str, dict[str, Any]], str | None]:
    """The scorer evals only an answer that is not the gold (as it compares them)."""
    def check(answer: str, entry: dict[str, Any]) -> str | None:
        return None if exact(answer, entry) else python_literal(answer)
    return check


def _gold(entry: dict[str, Any]) -> str:
    return str(entry.get("answer") or "")


ANSWER_CHECKS: dict[str, Callable[[str, dict[str, Any]], str | None]] = {
    "countdown": lambda answer, entry: arithmetic(answer),
    "puzzle24": lambda answer, entry: arithmetic(answer.strip()),
    "polynomial_multiplication": lambda answer, entry: algebra(answer),
    "simple_integration": lambda answer, entry: algebra(answer),
    "intermediate_integration": lambda answer, entry: algebra(answer),
    "binary_matrix": _list_answer(lambda answer, entry: answer == _gold(entry)),
    "string_insertion": _list_answer(lambda answer, entry: answer == _gold(entry)),
    "spiral_matrix": _list_answer(lambda answer, entry: answer.strip() == _gold(entry).strip()),
    "n_queens": _list_answer(lambda answer, entry: answer in (entry.get("metadata") or {}).get("valid_answers", ())),
}


def _number_sorting_gold(entry: dict[str, Any]) -> str | None:
    """The scorer evals the gold when json.loads refuses it."""
    gold = _gold(entry)
    try:
        json.loads(gold)
        return None
    except (ValueError, RecursionError):
        pass
    return "the gold is neither JSON nor a Python literal; the scorer would run it with eval" if _runs_code(gold) else None


REFERENCE_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "number_sorting": _number_sorting_gold,
    "polynomial_multiplication": lambda entry: algebra(_gold(entry)),
    "simple_integration": lambda entry: algebra(str((entry.get("metadata") or {}).get("integrand", ""))),
    "intermediate_integration": lambda entry: algebra(str((entry.get("metadata") or {}).get("integrand", ""))),
    "bitwise_arithmetic": lambda entry: bitwise_problem(str((entry.get("metadata") or {}).get("problem", ""))),
}

# Scorers that run sympy's simplify on the answer: scored in a worker process with a deadline.
SLOW = frozenset({"polynomial_multiplication", "simple_integration", "intermediate_integration"})


def refusal(dataset: str, answer: str, entry: dict[str, Any]) -> tuple[str, str] | None:
    """("unsafe_reference" | "unsafe_answer", why) when the scorer must not see this pair, else None."""
    check_reference = REFERENCE_CHECKS.get(dataset)
    problem = check_reference(entry) if check_reference else None
    if problem:
        return "unsafe_reference", problem
    check_answer = ANSWER_CHECKS.get(dataset)
    problem = check_answer(answer, entry) if check_answer else None
    return ("unsafe_answer", problem) if problem else None
