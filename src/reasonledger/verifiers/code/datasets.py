"""Importer functions for HumanEval, HumanEval+ and MBPP: one code reference per dataset row.

Each yields {"row_id", "prompt", "reference", "canonical_solution", "entry_point"/"fn_name",
"source"}; `canonical_solution` is a complete program (prompt + body for HumanEval), so storing
it as the response (`--attach-solutions`) checks the dataset's own solutions.

  HumanEval     -> assert format: the dataset's `check(candidate)` runs in a judge process with
                   the prompt as trusted setup (helpers such as `poly` or `encode_cyclic`).
  HumanEval+    -> call format over base_input + plus_input; expected outputs are the canonical
                   solution's, computed in the sandbox (as evalplus does), tolerance `atol`.
  MBPP          -> assert format over test_list (test_imports / test_setup_code as setup).
"""

from __future__ import annotations

import ast
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.verifiers.code import runner


def _rows(path: str | Path) -> Iterator[dict]:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        head = f.read(1)
        f.seek(0)
        if head == "[":
            yield from json.load(f)
            return
        for line in f:
            if line.strip():
                yield json.loads(line)


def humaneval_references(path: str | Path, plus: bool | None = None, verifier: Any = None,
                         time_limit: float = 20.0) -> Iterator[dict]:
    """HumanEval or HumanEval+ rows (plain JSONL or .gz). `plus` defaults to whether rows carry
    `plus_input`; HumanEval+ needs a sandbox to compute expected outputs (`verifier`: a
    CodeVerifier to use, else one is made and closed)."""
    rows = list(_rows(path))
    is_plus = any("plus_input" in r for r in rows) if plus is None else plus
    dataset = "evalplus/humanevalplus" if is_plus else "openai/human-eval"
    licence = "Apache-2.0" if is_plus else "MIT"
    own = None
    if is_plus and verifier is None:
        from reasonledger.verifiers.code.verifier import CodeVerifier

        verifier = own = CodeVerifier(time_limit=time_limit)
    try:
        for r in rows:
            entry = r["entry_point"]
            solution = r["prompt"] + r["canonical_solution"]
            if is_plus:
                ref = _plus_reference(r, solution, verifier)
            else:
                ref = {"format": "assert", "fn_name": entry, "entry": "check", "setup": r["prompt"], "test": r["test"]}
            yield {"row_id": r["task_id"], "prompt": r["prompt"], "reference": ref, "canonical_solution": solution,
                   "entry_point": entry, "fn_name": entry, "source": {"dataset": dataset, "row_id": r["task_id"], "license": licence}}
    finally:
        if own is not None:
            own.close()


def _plus_reference(r: dict, solution: str, verifier: Any) -> dict:
    from reasonledger.verifiers.code import execute

    inputs = list(r.get("base_input") or []) + list(r.get("plus_input") or [])
    enc = [(runner.encode(list(inp)), {"d": []}) for inp in inputs]
    with verifier.pool().slot() as slot:
        outs = execute.record_outputs(slot, r["entry_point"], solution, enc, verifier._settings())
    cases = []
    skipped = 0
    for (args, kwargs), out in zip(enc, outs):
        if "ok" not in out:
            skipped += 1  # the canonical solution itself fails on this input: not a test
            continue
        cases.append({"args": args, "kwargs": kwargs, "expected": out["ok"]})
    return {"format": "call", "fn_name": r["entry_point"], "encoding": "tagged", "cases": cases,
            "atol": float(r.get("atol") or 0.0), "skipped_inputs": skipped}


def _parse(source: str) -> ast.Module:
    """Parse dataset code (never run here) without its invalid-escape warnings."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _fn_name(code: str, tests: list[str]) -> str:
    """The function the tests call that the reference code defines (else the first one called)."""
    try:
        defined = {n.name for n in _parse(code).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    except SyntaxError:
        defined = set()
    called: list[str] = []
    for t in tests:
        try:
            tree = _parse(t)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called.append(node.func.id)
    for name in called:
        if name in defined:
            return name
    import builtins

    for name in called:
        if not hasattr(builtins, name):
            return name
    return called[0] if called else "solution"


def mbpp_references(path: str | Path) -> Iterator[dict]:
    """MBPP rows: sanitized-mbpp.json (prompt, code, test_list, test_imports) or mbpp.jsonl
    (text, code, test_list, test_setup_code)."""
    for r in _rows(path):
        text = r.get("prompt") or r.get("text") or ""
        tests = list(r["test_list"])
        code = r["code"].replace("\r\n", "\n")
        name = _fn_name(code, tests)
        setup = "\n".join(list(r.get("test_imports") or []) + ([r["test_setup_code"]] if r.get("test_setup_code") else []))
        ref = {"format": "assert", "fn_name": name, "setup": setup, "test": "\n".join(tests) + "\n"}
        prompt = f"{text}\nYour code should pass these tests:\n\n" + "\n".join(tests) + "\n"
        yield {"row_id": str(r["task_id"]), "prompt": prompt, "reference": ref, "canonical_solution": code,
               "fn_name": name, "entry_point": name,
               "source": {"dataset": "google-research/mbpp", "row_id": str(r["task_id"]), "license": "CC-BY-4.0"}}
