"""The code verifier's card: what it checks, how it isolates, what it gets wrong, measured figures.

Calibration figures are read from `calibration.json` beside this file, which
`benchmarks/code_calibration.py` writes; nothing here is typed in by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonledger.verifiers.code.formats import FORMATS
from reasonledger.verifiers.code.probe import probe

CALIBRATION = Path(__file__).with_name("calibration.json")

KNOWN_FALSE_POSITIVES = [
    "A solution that hard-codes the outputs of the visible tests passes them: the verdict is only as strong as the tests.",
    "call/assert formats compare values, not objects: a subclass of a builtin (e.g. a Counter, an IntEnum) counts as its builtin value, "
    "so an object whose own __eq__ would disagree with its value is judged by its value.",
    "Floats: an expected float (or list of floats) is matched within 1e-6 absolute (evalplus's rule), so answers off by less pass "
    "(only by a number in the same place of the same shape: [[2.5]] is not 2.5, True is not 1).",
    "Plain-JSON call references cannot tell a tuple from a list: a returned tuple matches an expected list.",
]
KNOWN_FALSE_NEGATIVES = [
    "Arguments travel by value: a test that checks the candidate mutated its argument in place sees no mutation.",
    "assert and pytest formats call the candidate's functions through proxies: a test that needs its objects (an instance of "
    "its class, a callback, monkeypatching its module) or reads what it prints (capsys) fails.",
    "Values the encoding cannot carry (instances of user classes, functions, numpy arrays of objects) compare unequal to everything.",
    "A solution that needs the network, writes outside its scratch directory, or reads files outside system paths fails.",
    "HumanEval+ references take their expected outputs from the canonical solution: a task with several correct answers "
    "(e.g. HumanEval/32 find_zero) rejects correct solutions that return another one.",
    "Timeouts are wall-clock on a shared machine: a solution near the limit can fail under load.",
    "bool and int are distinct values (True is not 1): a solution returning 1 where the reference returned True fails; "
    "HumanEval+ passes bools as ints in a few inputs, where 3 original HumanEval solutions (/58, /114, /147) return ints.",
    "A return value whose encoding exceeds the output limit (8 MiB by default) is output_limit, as stdout is: at import, "
    "HumanEval+ /130 loses its ten inputs near 10**6 (a list of a million numbers) unless the limit is raised.",
]


def load_calibration() -> dict[str, Any]:
    try:
        return json.loads(CALIBRATION.read_text())
    except (OSError, ValueError):
        return {"status": "not measured: run benchmarks/code_calibration.py"}


def build_card(verifier: Any, base: dict[str, Any]) -> dict[str, Any]:
    try:
        isolation = verifier.isolation
    except Exception as exc:  # the card must render even where the sandbox cannot start
        isolation = {**probe(), "error": str(exc)}
    return {
        **base,
        "checks": "runs the candidate program against the task's tests in a sandbox; passes when every test passes",
        "input": {
            "reference": {
                "call": "fn_name, cases of args/kwargs/expected (plain JSON or tagged encoding), atol",
                "assert": "test program of asserts (+ setup, entry e.g. check); expected values stay in a separate judge process",
                "stdio": "cases of input/output; checker exact | tokens | float | yesno | {program: special judge}",
                "pytest": "a pytest file importing from `solution`; it runs in a judge process, the candidate's functions called by value",
            },
            "response": "program source, or a chat answer: reasoning in <think> is skipped, then the last ```python block "
                        "(else the last fenced block) is taken, else the text from where the program starts after any prose",
        },
        "output": {
            "passed": "all tests passed",
            "score": "fraction of tests passed",
            "evidence": "per test: status (pass, wrong_answer, runtime_error, timeout, memory_limit, output_limit, not_run), "
                        "time, peak memory, truncated stdout and stderr, error or values",
        },
        "formats": list(FORMATS),
        "isolation": isolation,
        "known_false_positives": KNOWN_FALSE_POSITIVES,
        "known_false_negatives": KNOWN_FALSE_NEGATIVES,
        "calibration": load_calibration(),
    }
