"""Pass rate, band filter, rejection sampling, preference pairs, self-consistency and the SFT/DPO
exports, on rollout sets whose verdicts are known; every derived record must link back."""

from __future__ import annotations

import json

import mpmath
import pytest

from reasonledger.construct.band import BandFilter
from reasonledger.construct.consistency import SelfConsistency, extract
from reasonledger.construct.passrate import PassRate
from reasonledger.stats.beta import beta_interval
from reasonledger.construct.preference import PreferencePairs
from reasonledger.construct.rejection import RejectionSample
from reasonledger.construct.segment import Segmentation, segment, step_texts
from reasonledger.construct.verify import Verify
from reasonledger.engine.step import StepContext
from reasonledger.engine.outputs import export
from reasonledger.records.model import Kind, LineageEvent, Record
from reasonledger.records.parquet import write_parquet_shards


def rollout_set(answers: list[str], reference: str | None = "12", prompt: str = "What is 3 * 4?") -> Record:
    """Rollouts that end in <answer>a</answer>, verified by `exact` against the reference."""
    record = Record(
        kind=Kind.rollout_set,
        task={"prompt": prompt, "reference": reference, "source": {"dataset": "tests/derived"},
              "verifier": {"name": "exact"}},
        behaviour={"rollouts": [{"response": f"{'work ' * (i + 1)}<answer>{a}</answer>", "meta": {"sample": i}}
                                for i, a in enumerate(answers)]},
        lineage={"events": [LineageEvent(stage="stage-00", step="rollouts", model="policy-7b", revision="abc123",
                                         sampling={"temperature": 0.8, "max_tokens": 512, "template": "{prompt}"})]},
        meta={"generation": {"api": "chat", "payload": {"messages": [
            {"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt + " Answer in tags."}]}}},
    )
    if reference is None:
        return record
    (verified,) = Verify().process(iter([record]), StepContext("s", 0, None, "verify"))
    return verified


def run(step, records, label="01-step"):
    ctx = StepContext("stage-01", 0, None, label)
    return list(step.process(iter(records), ctx)), ctx


@pytest.mark.parametrize("c,n", [(0, 4), (1, 4), (3, 8), (8, 8), (17, 64)])
def test_beta_interval_is_the_posterior_quantiles(c, n):
    lo, hi = beta_interval(c, n, (0.5, 0.5), 0.9)
    a, b = 0.5 + c, 0.5 + n - c
    assert float(mpmath.betainc(a, b, 0, lo, regularized=True)) == pytest.approx(0.05, abs=1e-9)
    assert float(mpmath.betainc(a, b, 0, hi, regularized=True)) == pytest.approx(0.95, abs=1e-9)


def test_pass_rate_carries_its_conditioning():
    (out,), ctx = run(PassRate(), [rollout_set(["12", "11", "12", "x"])])
    stats = out.meta["pass_rate"]
    assert (stats["c"], stats["n"], stats["rate"]) == (2, 4, 0.5)
    assert stats["interval"] == [round(x, 6) for x in beta_interval(2, 4, (0.5, 0.5), 0.9)]
    assert stats["conditioning"] == {"policy": "policy-7b", "revision": "abc123", "n": 4, "temperature": 0.8,
                                     "max_tokens": 512, "template": "{prompt}", "verifier": "exact",
                                     "verifier_version": "2.0.0", "verifier_config": out.verdicts[0].config_hash}
    assert ctx.stats["01-step"].counts["mixed"] == 1


def test_pass_rate_says_unknown_and_drops_unverified():
    bare = Record(kind=Kind.rollout_set, task={"prompt": "p", "reference": "1", "source": {"dataset": "d"}},
                  behaviour={"rollouts": [{"response": "1", "meta": {"model": "m1"}}]})
    out, ctx = run(PassRate(), [bare])
    assert out == [] and ctx.rejected[0].reason == "unverified"
    verified = bare.with_verdict(rollout_set(["1"]).verdicts[0])
    (out,), _ = run(PassRate(), [verified])
    assert out.meta["pass_rate"]["conditioning"]["policy"] == "m1"
    assert out.meta["pass_rate"]["conditioning"]["temperature"] == "unknown"


def test_band_filter_drops_too_easy_and_too_hard_by_the_interval():
    sets = [rollout_set(["12"] * 8), rollout_set(["0"] * 8), rollout_set(["12"] * 7 + ["0"]), rollout_set(["12"] * 4 + ["0"] * 4)]
    rated, _ = run(PassRate(), sets)
    kept, ctx = run(BandFilter(lo=0.25, hi=0.75), rated)
    assert [r.meta["pass_rate"]["c"] for r in kept] == [7, 4]  # 7/8's interval still reaches into the band
    assert [(x.reason, x.record.meta["pass_rate"]["c"]) for x in ctx.rejected] == [("too_easy", 8), ("too_hard", 0)]
    assert "policy policy-7b, temperature 0.8, verifier exact@2.0.0" in ctx.rejected[0].detail
    kept, ctx = run(BandFilter(lo=0.25, hi=0.75, rule="point"), rated)
    assert [r.meta["pass_rate"]["c"] for r in kept] == [4]
    kept, ctx = run(BandFilter(lo=0.2, hi=0.8, rule="inside"), rated)
    assert [r.meta["pass_rate"]["c"] for r in kept] == [4]  # 4/8: 90% interval 0.23-0.77
    assert [x.reason for x in ctx.rejected] == ["too_easy", "too_hard", "too_easy"]


def test_rejection_sampling_links_each_trace_to_its_rollout_and_verdict():
    source = rollout_set(["0", "12", "12", "12"])
    out, ctx = run(RejectionSample(select="shortest"), [source])
    assert [r.kind for r in out] == [Kind.rollout_set, Kind.trace]
    trace = out[1]
    assert trace.meta["rollout_index"] == 1 and trace.lineage.parents == [source.id]
    assert trace.behaviour.response == source.behaviour.rollouts[1].response and trace.behaviour.answer == "12"
    (verdict,) = trace.verdicts
    assert verdict.target == "answer" and verdict.passed and verdict.evidence["rollout"] == 1
    assert trace.lineage.events[-1].step == "rejection_sample" and trace.meta["generation"] == source.meta["generation"]
    assert [r.meta["rollout_index"] for r in run(RejectionSample(select="all"), [source])[0][1:]] == [1, 2, 3]
    assert [r.meta["rollout_index"] for r in run(RejectionSample(select="first", k=2), [source])[0][1:]] == [1, 2]
    picks = [r.meta["rollout_index"] for r in run(RejectionSample(select="random", k=2, seed=5), [source])[0][1:]]
    assert picks == [r.meta["rollout_index"] for r in run(RejectionSample(select="random", k=2, seed=5), [source])[0][1:]]
    out, ctx = run(RejectionSample(keep_input=False), [rollout_set(["0", "1"])])
    assert out == [] and ctx.rejected[0].reason == "no_correct_rollout"


def test_preference_pairs_pair_correct_with_wrong_and_keep_both_verdicts():
    source = rollout_set(["12", "0", "12", "5"])
    out, ctx = run(PreferencePairs(pairs=2), [source])
    pairs = out[1:]
    assert [(p.meta["chosen_rollout"], p.meta["rejected_rollout"]) for p in pairs] == [(0, 1), (2, 3)]
    for pair in pairs:
        assert pair.kind == Kind.preference_pair and pair.lineage.parents == [source.id]
        chosen, rejected = pair.verdicts
        assert (chosen.target, chosen.passed, rejected.target, rejected.passed) == ("chosen", True, "rejected", False)
        assert pair.behaviour.chosen == source.behaviour.rollouts[chosen.evidence["rollout"]].response
        assert pair.behaviour.rejected == source.behaviour.rollouts[rejected.evidence["rollout"]].response
    assert len(run(PreferencePairs(select="all"), [source])[0]) == 1 + 4
    _, ctx = run(PreferencePairs(), [rollout_set(["12", "12"])])
    assert ctx.stats["01-step"].counts["no_pair_all_correct"] == 1


def test_self_consistency_labels_by_majority_and_refuses_ties():
    unlabelled = rollout_set(["7", "7", "8", "7 "], reference=None)
    (out,), ctx = run(SelfConsistency(), [unlabelled])
    assert out.task.reference == {"answer": "7", "label_source": "consensus", "votes": 3, "n": 4}
    assert out.lineage.parents == [unlabelled.id]
    verdicts = [v for v in out.verdicts if v.verifier == "self_consistency"]
    assert [v.passed for v in verdicts] == [True, True, False, True]
    assert {v.label_source for v in verdicts} == {"consensus"}
    out, ctx = run(SelfConsistency(), [rollout_set(["7", "8", "7", "8"], reference=None)])
    assert out == [] and ctx.rejected[0].reason == "no_consensus"
    with_reference = rollout_set(["1"])
    assert run(SelfConsistency(), [with_reference])[0] == [with_reference]
    # the labelled set goes on like any other: pass rate and pairs use the consensus verdicts
    (rated,), _ = run(PassRate(), [run(SelfConsistency(), [unlabelled])[0][0]])
    assert rated.meta["pass_rate"]["c"] == 3 and rated.meta["pass_rate"]["conditioning"]["verifier"] == "self_consistency"


def test_answer_extraction_rules():
    assert extract("so \\boxed{\\frac{1}{2}} done", "stated") == "\\frac{1}{2}"
    assert extract("a <answer>3</answer> b <answer> 4 </answer>", "answer_tag") == "4"
    assert extract("total is 1,250 then 3.5", "stated") == "1,250"  # the number the statement links ("is"), not the last one
    assert extract("the answer is 42 (no tag)", "answer_tag") is None


def test_segmentation_spans_keep_the_separator_in_the_prefix():
    text = "First step.\nSecond step.\n\nThird step."
    spans = segment(text, Segmentation())
    assert step_texts(text, spans) == ["First step.", "Second step.", "Third step."]
    assert text[: spans[0][1]] == "First step.\n"
    spans = segment(text, Segmentation(rule="paragraphs"))
    assert step_texts(text, spans) == ["First step.\nSecond step.", "Third step."]
    spans = segment("intro\nStep 1: a\nStep 2: b", Segmentation(rule="regex", pattern=r"(?m)^Step \d+"))
    assert step_texts("intro\nStep 1: a\nStep 2: b", spans) == ["intro", "Step 1: a", "Step 2: b"]


def test_sft_and_dpo_exports_use_the_prompt_the_model_saw(tmp_path):
    source = rollout_set(["0", "12"])
    records, _ = run(RejectionSample(), [source])
    records, _ = run(PreferencePairs(), records)
    write_parquet_shards(records, tmp_path / "data", 100)
    (sft,) = [json.loads(line) for line in export("sft", tmp_path / "data", tmp_path / "out").read_text().splitlines()]
    assert sft["messages"] == [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": "What is 3 * 4? Answer in tags."},
                               {"role": "assistant", "content": source.behaviour.rollouts[1].response}]
    assert sft["rollout_set"] == source.id and sft["rollout_index"] == 1
    (dpo,) = [json.loads(line) for line in export("dpo", tmp_path / "data", tmp_path / "out").read_text().splitlines()]
    assert dpo["prompt"] == sft["messages"][:2]
    assert dpo["chosen"] == [{"role": "assistant", "content": source.behaviour.rollouts[1].response}]
    assert dpo["rejected"] == [{"role": "assistant", "content": source.behaviour.rollouts[0].response}]
    assert (dpo["chosen_rollout"], dpo["rejected_rollout"], dpo["rollout_set"]) == (1, 0, source.id)


def test_sft_keeps_separate_reasoning_in_think_tags(tmp_path):
    source = rollout_set(["12"])
    rollouts = [r.model_copy(update={"meta": {**r.meta, "reasoning": "3 * 4 is 12."}}) for r in source.behaviour.rollouts]
    source = Record.model_validate({**source.model_dump(exclude={"id"}), "behaviour": {"rollouts": [r.model_dump() for r in rollouts]}})
    records, _ = run(RejectionSample(), [source])
    assert records[1].behaviour.trace == "3 * 4 is 12." and records[1].behaviour.response.endswith("</answer>")
    write_parquet_shards(records, tmp_path / "data", 100)
    (sft,) = [json.loads(line) for line in export("sft", tmp_path / "data", tmp_path / "out").read_text().splitlines()]
    assert sft["messages"][-1]["content"] == "<think>\n3 * 4 is 12.\n</think>\n\nwork <answer>12</answer>"
