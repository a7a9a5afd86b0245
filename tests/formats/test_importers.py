"""Importers on the real public files in ../shared/data (skipped when absent)."""

import json

from reasonledger.formats.importers import import_file
from reasonledger.formats.importers.math_style import last_boxed
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow


def _split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, BadRow)]


def test_gsm8k_test_set(shared_data):
    records, bad = _split(import_file(shared_data / "gsm8k" / "test.jsonl", "gsm8k"))
    assert (len(records), len(bad)) == (1319, 0)
    first = records[0]
    assert first.task.reference == "18" and first.task.verifier.name == "math"
    assert first.task.source.license == "MIT" and first.task.source.row_id == "0"
    assert "<<" not in first.meta["rationale"]
    assert len({r.id for r in records}) == 1319


def test_gsm8k_example_solutions_become_rollout_sets_with_the_authors_labels(shared_data):
    records, bad = _split(import_file(shared_data / "gsm8k" / "example_model_solutions.jsonl", "gsm8k-solutions"))
    assert (len(records), len(bad)) == (1319, 0)
    first = records[0]
    assert first.kind == Kind.rollout_set and len(first.behaviour.rollouts) == 4
    assert [v.target for v in first.verdicts] == ["rollout:0", "rollout:1", "rollout:2", "rollout:3"]
    raw = json.loads((shared_data / "gsm8k" / "example_model_solutions.jsonl").open().readline())
    for rollout, verdict in zip(first.behaviour.rollouts, first.verdicts):
        assert verdict.passed == raw[rollout.meta["model"]]["is_correct"]


def test_processbench_step_labels(shared_data):
    records, bad = _split(import_file(shared_data / "processbench" / "gsm8k.json", "processbench"))
    assert (len(records), len(bad)) == (400, 0)
    raw = json.loads((shared_data / "processbench" / "gsm8k.json").read_text())
    for record, row in zip(records, raw):
        labels = [s.label for s in record.behaviour.steps]
        if row["label"] == -1:
            assert labels == [1.0] * len(row["steps"])
        else:
            assert labels[row["label"]] == 0.0 and all(x == 1.0 for x in labels[: row["label"]])
            assert all(x is None for x in labels[row["label"] + 1:])
        assert record.verdicts[0].label_source == "human"
        assert record.verdicts[0].passed == row["final_answer_correct"]


def test_reasoning_gym_rollouts(shared_data):
    folder = shared_data / "rollouts" / "rg_eval_deepseek_r1_easy"
    total = 0
    for path in sorted(folder.glob("*.json")):
        if path.name == "summary.json":
            continue
        records, bad = _split(import_file(path, "rg-rollouts"))
        assert (len(records), len(bad)) == (50, 0), path
        assert all(len(r.behaviour.rollouts) == 3 and len(r.verdicts) == 3 for r in records)
        total += len(records)
    assert total == 400
    records, bad = _split(import_file(folder / "summary.json", "rg-rollouts"))
    assert not records and "expected keys 'name' and 'results'" in bad[0].reason


def test_math_style_and_generic_mapping(tmp_path):
    path = tmp_path / "math.jsonl"
    rows = [{"problem": "x?", "solution": r"so \boxed{\frac{1}{2}} and \boxed{\{1, 2\}}"},
            {"problem": "y?", "solution": "no box"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    records, bad = _split(import_file(path, "math", dataset="unit/math"))
    assert records[0].task.reference == r"\{1, 2\}"
    assert bad[0].line == 2 and "no `answer` field" in bad[0].reason
    assert last_boxed(r"\fbox{a{b}c}") == "a{b}c"

    mapped = tmp_path / "mapped.jsonl"
    mapped.write_text(json.dumps({"q": {"text": "hi"}, "gold": 3, "out": "3"}) + "\n")
    (record,), _ = _split(import_file(mapped, "jsonl", prompt_field="q.text", answer_field="gold",
                                      response_field="out", verifier="exact"))
    assert (record.task.prompt, record.task.reference, record.behaviour.response) == ("hi", 3, "3")
