"""gold_check checks what the source gives when there is no single gold answer: a reasoning-gym
entry's example answer, a dataset's canonical solution run against its tests; a task nothing can
check is kept and labelled `gold: unchecked`, never silently dropped."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reasonledger.construct.verify import GoldCheck, gold_candidate
from reasonledger.product import build
from reasonledger.engine.step import StepContext
from reasonledger.records.io import iter_valid
from reasonledger.records.model import Record


def _gold(records: list[Record]) -> tuple[list[Record], StepContext]:
    ctx = StepContext("s", 0, None, "00-gold_check")
    return list(GoldCheck(cache=False).process(iter(records), ctx)), ctx


def _propositional(n: int) -> list[Record]:
    from reasonledger.construct.sources import ReasoningGymSource

    source = ReasoningGymSource(Path("."), 7, tasks=["propositional_logic"], size=n)
    records = [r for r in source.read(0, n) if isinstance(r, Record)]
    assert all(r.task.reference["answer"] is None for r in records)  # no single gold answer
    return records


def test_propositional_logic_is_checked_with_its_example_answer() -> None:
    records = _propositional(12)
    kept, ctx = _gold(records)
    assert len(kept) == 12 and {r.meta["gold"] for r in kept} == {"example_answer"}
    for record in kept:
        (verdict,) = [v for v in record.verdicts if v.target == "reference"]
        assert verdict.passed and verdict.evidence["gold"] == "example_answer"
    # a wrong example answer is caught by the same scorer: the check is real
    broken = records[0].model_copy(update={"task": records[0].task.model_copy(update={"reference": {
        **records[0].task.reference, "metadata": {**records[0].task.reference["metadata"], "example_answer": "P ∧ ¬P"}}})})
    kept, ctx = _gold([broken])
    assert kept == [] and ctx.rejected[0].reason == "gold_fails_verifier"


def _code_record(solution: str | None) -> Record:
    reference = {"format": "assert", "fn_name": "add", "setup": "", "test": "assert add(2, 3) == 5\n"}
    return Record(kind="prompt_answer", task={"prompt": "Write add(a, b).", "reference": reference, "domain": "code",
                                              "source": {"dataset": "hand/code", "row_id": "1"}, "verifier": {"name": "code"}},
                  behaviour={"response": solution} if solution is not None else {},
                  meta={"solution_origin": "dataset canonical solution"} if solution is not None else {})


def test_tests_without_a_solution_are_kept_unchecked_and_counted() -> None:
    kept, ctx = _gold([_code_record(None)])
    assert [r.meta["gold"] for r in kept] == ["unchecked"] and kept[0].verdicts == []
    assert ctx.stats["00-gold_check"].counts["unchecked"] == 1 and not ctx.rejected


def test_a_task_with_no_reference_at_all_is_dropped_with_its_reason() -> None:
    record = Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": None, "domain": "math",
                                                "source": {"dataset": "hand/x"}, "verifier": {"name": "math"}})
    assert gold_candidate(record) is None
    kept, ctx = _gold([record])
    assert kept == [] and ctx.rejected[0].reason == "no_reference"


def test_order_is_kept_when_checked_and_unchecked_tasks_mix() -> None:
    records = [_code_record(None), *_propositional(2), _code_record(None).model_copy(update={"task": _code_record(None).task.model_copy(
        update={"prompt": "Write add(a, b) again."})})]
    kept, _ = _gold(records)
    assert [r.id for r in kept] == [r.id for r in records]


def _mbpp_recipe(tmp_path: Path, data: Path, attach: bool, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # the shared data is outside tmp_path
    recipe = tmp_path / "mbpp.yaml"
    recipe.write_text(json.dumps({
        "name": "mbpp-sanitized", "shard_rows": 150,
        "sources": [{"type": "file", "path": str(data / "mbpp" / "sanitized-mbpp.json"), "format": "mbpp",
                     "options": {"attach_solutions": attach}}],
        "steps": [{"type": "gold_check"}], "outputs": ["verl"]}))
    return recipe


def test_mbpp_sanitized_solutions_pass_their_own_tests(shared_data: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    result = build(_mbpp_recipe(tmp_path, shared_data, attach=True, monkeypatch=monkeypatch), tmp_path / "run", workers=1, show_progress=False)
    assert result.records >= 420, f"only {result.records} of 427 MBPP tasks kept through gold_check"
    records = list(iter_valid(tmp_path / "run" / "data"))
    assert Counter(r.meta["gold"] for r in records) == {"canonical_solution": result.records}
    assert all(any(v.target == "reference" and v.passed and v.verifier == "code" for v in r.verdicts) for r in records)
    rejected = list(iter_valid(tmp_path / "run" / "rejected"))
    assert result.records + len(rejected) == 427
    assert all(r.meta["rejection"]["reason"] == "gold_fails_verifier" and r.meta["rejection"]["detail"] for r in rejected)
    import datasets

    assert datasets.Dataset.from_parquet(str(tmp_path / "run" / "exports" / "verl.parquet")).num_rows == result.records


def test_mbpp_without_solutions_is_kept_unchecked_and_the_card_says_how_many(shared_data: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    result = build(_mbpp_recipe(tmp_path, shared_data, attach=False, monkeypatch=monkeypatch), tmp_path / "run", workers=1, show_progress=False)
    assert result.records == 427
    card = json.loads((tmp_path / "run" / "card" / "card.json").read_text())
    assert card["funnel"]["by_source"]["gold_unchecked"] == 427
    text = (tmp_path / "run" / "card" / "card.md").read_text()
    assert "427 kept unchecked" in text and "- [ ] per-source funnel:" in text and "427 task(s) with no gold check" in text
