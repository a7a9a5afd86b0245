"""Verdicts are keyed by (target, verifier, version, config hash): checking again replaces a verdict,
never adds a copy (re-verifying real GSM8K rollouts three times keeps one math verdict per rollout)."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.construct.verify import GoldCheck, Verify, merge_verdicts
from reasonledger.engine.step import StepContext
from reasonledger.records.io import iter_valid
from reasonledger.records.model import Record, Verdict


def _verdicts_by_verifier(data: Path) -> Counter[str]:
    return Counter(v.verifier for r in iter_valid(data) for v in r.verdicts)


def test_reverifying_real_rollouts_replaces_verdicts(shared_data: Path, tmp_path: Path) -> None:
    source = tmp_path / "solutions.jsonl"
    with (shared_data / "gsm8k" / "example_model_solutions.jsonl").open(encoding="utf-8") as handle:
        source.write_text("".join(itertools.islice(handle, 40)), encoding="utf-8")
    runner = CliRunner()
    imported = tmp_path / "imported"
    result = runner.invoke(app, ["import", str(source), "--format", "gsm8k-solutions", "--out", str(imported)])
    assert result.exit_code == 0, result.output
    counts, previous = [], imported
    for n in range(3):
        out = tmp_path / f"verified-{n}"
        result = runner.invoke(app, ["verify", str(previous), "--out", str(out)])
        assert result.exit_code == 0, result.output
        counts.append(_verdicts_by_verifier(out / "data"))
        previous = out
    assert counts[0]["math"] == 160  # 40 problems x 4 model solutions
    assert counts[0] == counts[1] == counts[2]
    assert counts[0]["gsm8k_authors_grader"] == 160  # another verifier's verdicts are kept, not replaced


def _record() -> Record:
    return Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "domain": "math",
                                              "source": {"dataset": "hand/sums"}, "verifier": {"name": "exact"}},
                  behaviour={"response": "4"})


def test_steps_replace_their_own_slot_and_keep_the_others() -> None:
    record = _record()
    ctx = StepContext("s", 0, None, "verify")
    for _ in range(3):
        (record,) = Verify(cache=False).process(iter([record]), ctx)
        (record,) = GoldCheck(cache=False).process(iter([record]), ctx)
    assert sorted(v.target for v in record.verdicts) == ["answer", "reference"]
    other_config = record.verdicts[0].model_copy(update={"config_hash": "other"})
    other_version = record.verdicts[0].model_copy(update={"version": "0.0.1"})
    (again,) = Verify(cache=False).process(iter([record.model_copy(update={
        "verdicts": [*record.verdicts, other_config, other_version]})]), ctx)
    assert len(again.verdicts) == 4


def test_merge_keeps_order_and_takes_the_new_verdict() -> None:
    def verdict(target: str, passed: bool) -> Verdict:
        return Verdict(verifier="exact", version="1", target=target, score=float(passed), passed=passed)

    merged = merge_verdicts([verdict("a", False), verdict("b", True)], [verdict("a", True), verdict("c", True)])
    assert [(v.target, v.passed) for v in merged] == [("a", True), ("b", True), ("c", True)]
