"""No real answer in ../shared/data makes the math verifier fail with an internal error (issue 15).

Every reference/answer pair the shared data holds is checked: the Math-Verify suite, GSM8K references
against the four models' rollouts and against their own final answers, GSM-Plus (each rewrite's
answer against its solution and against the seed problem's answer), ProcessBench (GSM8K problems
against the GSM8K reference; competition problems: each solution against the other solutions to the
same problem and against another problem's solution, read as references), and the reasoning-gym rollouts. A verdict whose method is `error`
is a verifier bug: the reason names the exception.
"""

import ast
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from reasonledger.verifiers.math import MathVerifier


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _steps(row: dict) -> str:
    steps = row["steps"]
    return "\n\n".join(ast.literal_eval(steps) if isinstance(steps, str) else steps)


def real_pairs(data: Path) -> dict[str, list[tuple[str, str]]]:
    """(reference, response) pairs per source."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in _jsonl(data / "mathverify_suite" / "cases.jsonl"):
        if "gold" in r["params"] and "pred" in r["params"]:
            out["mathverify_suite"].append((r["params"]["gold"], r["params"]["pred"]))
            out["mathverify_suite"].append((r["params"]["pred"], r["params"]["gold"]))
    gsm_answers: dict[str, str] = {}
    for r in _jsonl(data / "gsm8k" / "test.jsonl"):
        gsm_answers[r["question"].strip()] = r["answer"]
        out["gsm8k_test"].append((r["answer"], r["answer"].split("####")[-1].strip()))
    for r in _jsonl(data / "gsm8k" / "example_model_solutions.jsonl"):
        for model in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            out["gsm8k_rollouts"].append((r["ground_truth"], r[model]["solution"]))
    for r in _jsonl(data / "gsmplus" / "testmini.jsonl"):
        out["gsmplus"].append((str(r["answer"]), r["solution"]))
        out["gsmplus"].append((r["seed_answer"], r["solution"]))
    by_problem: dict[str, list[str]] = defaultdict(list)
    for name in ("gsm8k", "math"):
        for r in json.loads((data / "processbench" / f"{name}.json").read_text(encoding="utf-8")):
            solution = _steps(r)
            reference = gsm_answers.get(r["problem"].strip())
            if reference is not None:
                out["processbench_gsm8k"].append((reference, solution))
            else:
                by_problem[r["problem"]].append(solution)
    groups = list(by_problem.values())
    for k, solutions in enumerate(groups):
        neighbour = groups[(k + 1) % len(groups)][0]  # another problem's answer: a realistic wrong response
        for i, ref in enumerate(solutions):
            for resp in solutions[:i] + solutions[i + 1:] + [ref, neighbour]:
                out["processbench_math"].append((ref, resp))
    for f in sorted((data / "rollouts" / "rg_eval_deepseek_r1_easy").glob("*.json")):
        if f.name == "summary.json":
            continue
        for r in json.loads(f.read_text(encoding="utf-8"))["results"]:
            comps = r["completions"]
            for c in ast.literal_eval(comps) if isinstance(comps, str) else comps:
                out["reasoning_gym"].append((str(r["expected_answer"]), c["full_model_response"]))
    return dict(out)


def test_no_internal_error_on_any_real_answer(shared_data):
    v = MathVerifier()
    pairs = real_pairs(shared_data)
    assert sum(map(len, pairs.values())) > 15_000  # every source was read
    errors: list[tuple[str, str]] = []
    methods: Counter = Counter()
    for source, items in pairs.items():
        for ref, resp in items:
            verdict = v.verify(ref, resp)
            methods[verdict.evidence["method"]] += 1
            if verdict.evidence["method"] == "error":
                errors.append((source, verdict.evidence["reason"]))
    assert not errors, f"{len(errors)} internal errors, e.g. {errors[:5]}"
    assert methods["error"] == 0 and sum(methods.values()) == sum(map(len, pairs.values()))


@pytest.mark.parametrize("ref, resp", [("③", "\\boxed{①③}"), ("①③", "\\boxed{③}"), ("⑳", "\\boxed{20}"), ("①②", "②①")])
def test_circled_digits_never_raise(ref, resp):
    verdict = MathVerifier().verify(ref, resp)
    assert verdict.evidence["method"] != "error", verdict.evidence
