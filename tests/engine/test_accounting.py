"""Per-source accounting: every source dataset and reasoning-gym family is counted from read to
released; one that loses more than the recipe allows fails the build by name; an empty release fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.engine.accounting import Ledger, LossError
from reasonledger.product import build
from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow


def _tasks(path: Path, prompts: list[str]) -> None:
    path.write_text("".join(json.dumps({"question": p, "answer": "4"}) + "\n" for p in prompts), encoding="utf-8")


def _recipe(tmp_path: Path, **extra: object) -> Path:
    _tasks(tmp_path / "good.jsonl", [f"What is {i} + 4 - {i}?" for i in range(4)])
    _tasks(tmp_path / "repeated.jsonl", ["What is 2 + 2?"] * 4)  # dedup keeps 1 of 4: a 75% loss
    def source(name: str) -> dict:
        return {"type": "file", "path": f"{name}.jsonl", "format": "jsonl",
                "options": {"prompt_field": "question", "answer_field": "answer", "verifier": "math", "dataset": f"hand/{name}"}}
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps({"name": "losses", "sources": [source("good"), source("repeated")],
                                  "steps": [{"type": "dedup"}], "outputs": ["verl"], **extra}))
    return recipe


def _accounting(run: Path) -> dict:
    return json.loads((run / "card" / "card.json").read_text())["funnel"]["by_source"]


def test_a_source_losing_more_than_max_loss_fails_the_build_by_name(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(LossError, match=r"hand/repeated lost 3 of its 4 tasks \(75%; 00-dedup: duplicate 3\), more than "
                                        r"max_loss 50%") as failure:
        build(_recipe(tmp_path), run, show_progress=False)
    assert "allow_loss: {hand/repeated: 0.75}" in str(failure.value)
    assert "hand/good" not in str(failure.value)
    acc = _accounting(run)  # the card is written, showing the funnel that failed
    status = {u["dataset"]: (u["read"], u["released"], u["status"]) for u in acc["units"]}
    assert status == {"hand/good": (4, 4, "ok"), "hand/repeated": (4, 1, "over_limit")}
    assert not (run / "exports" / "verl.parquet").exists()  # a failed build exports nothing
    events = [json.loads(line)["event"] for line in (run / "runlog.jsonl").read_text().splitlines()]
    assert "run_end" not in events
    with pytest.raises(LossError, match="hand/repeated lost 3 of its 4 tasks"):  # resuming recounts from the shard markers
        build(_recipe(tmp_path), run, show_progress=False)


def test_an_allowed_loss_builds_and_the_card_lists_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = build(_recipe(tmp_path, allow_loss={"hand/repeated": 0.8}), run, show_progress=False)
    assert result.records == 5 and (run / "exports" / "verl.parquet").exists()
    acc = _accounting(run)
    assert acc["allowed_losses"] == [{"name": "hand/repeated", "allow_loss": 0.8, "applies_to": ["hand/repeated"],
                                      "loss": 0.75}]
    (unit,) = [u for u in acc["units"] if u["dataset"] == "hand/repeated"]
    assert (unit["status"], unit["allowed_by"], unit["dropped"]) == ("allowed", "hand/repeated", {"00-dedup: duplicate": 3})
    text = (run / "card" / "card.md").read_text()
    assert "allowed loss: hand/repeated up to 80% (lost 75.0%" in text
    assert "allowed loss: hand/repeated" in (run / "card" / "report.html").read_text()


def test_an_allowance_below_the_loss_still_fails(tmp_path: Path) -> None:
    with pytest.raises(LossError, match="more than allow_loss hand/repeated: 70%"):
        build(_recipe(tmp_path, allow_loss={"hand/repeated": 0.7}), tmp_path / "run", show_progress=False)


def test_max_loss_is_the_recipes_to_set(tmp_path: Path) -> None:
    result = build(_recipe(tmp_path, max_loss=0.8), tmp_path / "run", show_progress=False)
    assert result.records == 5


def test_the_cli_exits_non_zero_naming_the_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(_recipe(tmp_path)), "--out", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 1
    assert "hand/repeated lost 3 of its 4 tasks" in result.output


def test_an_unreadable_source_fails_and_an_empty_release_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.jsonl").write_text('{"question": "1+1?", \n{not json\n', encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    spec = {"name": "empty", "sources": [{"type": "file", "path": "broken.jsonl", "format": "jsonl",
                                          "options": {"prompt_field": "question", "answer_field": "answer"}}],
            "outputs": ["verl"]}
    recipe.write_text(json.dumps(spec))
    with pytest.raises(LossError, match=r"broken.jsonl lost 2 of its 2 tasks \(100%; quarantined 2\)"):
        build(recipe, tmp_path / "run", show_progress=False)
    recipe.write_text(json.dumps({**spec, "allow_loss": {"broken.jsonl": 1.0}}))
    with pytest.raises(LossError, match="the build released 0 records") as failure:
        build(recipe, tmp_path / "run2", show_progress=False)
    assert "broken.jsonl lost" not in str(failure.value)  # allowed, so only the empty release is the error
    assert not (tmp_path / "run2" / "exports" / "verl.parquet").exists()


def test_a_source_that_gives_no_row_at_all_fails_the_build_by_name(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    (tmp_path / "repeated.jsonl").write_text("\n\n\n", encoding="utf-8")  # blank lines: no row, nothing quarantined
    result = CliRunner().invoke(app, ["build", str(recipe), "--out", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 1
    assert "repeated.jsonl gave no rows at all (nothing read, nothing quarantined)" in result.output
    assert "allow_loss: {repeated.jsonl: 1.00}" in result.output
    (row,) = [s for s in _accounting(tmp_path / "run")["sources"] if s["name"] == "repeated.jsonl"]
    assert (row["read"], row["quarantined"], row["loss"], row["status"]) == (0, 0, 1.0, "over_limit")
    spec = json.loads(recipe.read_text())
    recipe.write_text(json.dumps({**spec, "allow_loss": {"repeated.jsonl": 1.0}}))
    assert build(recipe, tmp_path / "run2", show_progress=False).records == 4  # allowed by name, the rest is built


def test_a_build_hashes_each_source_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sources' provenance goes into the run log three times (run start, stage 0, accounting)
    but is taken once: a file source's describe reads every byte of its files."""
    from reasonledger.records import parquet

    hashed: list[str] = []
    real = parquet.sha256_file

    def counting(path: Path) -> str:
        hashed.append(Path(path).name)
        return real(path)
    monkeypatch.setattr(parquet, "sha256_file", counting)
    build(_recipe(tmp_path, max_loss=0.8), tmp_path / "run", show_progress=False)
    assert hashed.count("good.jsonl") == hashed.count("repeated.jsonl") == 1
    events = [json.loads(line) for line in (tmp_path / "run" / "runlog.jsonl").read_text().splitlines()]
    (start,) = [e["sources"] for e in events if e["event"] == "run_start"]
    assert [e["sources"] for e in events if e["event"] == "stage"][0] == start  # the same provenance each time
    assert [s["sha256"] for s in start] == [real(tmp_path / "good.jsonl"), real(tmp_path / "repeated.jsonl")]


