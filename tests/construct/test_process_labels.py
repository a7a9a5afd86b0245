"""Process labels against an HTTP policy whose continuations depend on the prefix (arith_policy):
the Monte-Carlo labels a prefix should get are known exactly, so the labelling logic is tested
for real, through the real client, with the server counting what was asked."""

from __future__ import annotations

import json

import pytest

from reasonledger.construct.process_labels import ProcessLabels
from reasonledger.construct.verify import Verify
from reasonledger.engine.step import StepContext
from reasonledger.engine.outputs import export
from reasonledger.records.model import Kind, Record
from reasonledger.records.parquet import write_parquet_shards

from .arith_policy import answer, continue_solution, problem, solution

START, OPS = 3, [("Add", 4), ("Multiply by", 5), ("Subtract", 6)]
# rollout j: (errors by step, index of the first wrong step or None)
ROLLOUTS = [({}, None), ({1: 7}, 1), ({0: 2}, 0), ({2: 9}, 2)]


def rollout_set() -> Record:
    record = Record(kind=Kind.rollout_set, task={
        "prompt": problem(START, OPS), "reference": str(answer(START, OPS)),
        "source": {"dataset": "tests/arith"}, "verifier": {"name": "exact"}},
        behaviour={"rollouts": [{"response": solution(START, OPS, errors)} for errors, _ in ROLLOUTS]})
    ctx = StepContext("stage-00", 0, None, "00-verify")
    (verified,) = Verify().process(iter([record]), ctx)
    assert [v.passed for v in verified.verdicts] == [True, False, False, False]
    return verified


def label(serve, tmp_path, api: str = "chat", **params) -> tuple[list[Record], int, StepContext]:
    seen = []

    def policy(api, body):
        seen.append(body)
        return continue_solution(api, body)

    with serve(policy) as server:
        generator = {"endpoint": server.url, "model": "arith", "backoff": 0.01, "api": api}
        step = ProcessLabels(generator=generator, k=4, **params)
        ctx = StepContext("stage-01", 0, str(tmp_path), "01-process_labels")
        out = list(step.process(iter([rollout_set()]), ctx))
        requests = server.stats.requests
    if api == "chat":
        assert all(b["continue_final_message"] is True and b["messages"][-1]["role"] == "assistant" for b in seen)
    return out, requests, ctx


def steps_of(record: Record) -> list[tuple[float | None, str | None]]:
    return [(s.label, s.label_source) for s in record.behaviour.steps]


def test_math_shepherd_hard_and_soft_labels(serve, tmp_path):
    out, requests, ctx = label(serve, tmp_path, method="mc", label="soft")
    rollout_set_out, *traces = out
    assert rollout_set_out.kind == Kind.rollout_set and len(traces) == 4
    assert requests == 4 * 3 * 4  # 4 rollouts x 3 prefixes probed (the last step is the verdict) x k=4
    for trace, (_, first_error) in zip(traces, ROLLOUTS):
        assert trace.kind == Kind.step_trace and trace.lineage.parents == [rollout_set_out.id]
        assert [s.text for s in trace.behaviour.steps][-1].startswith("Answer:")
        expected = []
        for i in range(3):
            right = first_error is None or i < first_error
            expected.append((0.75 if right else 0.0, "mc_soft"))  # 3 of 4 seeds do not slip
        expected.append((1.0 if first_error is None else 0.0, "programmatic"))
        assert steps_of(trace) == expected
        hard = {v.target: v.score for v in trace.verdicts if v.label_source == "mc_hard"}
        assert hard == {f"step:{i}": 1.0 if first_error is None or i < first_error else 0.0 for i in range(3)}
        assert all(len(v.evidence["requests"]) == 4 for v in trace.verdicts if v.target.startswith("step:"))
        (answer_verdict,) = [v for v in trace.verdicts if v.target == "answer"]
        assert answer_verdict.evidence["rollout"] == trace.meta["rollout_index"]
        assert trace.meta["process_labels"]["first_error"] == first_error
        assert trace.meta["segmentation"]["rule"] == "lines" and len(trace.meta["segmentation"]["spans"]) == 4
    assert ctx.stats["01-process_labels"].counts["probes"] == 12


def test_hard_labels_default(serve, tmp_path):
    out, _, _ = label(serve, tmp_path, method="mc", rollouts="wrong")
    traces = out[1:]
    assert [t.meta["rollout_index"] for t in traces] == [1, 2, 3]
    assert steps_of(traces[0]) == [(1.0, "mc_hard"), (0.0, "mc_hard"), (0.0, "mc_hard"), (0.0, "programmatic")]


def test_omegaprm_binary_search_finds_the_first_error_with_fewer_probes(serve, tmp_path):
    out, requests, ctx = label(serve, tmp_path, method="binary_search")
    traces = out[1:]
    assert requests == 3 * 2 * 4  # the correct rollout needs no probe; each wrong one needs log2(4) = 2
    assert steps_of(traces[0]) == [(1.0, "programmatic")] * 4
    assert steps_of(traces[1]) == [(1.0, "mc_hard"), (0.0, "mc_hard"), (None, None), (None, None)]
    assert steps_of(traces[2]) == [(0.0, "mc_hard"), (None, None), (None, None), (None, None)]
    assert steps_of(traces[3]) == [(1.0, "mc_hard"), (1.0, "mc_hard"), (0.0, "mc_hard"), (None, None)]
    assert [t.meta["process_labels"]["first_error"] for t in traces] == [None, 1, 0, 2]

    write_parquet_shards(out, tmp_path / "data", 100)
    lines = export("trl_stepwise", tmp_path / "data", tmp_path / "exports").read_text().splitlines()
    stepwise = [json.loads(line) for line in lines]
    assert [r["labels"] for r in stepwise] == [[True] * 4, [True, False], [False], [True, True, False]]
    assert stepwise[1]["completions"] == [s.text for s in traces[1].behaviour.steps[:2]]
    assert stepwise[1]["prompt"] == problem(START, OPS) and stepwise[1]["rollout_set"] == out[0].id


def test_completions_api_continues_the_prompt_text(serve, tmp_path):
    out, requests, _ = label(serve, tmp_path, method="binary_search", rollouts="wrong",
                             api="completions", template="{prompt}\nSolution:\n")
    assert [t.meta["process_labels"]["first_error"] for t in out[1:]] == [1, 0, 2]


def test_soft_labels_need_monte_carlo():
    with pytest.raises(ValueError, match="binary_search measures hard labels"):
        ProcessLabels(generator={"backend": "replay", "replay": ["x"]}, method="binary_search", label="soft")
