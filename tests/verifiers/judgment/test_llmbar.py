"""LLMBar's recorded GPT-4 and ChatGPT judges, replayed through the pairwise verifier."""

import json
import math

import pytest

from reasonledger.verifiers.judgment.agreement import authors_statistics, cohen_kappa, measure
from reasonledger.verifiers.judgment.llmbar import cells, replay_cell
from reasonledger.verifiers.judgment.pairwise import PairwiseVerifier

from .scripts import scripted


@pytest.fixture
def llmbar(shared_data):
    return shared_data / "llmbar"


def test_replay_reproduces_every_recorded_cell_of_the_authors_statistics(llmbar, tmp_path):
    found = cells(llmbar)
    assert len(found) == 20  # 5 sets x {GPT-4, ChatGPT} x {Vanilla, Swap}
    figures = {}
    for cell in found:
        outcomes, cost = replay_cell(cell, tmp_path)
        got, want = authors_statistics(outcomes), cell.statistics()
        assert got.keys() == want.keys()
        for key, value in want.items():
            if isinstance(value, float):
                assert math.isclose(got[key], value, rel_tol=0, abs_tol=1e-12), (cell, key)
            else:
                assert got[key] == value, (cell, key)
        assert cost["calls"] >= 2 * len(outcomes) and not cost.get("failures")
        figures[(cell.set_dir.name, cell.judge, cell.strategy)] = measure(outcomes)
    natural = figures[("Natural", "GPT-4", "Swap")]
    assert natural["accuracy_mean"] == pytest.approx(0.945) and natural["positional_agreement"] == pytest.approx(0.97)
    # consistency is not correctness: ChatGPT Vanilla agrees with itself far more often than it is right on GPTInst
    gptinst = figures[("GPTInst", "ChatGPT", "Vanilla")]
    assert gptinst["positional_agreement"] > gptinst["accuracy_both"] + 0.3


def test_the_swap_strategy_second_round_prompts_are_the_ones_the_authors_sent(llmbar, tmp_path):
    swap = next(c for c in cells(llmbar) if (c.set_dir.name, c.judge, c.strategy) == ("Natural", "GPT-4", "Swap"))
    outcomes, cost = replay_cell(swap, tmp_path)
    second_rounds = sum(len(r["results"]) == 2 for r in swap.rows())
    assert second_rounds == 7 and cost["calls"] == 2 * len(outcomes) + 2 * second_rounds  # every replay key found


def test_an_always_a_judge_scores_the_share_of_a_labels_and_is_never_consistent(llmbar):
    rows = json.loads((llmbar / "LLMBar" / "Natural" / "dataset.json").read_text())
    judge = PairwiseVerifier(**scripted("always-a", lambda prompt: "Final Decision: Output (a)"))
    results = judge.compare_many([(r["input"], r["output_1"], r["output_2"]) for r in rows])
    share_a = sum(r["label"] == 1 for r in rows) / len(rows)
    without_swap = sum(res.orders["ab"] == str(r["label"]) for res, r in zip(results, rows)) / len(rows)
    assert without_swap == share_a and 0 < share_a < 1
    assert sum(res.consistent for res in results) == 0
    assert {res.winner for res in results} == {"inconsistent"} and judge.client.calls == 2 * len(rows)


def test_cohen_kappa_is_the_textbook_value():
    # po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5 -> kappa = 0.4
    a = [1] * 5 + [0] * 5
    b = [1, 1, 1, 1, 0, 0, 0, 0, 1, 1]
    assert cohen_kappa(a, b) == pytest.approx((0.7 - 0.5) / 0.5)
