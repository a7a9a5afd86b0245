"""Code tasks through the same door as every other answer (issue 11, item 4): the program in a
fenced block, bare, or after prose, with or without reasoning in <think> before it, reaches the
code verifier; a program inside the reasoning never does."""

from __future__ import annotations

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code.extract import extract_code
from reasonledger.verifiers.code.probe import probe

PROGRAM = "import math\n\n\ndef f(x):\n    return math.isqrt(x) + 1\n"
WRONG = "def f(x):\n    return 0\n"
THINK = f"<think>\nFirst try:\n```python\n{WRONG}```\nNo, isqrt is better.\n</think>\n"
STYLES = {
    "fenced": f"Here is the solution.\n\n```python\n{PROGRAM}```\n\nIt uses isqrt, O(1).",
    "fenced, then an output example": f"```python\n{PROGRAM}```\nFor example:\n```\n>>> f(9)\n4\n```\n",
    "fenced without a language": f"Solution:\n```\n{PROGRAM}```\n",
    "fence left open": f"```python\n{PROGRAM}",
    "bare": PROGRAM,
    "after prose": f"Here is my solution, using integer square roots.\nIt runs in constant time:\n\n{PROGRAM}",
    "after prose that starts like code": f"from the statement, f adds one to the root:\n{PROGRAM}",
    "between prose": f"Solution, in constant time:\n\n{PROGRAM}\nThis uses math.isqrt (Python 3.8+).\nIt is exact for big ints.",
}
CASES = [(name, text) for name, text in STYLES.items()] + [(f"<think> then {name}", THINK + text) for name, text in STYLES.items()]


@pytest.mark.parametrize("name,text", CASES, ids=[c[0] for c in CASES])
def test_the_program_is_found_in_every_style(name: str, text: str) -> None:
    code, how = extract_code(text)
    assert code.strip() == PROGRAM.strip(), (name, how)
    assert "return 0" not in code


def test_an_unclosed_think_block_has_no_program() -> None:
    code, how = extract_code(f"<think>\n```python\n{PROGRAM}```\nstill thinking")
    assert code == "" and how["source"] == "none"


def test_prose_alone_is_given_whole() -> None:
    code, how = extract_code("I could not solve this one.")
    assert code == "I could not solve this one." and how["source"] == "whole_response"


@pytest.mark.skipif(probe()["level_value"] < 2, reason=f"no sandbox here: {probe().get('missing')}")
def test_every_style_passes_the_code_verifier_and_the_reasoning_is_not_run() -> None:
    ref = {"format": "call", "fn_name": "f", "cases": [{"args": [9], "expected": 4}, {"args": [15], "expected": 4}]}
    with get_verifier("code", time_limit=2.0, slots=2) as v:
        verdicts = v.verify_many([(ref, text) for _, text in CASES])
        wrong = v.verify(ref, f"<think>\n```python\n{PROGRAM}```\n</think>\nThe answer:\n```python\n{WRONG}```")
    for (name, _), verdict in zip(CASES, verdicts):
        assert verdict.passed, (name, verdict.evidence["extraction"], verdict.evidence["first_failure"])
        # named as every verifier names its answer, for the trainers' logs (rewards.py reads these keys)
        assert verdict.evidence["extracted"].strip() == PROGRAM.strip()
        assert verdict.evidence["rule"] == ("bare" if name.endswith("bare") else
                                            "after_prose" if "prose" in name else "code_block"), name
    assert not wrong.passed
