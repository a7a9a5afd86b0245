"""`reasonledger export DATA --to ... --out DIR`: any dataset to the trainers' files, checked row by row,
written whole or not at all, and loadable the way each trainer loads it (`datasets`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Record

datasets = pytest.importorskip("datasets", reason="the `datasets` loader comes with reasonledger[hf]")

MATH = {"name": "math"}


def _record(kind: str, prompt, reference="4", behaviour=None, verdicts=None, meta=None) -> Record:
    return Record(kind=kind, task={"prompt": prompt, "reference": reference, "domain": "math", "verifier": MATH,
                                   "source": {"dataset": "toy", "license": "MIT", "row_id": prompt if isinstance(prompt, str) else "chat"}},
                  behaviour=behaviour or {}, verdicts=verdicts or [], meta=meta or {})


def _verdict(passed: bool) -> dict:
    return {"verifier": "math", "version": "1", "score": float(passed), "passed": passed}


RECORDS = [
    _record("prompt_answer", "2+2?", behaviour={"response": "It is \\boxed{4}."}, verdicts=[_verdict(True)]),
    _record("prompt_answer", "3+1?", behaviour={"response": "\\boxed{5}"}, verdicts=[_verdict(False)]),
    _record("prompt_answer", "1+3?"),  # a bare task: RL exports take it, SFT does not
    _record("prompt_answer", "0+4?", behaviour={"response": "4"}),  # unjudged: no demonstration
    _record("trace", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "5-1?"}],
            behaviour={"trace": "5 minus 1", "response": "4"}),
    _record("preference_pair", "6-2?", behaviour={"chosen": "4", "rejected": "3"}),
]


def _run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "records.jsonl"
    write_jsonl((r.model_dump(mode="json") for r in RECORDS), path)
    with path.open("a") as handle:
        handle.write("{not json\n")
    return path


def test_every_output_loads_with_datasets_and_keeps_its_records(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = _run("export", data, "--to", "sft", "--to", "dpo", "--to", "trl_stepwise", "--out", out)
    assert result.exit_code == 3, result.output  # finished, one bad row kept
    assert json.loads((out / "rejected" / "quarantine.jsonl").read_text())["line"] == 7
    assert not (out / ".records").exists()

    sft = datasets.load_dataset("json", data_files=str(out / "sft.jsonl"), split="train")
    # TRL's conversational SFT format: one `messages` list of {role, content}, the assistant turn last
    assert [row["messages"][-1] for row in sft] == [
        {"role": "assistant", "content": "It is \\boxed{4}."},
        {"role": "assistant", "content": "<think>\n5 minus 1\n</think>\n\n4"}]
    assert sft[1]["messages"][:2] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "5-1?"}]
    assert sft[0]["record_id"] == RECORDS[0].id

    dpo = datasets.load_dataset("json", data_files=str(out / "dpo.jsonl"), split="train")
    # TRL's conversational preference format: prompt, chosen, rejected as message lists
    assert {"prompt", "chosen", "rejected"} <= set(dpo.column_names) and len(dpo) == 1
    assert dpo[0]["prompt"] == [{"role": "user", "content": "6-2?"}]
    assert (dpo[0]["chosen"][0]["content"], dpo[0]["rejected"][0]["content"]) == ("4", "3")

    manifest = json.loads((out / "export.json").read_text())
    assert manifest["bad_rows"] == 1 and manifest["outputs"]["trl_stepwise"]["files"][0]["rows"] == 0
    assert [f["rows"] for f in manifest["outputs"]["sft"]["files"]] == [2]
    assert "trl_stepwise: no record of this data is one it exports" in result.output


def test_sft_takes_unjudged_responses_when_asked_but_never_a_failed_one(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "sft"
    assert _run("export", data, "--to", "sft", "--option", "judged_only=false", "--out", out).exit_code == 3
    rows = datasets.load_dataset("json", data_files=str(out / "sft.jsonl"), split="train")
    assert rows["record_id"] == [RECORDS[0].id, RECORDS[3].id, RECORDS[4].id]  # not the failed 3+1, nor the bare task


def test_rl_exports_take_the_recipe_options(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "rl"
    result = _run("export", data, "--to", "verl", "--to", "trl_grpo", "--out", out, "--option", "val_fraction=0.5",
                  "--option", "instruction=Put the answer in \\boxed{}.", "--strict")
    assert result.exit_code == 1, result.output  # --strict: the bad row fails the command, the files are written
    train = datasets.load_dataset("parquet", data_files=str(out / "verl.parquet"), split="train")
    val = datasets.load_dataset("parquet", data_files=str(out / "verl.val.parquet"), split="train")
    assert len(train) + len(val) == len(RECORDS) and len(train) and len(val)
    assert {r["extra_info"]["record_id"] for r in (*train, *val)} == {r.id for r in RECORDS}
    row = next(r for r in (*train, *val) if r["extra_info"]["record_id"] == RECORDS[0].id)
    assert row["prompt"][-1]["content"] == "2+2?\n\nPut the answer in \\boxed{}."
    assert row["reward_model"]["ground_truth"] == "4" and row["extra_info"]["verifier"] == "math"
    files = json.loads((out / "export.json").read_text())["outputs"]["trl_grpo"]["files"]
    assert [f["file"] for f in files] == ["trl_grpo.parquet", "trl_grpo.val.parquet"]


def test_a_run_or_import_directory_is_exported_from_its_data(data: Path, tmp_path: Path) -> None:
    imported = tmp_path / "imported"
    assert _run("export", data, "--to", "openrlhf", "--out", imported).exit_code == 3
    # an import of the same rows, through the CLI, then exported from its directory
    run = tmp_path / "run"
    clean = tmp_path / "clean.jsonl"
    write_jsonl((r.model_dump(mode="json") for r in RECORDS), clean)
    assert _run("import", clean, "--format", "records", "--out", run).exit_code == 0
    out = tmp_path / "from-run"
    assert _run("export", run, "--to", "openrlhf", "--out", out).exit_code == 0
    assert (out / "openrlhf.jsonl").read_text() == (imported / "openrlhf.jsonl").read_text()


def test_bad_options_and_unsafe_outputs_are_refused_before_anything_is_written(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run("export", data, "--to", "sft", "--out", out, "--option", "val_fraction=0.1")
    assert result.exit_code == 1 and "output 'sft'" in result.output and "options it takes: judged_only" in result.output
    result = _run("export", data, "--to", "verl", "--out", out, "--option", "val_fracton=0.1")
    assert result.exit_code == 1 and "val_fracton" in result.output and "val_fraction" in result.output
    result = _run("export", data, "--to", "verl", "--out", out, "--option", "nokey")
    assert result.exit_code == 1 and "expected KEY=VALUE" in result.output
    result = _run("export", data, "--to", "vrl", "--out", out)
    assert result.exit_code == 1 and "known outputs" in result.output
    assert not out.exists()

    result = _run("export", data, "--to", "verl", "--out", tmp_path)  # holds the input
    assert result.exit_code == 1 and "holds the input" in result.output

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = _run("export", data, "--to", "verl", "--out", foreign, "--force")
    assert result.exit_code == 1 and "not made by reasonledger" in result.output
    assert (foreign / "notes.txt").read_text() == "mine"

    assert _run("export", data, "--to", "verl", "--out", out).exit_code == 3
    again = _run("export", data, "--to", "sft", "--out", out)
    assert again.exit_code == 1 and "--force" in again.output and (out / "verl.parquet").exists()
    assert _run("export", data, "--to", "sft", "--out", out, "--force").exit_code == 3
    assert sorted(p.name for p in out.iterdir()) == [".reasonledger-run", "export.json", "rejected", "sft.jsonl"]


def test_the_help_names_every_output() -> None:
    from reasonledger.commands.export import OUTPUTS_HELP
    from reasonledger.engine.outputs import known_outputs

    assert all(f"{name} " in OUTPUTS_HELP or f"{name}," in OUTPUTS_HELP for name in known_outputs())
