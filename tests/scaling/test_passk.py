"""pass@k: the product form against the binomial definition, the interval over problems, and real GSM8K rollouts."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasonledger.formats.importers import import_file
from reasonledger.records.model import Record
from reasonledger.records.targets import VerdictChoiceError
from reasonledger.scaling.passk import collect_outcomes, pass_at_k, passk_estimate, passk_report
from tests.scaling.records_factory import rollout_set


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_product_form_equals_the_binomial_definition(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-12)


def test_large_n_does_not_overflow() -> None:
    # C(10000, 500) overflows a float; the product form does not.
    value = pass_at_k(10_000, 3, 500)
    assert 0.14 < value < 0.15  # 1 - (1 - 500/10000)^3 approximately
    assert pass_at_k(10, 0, 5) == 0.0 and pass_at_k(10, 6, 5) == 1.0


@pytest.mark.parametrize("n, c, k", [(3, 4, 1), (3, 1, 0), (3, 1, 4)])
def test_impossible_counts_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_interval_inside_agrees_with_naive_resampling_and_shrinks_with_more_problems() -> None:
    rng = np.random.default_rng(3)
    n = np.full(400, 8)
    c = rng.binomial(8, 0.3, size=400)
    est = passk_estimate(n, c, 2, n_boot=4000)
    per_problem = np.array([pass_at_k(8, int(x), 2) for x in c])
    naive = [per_problem[rng.integers(0, 400, 400)].mean() for _ in range(4000)]
    assert est.value == pytest.approx(per_problem.mean())
    assert est.low == pytest.approx(np.percentile(naive, 2.5), abs=0.01)
    assert est.high == pytest.approx(np.percentile(naive, 97.5), abs=0.01)
    small = passk_estimate(n[:40], c[:40], 2, n_boot=4000)
    assert (small.high - small.low) > 2 * (est.high - est.low)


def test_problems_with_fewer_samples_than_k_are_excluded_and_counted() -> None:
    est = passk_estimate(np.array([2, 4, 4]), np.array([1, 0, 4]), 3)
    assert est.problems == 2 and est.excluded == 1 and est.value == pytest.approx(0.5)


def test_outcomes_per_source_and_what_was_skipped() -> None:
    records = [rollout_set("p1", [True, False, False, False], "a"), rollout_set("p2", [False] * 4, "a"),
               rollout_set("p3", [True] * 4, "b")]
    unjudged = Record.model_validate({**rollout_set("p4", [True, True]).model_dump(exclude={"id"}), "verdicts": []})
    partial = Record.model_validate({**rollout_set("p5", [True, True]).model_dump(exclude={"id"}),
                                     "verdicts": rollout_set("p5", [True, True]).verdicts[:1]})
    report = passk_report(collect_outcomes([*records, unjudged, partial]), n_boot=200)
    assert report["ks"] == [1, 2, 4]
    assert report["skipped"] == {"no rollout verdicts": 1, "some rollouts have no verdict": 1}
    assert report["table"]["a"]["pass@1"]["value"] == pytest.approx(0.125)
    assert report["table"]["a"]["pass@4"]["value"] == pytest.approx(0.5)
    assert report["table"]["b"]["pass@1"]["value"] == 1.0
    assert report["table"]["overall"]["pass@2"]["value"] == pytest.approx((0.5 + 0 + 1) / 3)


def test_two_verifiers_on_one_rollout_need_a_choice() -> None:
    record = rollout_set("p", [True, False])
    both = record.with_verdict(record.verdicts[0].model_copy(update={"verifier": "math", "passed": False}))
    with pytest.raises(VerdictChoiceError, match="--verifier"):
        collect_outcomes([both])
    chosen = collect_outcomes([both], verifier="exact")
    assert chosen.problems[0].passed == (True, False)
    assert collect_outcomes([both], verifier="math").skipped == {"some rollouts have no verdict from math": 1}


def test_gsm8k_model_solutions_pass_at_k_from_the_authors_labels(shared_data) -> None:
    path = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    labels = [[v["is_correct"] for v in row.values() if isinstance(v, dict) and "is_correct" in v] for row in rows]
    report = passk_report(collect_outcomes(r for r in import_file(path, "gsm8k-solutions") if isinstance(r, Record)),
                          n_boot=500)
    overall = report["table"]["overall"]
    assert report["problems"] == len(rows) == 1319
    assert overall["pass@1"]["value"] == pytest.approx(np.mean([np.mean(x) for x in labels]))
    assert overall["pass@4"]["value"] == pytest.approx(np.mean([any(x) for x in labels]))
    assert overall["pass@1"]["low"] < overall["pass@1"]["value"] < overall["pass@1"]["high"]
    assert "several models" in report["notes"][0]