def _rg_record(family: str, i: int) -> Record:
    return Record(kind="prompt_answer", task={"prompt": f"{family} {i}", "reference": {"answer": "x"},
                                              "source": {"dataset": f"reasoning-gym/{family}"}}, meta={"task_family": family})


def test_a_declared_family_whose_rows_were_all_quarantined_is_still_counted() -> None:
    from reasonledger.engine.accounting import SourceReads

    first, second = SourceReads(), SourceReads()
    first.add_read(0, _rg_record("chain_sum", 0))
    for _ in range(3):
        first.add_quarantined(0, BadRow("reasoning_gym:propositional_logic", 0, "generator failed"))
    for i in (1, 2):
        second.add_read(0, _rg_record("chain_sum", i))
    ledger = Ledger()
    for reads in (first, second):
        ledger.add_reads(SourceReads.from_json(reads.to_json()))  # as the shard markers carry them
    list(ledger.count_released([_rg_record("chain_sum", 0), _rg_record("chain_sum", 1), _rg_record("chain_sum", 2)]))
    sources = [{"type": "reasoning_gym", "dataset": "reasoning-gym", "tasks": [{"name": "chain_sum"}, {"name": "propositional_logic"}]}]
    summary = ledger.summary(sources, 0.5, {})
    units = {u["family"]: (u["read"], u["quarantined"], u["released"], u["status"]) for u in summary["units"]}
    assert units == {"chain_sum": (3, 0, 3, "ok"), "propositional_logic": (0, 3, 0, "over_limit")}
    assert summary["failures"] == [summary["failures"][0]] and "propositional_logic lost 3 of its 3 tasks" in summary["failures"][0]
    allowed = ledger.summary(sources, 0.5, {"propositional_logic": 1.0, "no_such_family": 1.0})
    assert allowed["failures"] == [] and allowed["unused_allowances"] == ["no_such_family"]


def test_loss_is_counted_in_tasks_when_steps_release_several_records_per_task() -> None:
    from reasonledger.engine.accounting import SourceReads

    kept, dropped = _rg_record("chain_sum", 0), _rg_record("chain_sum", 1)
    reads = SourceReads()
    reads.add_read(0, kept)
    reads.add_read(0, dropped)  # two tasks of one unit read
    ledger = Ledger()
    ledger.add_reads(reads)
    derived = Record(kind="trace", task=kept.task, behaviour={"trace": "because"}, meta=kept.meta)  # same task
    rejected = dropped.model_copy(update={"meta": {**dropped.meta, "rejection": {"step": "03-band_filter", "reason": "too_easy"}}})
    list(ledger.count_released([kept, derived]))
    list(ledger.count_rejected([rejected]))
    (unit,) = ledger.summary([{"type": "reasoning_gym", "dataset": "reasoning-gym"}], 0.5, {})["units"]
    assert (unit["released"], unit["released_tasks"], unit["loss"]) == (2, 1, 0.5)
    assert unit["dropped"] == {"03-band_filter: too_easy": 1} and unit["status"] == "ok"
