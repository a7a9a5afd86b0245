"""Files in the layouts people publish on the Hub, through `import`, `verify` and `export`, and back
with `datasets.load_dataset`: prompt, reference, responses and labels are where a trainer reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app

datasets = pytest.importorskip("datasets", reason="loading the exports needs reasonledger[hf] (datasets)")

PROBLEM = "What is $1+1$?"
OPENR1 = {"problem": PROBLEM, "solution": "Clearly $1+1=2$.", "answer": "2", "problem_type": "Algebra",
          "question_type": "math-word-problem", "source": "olympiads", "uuid": "5b4e-11ef",
          "is_reasoning_complete": [True, True, True],
          "generations": ["<think>1+1 is 2</think> The answer is \\boxed{2}.", "<think>hmm</think> \\boxed{3}",
                          "<think>two</think> \\boxed{2}"],
          "correctness_math_verify": [True, False, True], "correctness_llama": [True, False, False],
          "finish_reasons": None, "correctness_count": 1}
NUMINA = {"problem": PROBLEM, "solution": "Adding one and one gives $\\boxed{2}$.", "source": "synthetic_math",
          "messages": [{"role": "user", "content": PROBLEM},
                       {"role": "assistant", "content": "Adding one and one gives $\\boxed{2}$."}]}
CHAT = {"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Capital of France?"},
                     {"role": "assistant", "content": "Paris."}]}


def _run(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _load(path: Path) -> list[dict]:
    return list(datasets.load_dataset(path.suffix.lstrip(".").replace("jsonl", "json"), data_files=str(path), split="train"))


def test_openr1_rollouts_keep_their_labels_into_verl_and_sft(tmp_path: Path) -> None:
    _run("import", _jsonl(tmp_path / "openr1.jsonl", [OPENR1]), "--format", "openr1", "--out", tmp_path / "imported")
    _run("export", tmp_path / "imported", "--to", "verl", "--to", "sft", "--out", tmp_path / "out")
    (verl,) = _load(tmp_path / "out" / "verl.parquet")
    assert verl["prompt"] == [{"role": "user", "content": PROBLEM}]
    assert verl["reward_model"]["ground_truth"] == "2" and verl["extra_info"]["verifier"] == "math"
    # only the generation both stored graders passed is a demonstration
    (sft,) = _load(tmp_path / "out" / "sft.jsonl")
    assert sft["messages"] == [{"role": "user", "content": PROBLEM},
                               {"role": "assistant", "content": OPENR1["generations"][0]}]
    assert sft["rollout_index"] == 0 and sft["rollout_set"] == sft["record_id"] == verl["extra_info"]["record_id"]


def test_numina_solutions_become_demonstrations_once_verified(tmp_path: Path) -> None:
    _run("import", _jsonl(tmp_path / "numina.jsonl", [NUMINA]), "--format", "numina", "--out", tmp_path / "imported")
    _run("export", tmp_path / "imported", "--to", "sft", "--to", "trl_grpo", "--out", tmp_path / "unverified")
    assert _load(tmp_path / "unverified" / "trl_grpo.parquet")[0]["answer"] == "2"
    assert (tmp_path / "unverified" / "sft.jsonl").read_text() == ""  # nothing checked the solutions yet
    _run("verify", tmp_path / "imported", "--out", tmp_path / "verified")
    _run("export", tmp_path / "verified", "--to", "sft", "--out", tmp_path / "out")
    (sft,) = _load(tmp_path / "out" / "sft.jsonl")  # the math verifier passed the solution against the answer
    assert sft["messages"] == NUMINA["messages"]


def test_a_chat_sft_file_exports_as_it_was_written(tmp_path: Path) -> None:
    _run("import", _jsonl(tmp_path / "chat.jsonl", [CHAT]), "--format", "chat", "--out", tmp_path / "imported")
    _run("export", tmp_path / "imported", "--to", "sft", "--option", "judged_only=false", "--out", tmp_path / "out")
    (sft,) = _load(tmp_path / "out" / "sft.jsonl")
    assert sft["messages"] == CHAT["messages"]
