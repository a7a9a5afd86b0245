"""Test formats of a code task's reference, validated and normalised.

  {"format": "call", "fn_name": "f", "cases": [{"args": [...], "kwargs": {...}, "expected": ...}],
   "encoding": "json" | "tagged", "atol": 0.0}
      Each case calls the candidate's function; the value comes back serialised and is compared
      in the parent. With "json" (the default) args and expected are plain JSON and a returned
      tuple counts as a list; with "tagged" they use runner.encode's encoding (tuples, sets, ...).
  {"format": "assert", "test": "<program of asserts>", "fn_name": "f", "entry": "check",
   "setup": "<trusted code run before the test, e.g. a HumanEval prompt>"}
      The test program runs in a judge process of its own with `candidate` and `fn_name` bound
      to a proxy; each call travels (arguments only) to the candidate's process. Expected values
      never enter the candidate's sandbox. Every assert evaluated is one test.
  {"format": "stdio", "cases": [{"input": "...", "output": "..."}],
   "checker": "exact" | "tokens" | "float" | "yesno" | {"program": "<special judge source>"}}
  {"format": "pytest", "test": "<pytest file; `from solution import *` or `from solution import f`>"}
      pytest runs in a judge process of its own, where `solution` is a module of proxies: each
      call travels (by value, as in assert) to the candidate's process, which never sees the test
      file or pytest. Every test the file defines must be reported, and pass.
"""

from __future__ import annotations

import ast
import builtins
import math
from functools import lru_cache
from typing import Any

from reasonledger.verifiers.code.checkers import STDIO_CHECKERS

FORMATS = ("call", "assert", "stdio", "pytest")


class ReferenceError_(ValueError):
    """The reference is not a valid code-test reference."""


def _need(ref: dict, key: str, typ: type | tuple) -> Any:
    if key not in ref:
        raise ReferenceError_(f"{ref.get('format')} reference needs {key!r}")
    if not isinstance(ref[key], typ):
        raise ReferenceError_(f"{key!r} must be {typ}")
    return ref[key]


def normalise(ref: Any) -> dict:
    """A checked copy of the reference with defaults filled in."""
    if not isinstance(ref, dict):
        raise ReferenceError_("a code reference is a dict with a 'format'")
    fmt = ref.get("format")
    if fmt not in FORMATS:
        raise ReferenceError_(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    out = dict(ref)
    if fmt == "call":
        name = _need(ref, "fn_name", str)
        if not name.isidentifier():
            raise ReferenceError_("fn_name must be an identifier")
        cases = _need(ref, "cases", list)
        norm = []
        for i, c in enumerate(cases):
            if not isinstance(c, dict) or "expected" not in c:
                raise ReferenceError_(f"case {i} needs 'expected'")
            args = c.get("args", [])
            kwargs = c.get("kwargs", {})
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ReferenceError_(f"case {i}: args must be a list, kwargs a dict")
            if out.get("encoding") == "tagged" and kwargs and not (set(kwargs) == {"d"} and isinstance(kwargs["d"], list)):
                raise ReferenceError_(f"case {i}: tagged kwargs are a dict in the tagged encoding, {{'d': [[key, value], ...]}}")
            norm.append({"args": args, "kwargs": kwargs, "expected": c["expected"]})
        out["cases"] = norm
        out.setdefault("encoding", "json")
        if out["encoding"] not in ("json", "tagged"):
            raise ReferenceError_("encoding is 'json' or 'tagged'")
        out["atol"] = _tolerance(ref, "atol", 0.0)
    elif fmt == "assert":
        _need(ref, "test", str)
        if not _need(ref, "fn_name", str).isidentifier():
            raise ReferenceError_("fn_name must be an identifier")
        if not isinstance(out.setdefault("setup", ""), str):
            raise ReferenceError_("'setup' must be program source (a string)")
        entry = out.setdefault("entry", None)
        if entry is not None and not (isinstance(entry, str) and entry.isidentifier()):
            raise ReferenceError_("'entry' must be the name of a function of the test program")
    elif fmt == "stdio":
        cases = _need(ref, "cases", list)
        for i, c in enumerate(cases):
            if not isinstance(c, dict) or not isinstance(c.get("input", ""), str) or not isinstance(c.get("output"), str):
                raise ReferenceError_(f"case {i} needs string 'input' and 'output'")
        checker = ref.get("checker", "exact")
        if isinstance(checker, dict):
            if not isinstance(checker.get("program"), str):
                raise ReferenceError_("a special judge checker is {'program': source}")
        elif checker not in STDIO_CHECKERS:
            raise ReferenceError_(f"unknown checker {checker!r}")
        out["checker"] = checker
        out["float_tol"] = _tolerance(ref, "float_tol", 1e-6)
    elif fmt == "pytest":
        out["test_ids"], out["solution_names"] = pytest_file(_need(ref, "test", str))
    return out


def _tolerance(ref: dict, key: str, default: float) -> float:
    value = ref.get(key)
    if value is None:
        return default
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise ReferenceError_(f"{key!r} must be a finite number >= 0, not {value!r}")
    return float(value)


@lru_cache(maxsize=256)
def pytest_file(test: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(test ids, solution names), read here in the parent. Test ids: what pytest must report
    (functions test*, methods test* of Test* classes and of TestCase subclasses). Solution names:
    the names the file uses and never binds, which `from solution import *` must provide. A file
    that does not parse (a syntax error, a null byte, nesting too deep for `ast`) or holds no test
    is an invalid reference: its row fails with the reason and the other rows go on."""
    try:
        tree = ast.parse(test)
        names = _free_names(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ReferenceError_(f"the pytest file does not parse ({why})") from None
    ids = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            ids.append(node.name)
        elif isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or any(
                getattr(b, "id", getattr(b, "attr", None)) == "TestCase" for b in node.bases)):
            ids += [f"{node.name}::{sub.name}" for sub in node.body
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test")]
    if not ids:
        raise ReferenceError_("the pytest file defines no test (functions test*, or methods test* of Test* classes)")
    return tuple(ids), names


def _free_names(tree: ast.AST) -> tuple[str, ...]:
    """Names loaded somewhere in the tree and bound nowhere in it (assigned, defined, imported,
    arguments, handlers, globals), builtins excepted."""
    loaded, bound = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return tuple(sorted(loaded - bound))
