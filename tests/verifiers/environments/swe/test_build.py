"""The SWE-lite instance set as records: valid records, the environment reproduces their initial state,
the gold action solves each one, the drops are written with their reasons and every count adds up."""

from __future__ import annotations

import json

import pytest

from reasonledger.records.agent import environment_spec
from reasonledger.records.jsonl import read_jsonl_records
from reasonledger.records.model import Record
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.build import build_swe_lite, code_tasks
from reasonledger.verifiers.environments.swe.mutate import mutants
from reasonledger.verifiers.environments.swe.swe_lite import SweLite
from tests.verifiers.code.sandbox import needs_sandbox


def test_oversized_call_cases_are_left_out_and_counted():
    ref = {"format": "call", "fn_name": "f", "cases": [{"args": [1], "expected": "x" * (inst.MAX_CASE_CHARS + 1)},
                                                      {"args": [2], "expected": "y"}]}
    out = inst.bounded(ref)
    assert out["cases"] == [ref["cases"][1]] and out["cases_left_out"] == 1
    assert inst.bounded({"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 1}]}).get("cases_left_out") is None
    assert inst.bounded({"format": "assert", "test": "assert f()"}) == {"format": "assert", "test": "assert f()"}


@pytest.fixture(scope="module")
def built(verifier, shared_data_module, tmp_path_factory):
    out = tmp_path_factory.mktemp("swe_lite")
    tasks = code_tasks(shared_data_module / "humaneval" / "HumanEvalPlus-v0.1.10.jsonl.gz",
                       shared_data_module / "mbpp" / "mbpp.jsonl", verifier, limit=4)
    result = build_swe_lite(tasks, verifier, out / "instances.jsonl.gz", out / "drops.jsonl", seed=0, per_task=2)
    return result, out


@needs_sandbox
def test_counts_add_up_to_what_was_written(built):
    result, out = built
    records = list(read_jsonl_records(out / "instances.jsonl.gz"))
    drops = [json.loads(line) for line in (out / "drops.jsonl").read_text().splitlines()]
    assert all(isinstance(r, Record) for r in records)
    counts = result["counts"]
    assert counts["valid"] == len(records) > 0
    assert sum(v for k, v in counts.items() if k != "valid") == len(drops)
    assert {d["drop"] for d in drops} <= set(inst.DROP_REASONS)
    # every task appears: each dataset's 4 tasks give 2 mutants each (fewer when it has fewer), or one drop
    per_row: dict[tuple[str, str], int] = {}
    golds = {}
    for r in records:
        key = (r.task.reference["task"]["dataset"], r.task.reference["task"]["row_id"])
        per_row[key] = per_row.get(key, 0) + 1
        golds[key] = r.task.reference["gold_actions"][0]["arguments"]["content"]
    for d in drops:
        per_row[(d["dataset"], d["row_id"])] = per_row.get((d["dataset"], d["row_id"]), 0) + (1 if d["mutant_id"] else 2)
    assert len(per_row) == 8
    for key, n in per_row.items():
        assert n == 2 or (key in golds and n == len(list(mutants(golds[key])))), key


@needs_sandbox
def test_each_record_is_a_task_the_environment_reproduces_and_the_gold_solves(built, verifier):
    _, out = built
    env = SweLite(verifier=verifier)
    for record in read_jsonl_records(out / "instances.jsonl.gz"):
        spec = environment_spec(record.task)
        assert spec.env == "swe_lite" and record.task.verifier.name == "environment"
        assert spec.task_id == record.task.source.row_id and spec.reward_basis == ["fail_to_pass", "pass_to_pass"]
        assert spec.task["program"] in record.task.prompt and "gold" not in spec.task
        env.reset(spec.task)
        assert env.state_hash() == spec.initial_state_hash
        (gold,) = spec.gold_actions
        assert env.step(ToolCall(gold.name, gold.arguments)).ok
        components = {c.name: c.passed for c in env.check(spec.task, [], [])}
        assert components == {"fail_to_pass": True, "pass_to_pass": True}, spec.task_id
