"""Replay on real rollouts from ../shared/data: GSM8K's example model solutions (4 models per
problem, graded by the authors) and reasoning-gym-eval's DeepSeek-R1 completions (3 per question,
scored by reasoning-gym). Replayed rollouts must be exactly the recorded ones, and the verdicts our
verifiers give them must agree with the labels recorded beside them."""

from __future__ import annotations

from itertools import islice

import pytest

from reasonledger.generation.backends.replay import ReplayStore, replay_answerer
from reasonledger.construct.passrate import PassRate
from reasonledger.construct.preference import PreferencePairs
from reasonledger.construct.rejection import RejectionSample
from reasonledger.construct.rollouts import Rollouts
from reasonledger.construct.verify import Verify
from reasonledger.engine.step import StepContext
from reasonledger.formats.importers import import_file
from reasonledger.records.model import Kind
from reasonledger.verifiers import get_verifier

RG_FILE = "rollouts/rg_eval_deepseek_r1_easy/arithmetic_basic_arithmetic.json"


def chain(records, *steps):
    ctx = StepContext("stage-00", 0, None)
    stream = iter(records)
    for index, step in enumerate(steps):
        stream = step.process(stream, ctx.for_step(f"{index:02d}-{step.name}", 0))
    return list(stream), ctx


def test_gsm8k_example_solutions_replay_and_verify(shared_data):
    solutions = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    tasks = list(islice(import_file(shared_data / "gsm8k" / "test.jsonl", "gsm8k"), 60))
    recorded = {r.task.prompt: r for r in islice(import_file(solutions, "gsm8k-solutions"), 60)}
    replay = Rollouts(n=4, generator={"backend": "replay", "replay": [str(solutions)], "replay_format": "gsm8k-solutions"})
    sets, _ = chain(tasks, replay)
    assert len(sets) == 60
    for rollout_set in sets:
        original = recorded[rollout_set.task.prompt]
        assert [r.response for r in rollout_set.behaviour.rollouts] == [r.response for r in original.behaviour.rollouts]
        assert [r.meta["model"] for r in rollout_set.behaviour.rollouts] == [r.meta["model"] for r in original.behaviour.rollouts]
        assert rollout_set.lineage.parents == [tasks[int(rollout_set.task.source.row_id)].id]
    try:
        get_verifier("math")
    except Exception as exc:  # the math verifier is optional here; the replay checks above still ran
        pytest.skip(f"math verifier not available: {exc}")
    out, ctx = chain(sets, Verify(), PassRate(), RejectionSample(), PreferencePairs())
    agree = total = 0
    for rollout_set in (r for r in out if r.kind == Kind.rollout_set):
        authors = recorded[rollout_set.task.prompt].verdicts
        ours = [v for v in rollout_set.verdicts if v.verifier == "math"]
        agree += sum(a.passed == o.passed for a, o in zip(authors, ours))
        total += len(ours)
        assert rollout_set.meta["pass_rate"]["n"] == 4
        assert rollout_set.meta["pass_rate"]["c"] == sum(o.passed for o in ours)
    assert total == 240 and agree / total >= 0.95, f"math verifier agrees with the GSM8K authors on {agree}/{total}"
    for pair in (r for r in out if r.kind == Kind.preference_pair):
        chosen, rejected = pair.verdicts
        assert chosen.passed and not rejected.passed and chosen.verifier == "math"


def test_deepseek_r1_rollouts_replay_with_their_scores(shared_data):
    path = shared_data / RG_FILE
    imported = [r for r in import_file(path, "rg-rollouts") if r.kind == Kind.rollout_set]
    replay = Rollouts(n=3, generator={"backend": "replay", "replay": [str(path)], "replay_format": "rg-rollouts"})
    out, ctx = chain(imported, replay, Verify(), PassRate(), RejectionSample(select="shortest"), PreferencePairs())
    sets = [r for r in out if r.kind == Kind.rollout_set]
    assert len(sets) == len(imported) == 50
    by_prompt = {r.task.prompt: r for r in imported}
    disagree = []
    for rollout_set in sets:
        original = by_prompt[rollout_set.task.prompt]
        assert [r.response for r in rollout_set.behaviour.rollouts] == [r.response for r in original.behaviour.rollouts]
        stored = [v.passed for v in original.verdicts]
        ours = [v.passed for v in rollout_set.verdicts if v.verifier == "reasoning_gym"]
        if stored != ours:
            disagree.append(rollout_set.task.prompt)
        assert rollout_set.meta["pass_rate"]["c"] == sum(ours)
    assert len(disagree) <= 2, f"reasoning_gym verdicts differ from the stored scores on {disagree}"
    for trace in (r for r in out if r.kind == Kind.trace):
        parent = next(s for s in sets if s.id == trace.lineage.parents[0])
        j = trace.meta["rollout_index"]
        assert trace.behaviour.response == parent.behaviour.rollouts[j].response
        passed = [int(v.target.split(":")[1]) for v in parent.verdicts if v.verifier == "reasoning_gym" and v.passed]
        assert j == min(passed, key=lambda i: (len(parent.behaviour.rollouts[i].response), i))
    assert ctx.stats["03-rejection_sample"].counts["traces"] == sum(1 for r in out if r.kind == Kind.trace) > 0


def test_deepseek_r1_rollouts_served_over_http(shared_data, serve):
    path = shared_data / RG_FILE
    store = ReplayStore([path], "rg-rollouts")
    imported = [r for r in islice(import_file(path, "rg-rollouts"), 12)]
    answer = replay_answerer(store)
    with serve(answer, models=["deepseek-r1"]) as server:
        step = Rollouts(n=3, generator={"endpoint": server.url}, sampling={"temperature": 0.6, "max_tokens": 32768})
        sets, ctx = chain(imported, step)
        assert server.stats.requests == 36
    assert all(s.lineage.events[-1].model == "deepseek-r1" for s in sets)
    for rollout_set, original in zip(sets, imported):
        # per-sample seeds are consecutive, so the 3 samples are the 3 recorded completions (in seed order)
        assert sorted(r.response for r in rollout_set.behaviour.rollouts) == sorted(r.response for r in original.behaviour.rollouts)
        assert rollout_set.lineage.events[-1].sampling["max_tokens"] == 32768
    assert ctx.stats["00-rollouts"].by["requests"]["sent"] == 36


def test_replay_store_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completions": ["x"]}\n{"prompt": "b"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: expected"):
        ReplayStore([bad])
    good = tmp_path / "good.jsonl"
    good.write_text('{"prompt": "a", "completions": ["x", "y"]}\n')
    with pytest.raises(LookupError, match="2 recorded completion"):
        ReplayStore([good]).lookup("a", 1, 2)
    with pytest.raises(LookupError, match="no recorded completion"):
        ReplayStore([good]).lookup("zzz", 0, 1)
