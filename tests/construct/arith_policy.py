"""A deterministic, honest "policy" for process-label tests: it continues an arithmetic solution
from whatever prefix it is given, computing every remaining step correctly from the last value in
the prefix, except that a request whose seed is 0 mod 4 slips by +1 on its first new step.

So a prefix whose steps are all right reaches the right answer in 3 of 4 consecutive seeds, and a
prefix holding a wrong step never does: the Monte-Carlo labels it should get are known exactly.
"""

from __future__ import annotations

import re
from typing import Any

from reasonledger.generation.openai_server import Choice

OPS = {"Add": ("+", lambda x, y: x + y), "Multiply by": ("*", lambda x, y: x * y), "Subtract": ("-", lambda x, y: x - y)}
_OP = re.compile(r"(Add|Multiply by|Subtract) (\d+)\.")
_STEP = re.compile(r"Step (\d+): .* = (-?\d+)")


def problem(start: int, ops: list[tuple[str, int]]) -> str:
    return f"Start with {start}. " + " ".join(f"{name} {value}." for name, value in ops) + " What is the result?"


def solution(start: int, ops: list[tuple[str, int]], errors: dict[int, int] | None = None) -> str:
    """Step lines then the answer line; `errors` adds an offset to the value of step i (from 0)."""
    lines, value = [], start
    for i, (name, operand) in enumerate(ops):
        symbol, fn = OPS[name]
        new = fn(value, operand) + (errors or {}).get(i, 0)
        lines.append(f"Step {i + 1}: {value} {symbol} {operand} = {new}")
        value = new
    return "\n".join(lines) + f"\nAnswer: <answer>{value}</answer>"


def answer(start: int, ops: list[tuple[str, int]]) -> int:
    value = start
    for name, operand in ops:
        value = OPS[name][1](value, operand)
    return value


def _text(api: str, body: dict[str, Any]) -> str:
    if api == "completions":
        return body["prompt"]
    return "\n".join(m["content"] for m in body["messages"])


def continue_solution(api: str, body: dict[str, Any]) -> list[Choice]:
    text = _text(api, body)
    start = int(re.search(r"Start with (\d+)\.", text).group(1))
    ops = [(name, int(v)) for name, v in _OP.findall(text)]
    done = [(int(i), int(v)) for i, v in _STEP.findall(text)]
    value = done[-1][1] if done else start
    slip = 1 if int(body.get("seed", 1)) % 4 == 0 else 0
    lines = [] if text.endswith("\n") or not done else [""]
    for i in range(len(done), len(ops)):
        name, operand = ops[i]
        symbol, fn = OPS[name]
        new = fn(value, operand) + (slip if i == len(done) else 0)
        lines.append(f"Step {i + 1}: {value} {symbol} {operand} = {new}")
        value = new
    if len(done) == len(ops):
        value += slip
    lines.append(f"Answer: <answer>{value}</answer>")
    return [Choice("\n".join(lines))] * int(body.get("n", 1))
