"""A rubric's verdicts on its items reach the record (`rubric:<id>` on the answer, `rollout:j/rubric:<id>`
on a rollout) through the verify step, the verdict cache and a re-audit, and are weighed only in the
verdict on the whole response by what reads the records."""

from __future__ import annotations

import re

import pytest

from reasonledger.cards.reaudit import _Rerun
from reasonledger.construct.verify import Verify
from reasonledger.engine.step import StepContext
from reasonledger.formats.exporters.training import sft_row
from reasonledger.records.model import Kind, Record
from reasonledger.records.targets import rollout_verdicts, target_kind, whole_target
from reasonledger.verifiers.pool import VerifierPool

from .scripts import scripted, section
from .test_rubric import RUBRIC

ITEMS = [f"rubric:{item['id']}" for item in RUBRIC["items"]]
ASKED: list[str] = []


def _markers(prompt: str) -> str:
    """MET when the response carries the criterion's marker `[id]`."""
    ASKED.append(prompt)
    title = re.search(r"^# Criterion: (.*)$", prompt, re.MULTILINE).group(1)
    return "Checked.\nFinal Decision: " + ("MET" if f"[{title}]" in section(prompt, "Response") else "NOT_MET")


@pytest.fixture
def config(allow_judges):
    ASKED.clear()
    return scripted("rubric-items-in-records", _markers)


def _answer(config, response: str) -> Record:
    return Record(kind=Kind.prompt_answer, task={"prompt": RUBRIC["question"], "reference": RUBRIC,
                                                 "source": {"dataset": "rubric-items", "row_id": response},
                                                 "verifier": {"name": "rubric", "config": config}},
                  behaviour={"response": response})


def test_the_verify_step_records_one_verdict_per_item_and_the_score_on_the_answer(config):
    ctx = StepContext("s", 0, None, "verify")
    (record,) = Verify().process(iter([_answer(config, "[a1] [a2]")]), ctx)
    assert [v.target for v in record.verdicts] == [*ITEMS, "answer"]
    *items, whole = record.verdicts
    assert whole.score == pytest.approx(0.8) and whole.passed  # a3 unmet, no pitfall: 8 of 10
    assert [v.evidence["met"] for v in items] == [True, True, False, False, False]
    assert [v.passed for v in items] == [True, True, False, True, True]  # a pitfall not met is in favour
    assert {v.verifier for v in record.verdicts} == {"rubric"} and all(v.version == whole.version for v in items)
    judge = ("model", "revision", "template", "template_sha256")  # the whole names its judge as each item does
    assert all({k: v.evidence[k] for k in judge} == {k: whole.evidence[k] for k in judge} for v in items)
    assert ctx.mine.counts["passed"] == 1 and ctx.mine.counts["part_passed"] == 4 and ctx.mine.counts["part_failed"] == 1
    # what reads records weighs the items only through the whole: an unmet item does not spoil a demonstration
    assert sft_row(record) is not None
    assert {whole_target(v.target) for v in record.verdicts} == {"answer"}
    assert {target_kind(v.target) for v in record.verdicts} == {"rubric", "answer"}


def test_a_rollout_sets_items_are_named_under_each_rollout_and_never_taken_for_a_rollout(config):
    record = Record(kind=Kind.rollout_set, task=_answer(config, "x").task,
                    behaviour={"rollouts": [{"response": "[a1] [a2] [a3]"}, {"response": "[a2] [a3]"}]})
    (judged,) = Verify().process(iter([record]), StepContext("s", 0, None, "verify"))
    assert [v.target for v in judged.verdicts] == [*(f"rollout:0/{t}" for t in ITEMS), "rollout:0",
                                                   *(f"rollout:1/{t}" for t in ITEMS), "rollout:1"]
    assert {j: v.passed for j, v in rollout_verdicts(judged).items()} == {0: True, 1: False}  # the gate a1 is unmet
    assert rollout_verdicts(judged)[1].evidence["failed_gates"] == ["a1"]


def test_the_verdict_cache_gives_back_the_items_without_asking_the_judge_again(config, tmp_path):
    def jobs_for(pool, responses):
        return [(pool.for_record(_answer(config, r)), RUBRIC, r, "answer") for r in responses]

    pool = VerifierPool(None, {}, tmp_path / "verdicts.sqlite")
    first = pool.check_parts(jobs_for(pool, ["[a1] [a2]", "[a1] [p1]"]))
    pool.close()
    asked = len(ASKED)
    assert asked == 2 * len(ITEMS)
    again = VerifierPool(None, {}, tmp_path / "verdicts.sqlite")
    second = again.check_parts(jobs_for(again, ["[a1] [a2]", "[a1] [p1]"]))
    again.close()
    assert len(ASKED) == asked and second == first
    assert [v.target for v in second[1]] == [*ITEMS, "answer"] and second[1][-1].score == pytest.approx(0.1)


def test_a_reaudit_rejudges_the_items_with_their_answer_and_names_a_tampered_item(config):
    (record,) = Verify().process(iter([_answer(config, "[a1] [a2]")]), StepContext("s", 0, None, "verify"))
    rerun = _Rerun([])
    rerun.add(record, "part-00000")
    assert len(rerun.jobs) == 1  # the answer and its five items come from one check
    rerun.flush()
    assert rerun.counts["rerun"] == 6 and rerun.counts["agree"] == 6 and rerun.findings == []
    tampered = [v.model_copy(update={"passed": True, "score": 1.0}) if v.target == "rubric:a3" else v
                for v in record.verdicts]
    rerun.add(record.model_copy(update={"verdicts": tampered}), "part-00000")
    rerun.flush()
    (finding,) = rerun.findings
    assert finding.where == "part-00000 record " + record.id + " rubric:a3"
    assert "card says passed=True" in finding.detail and "re-run says passed=False" in finding.detail
