"""Agreement on the real sets of issue 3 (data read from ../shared/data, never copied here)."""

import ast
import json

import pytest

from reasonledger.verifiers.math import MathVerifier

# one default configuration cannot satisfy both settings of these suite options, and one expectation
# is a recorded Math-Verify false positive (1 - 1/e = 1 + 1/e); see benchmarks/math.md
EXPECTED_DISAGREEMENTS = ("0.33", "test_set_rel_assymetry", "strict_variable_comparison[$f(x)$-$f(y)$-False", "$-$1 + ")


@pytest.fixture(scope="module")
def v():
    return MathVerifier()


def test_math_verify_suite_agreement_at_least_98_percent(shared_data, v):
    rows = [json.loads(line) for line in (shared_data / "mathverify_suite" / "cases.jsonl").open()]
    pairs = [r for r in rows if "gold" in r["params"] and "pred" in r["params"]]
    wrong = [r["id"] for r in pairs
             if int(v.verify(r["params"]["gold"], r["params"]["pred"]).passed) != int(r["params"].get("expected", r["params"].get("result")))]
    assert (len(pairs) - len(wrong)) / len(pairs) >= 0.98
    unexplained = [w for w in wrong if not any(k in w for k in EXPECTED_DISAGREEMENTS)]
    assert not unexplained


def test_math_verify_string_extraction_cases(shared_data):
    from reasonledger.verifiers.math.extract import extract_choice

    rows = [json.loads(line) for line in (shared_data / "mathverify_suite" / "cases.jsonl").open()]
    cases = [r for r in rows if r["test"] == "test_string_extraction" and "config" in r["params"]]
    assert cases
    for r in cases:
        letters = "".join(ast.literal_eval(r["params"]["config"].split("strings=")[1].split(")")[0] + ")"))
        expected = ast.literal_eval(r["params"]["expected"])
        got = extract_choice(r["params"]["pred"], letters)
        assert (got.text if got else None) == (expected[1] if expected else None), r["params"]


def test_gsm8k_is_correct_labels(shared_data, v):
    pairs = []
    for line in (shared_data / "gsm8k" / "example_model_solutions.jsonl").open():
        r = json.loads(line)
        for model in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            pairs.append((r["ground_truth"], r[model]["solution"], r[model]["is_correct"]))
    verdicts = v.verify_many([(g, s) for g, s, _ in pairs], workers=2)
    v.close()
    agree = sum(vd.passed == label for vd, (_, _, label) in zip(verdicts, pairs))
    assert agree / len(pairs) >= 0.99


def test_gsm8k_hash_references(shared_data, v):
    rows = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").open()][:200]
    for r in rows:
        final = r["answer"].split("####")[-1].strip()
        assert v.verify(r["answer"], f"... so the answer is {final}.").passed, r["answer"][-80:]
        assert not v.verify(r["answer"], f"The answer is {final}1.").passed


@pytest.mark.parametrize("reference,wrong", [
    (r"$\frac{1}{2^{98}}$", r"$\frac{1}{2^{99}}$"), (r"$\frac{1}{2006!}$", r"$\frac{1}{2004!}$"),
    (r"$1+\frac{1}{\mathrm{e}}$", r"$1-\frac{1}{\mathrm{e}}$"), (r"$1, 3, 5, \ldots, 2n-1$", r"$1, 2, \ldots, n$"),
    ("$0.0000001$", "$0.0000003$"), ("5", "500"), (r"\pi", "3.14"),
])
def test_zero_false_positives_on_the_known_ones(v, reference, wrong):
    assert not v.verify(reference, wrong).passed
