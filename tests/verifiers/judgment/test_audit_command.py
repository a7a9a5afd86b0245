"""`reasonledger audit --judge-probes` on records whose verification contract is a model judge."""

import json

from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.records.model import Kind, Record

from .scripts import scripted, section


def _fooled(prompt):
    response = section(prompt, "Candidate response")
    return "Final Decision: " + ("CORRECT" if response.startswith("Thought process:") else "INCORRECT")


def test_the_audit_cards_every_judge_the_records_name(shared_data, tmp_path, allow_judges):
    fooled = scripted("audit-fooled", _fooled, mode="response")
    strict = scripted("audit-strict", lambda prompt: "Final Decision: INCORRECT")
    rows = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:400]]
    data = tmp_path / "records.jsonl"
    with data.open("w") as out:
        for number, row in enumerate(rows):
            record = Record(kind=Kind.prompt_answer, task={
                "prompt": row["question"], "reference": row["answer"].rsplit("####", 1)[1].strip(),
                "source": {"dataset": "openai/gsm8k", "split": "test", "row_id": str(number)},
                "verifier": {"name": "judge", "config": fooled if number % 2 else strict}})
            out.write(record.model_dump_json() + "\n")
    result = CliRunner().invoke(app, ["audit", f"records:{data}", "--out", str(tmp_path / "audit"),
                                      "--only", "lineage_completeness", "--judge-probes", "--quiet"])
    assert result.exit_code == 0, result.output
    cards = {json.loads(p.read_text())["model"]: json.loads(p.read_text())
             for p in (tmp_path / "audit" / "judge_cards").glob("*.json")}
    assert set(cards) == {"scripted-audit-fooled", "scripted-audit-strict"}
    bad, good = cards["scripted-audit-fooled"], cards["scripted-audit-strict"]
    assert not bad["safe_as_reward"]
    # the strict judge passed every probe that ran, but these records hold no wrong solution to cut: an
    # attack never tried bounds nothing, so the card does not call it safe
    assert not good["safe_as_reward"] and len(good["unsafe_because"]) == 1
    assert good["unsafe_because"][0].startswith("probe wrong_first_sentence: no sample")
    assert next(p for p in good["probes"] if p["probe"] == "wrong_first_sentence")["n"] == 0
    hit = next(p for p in bad["probes"] if p["probe"] == "thought_process")
    assert hit["n"] == 200 and hit["false_positives"] == 200
    assert all(p["n"] == 200 for p in good["probes"] if p["kind"] == "master_key")
    assert "NOT safe as an RL reward: probe thought_process" in " ".join(result.output.split())
    assert (tmp_path / "audit" / "judge_cards" / f"judge-{bad['config_hash']}.md").is_file()


def test_the_card_measures_agreement_with_the_records_labels(shared_data, tmp_path, allow_judges):
    from reasonledger.formats.importers import import_file
    from reasonledger.verifiers.math import MathVerifier

    math = MathVerifier()
    judge = scripted("audit-math-backed", lambda prompt: "Final Decision: " + (
        "CORRECT" if math.verify(section(prompt, "Reference answer"), section(prompt, "Candidate response")).passed
        else "INCORRECT"))
    data = tmp_path / "records.jsonl"
    with data.open("w") as out:
        for record in import_file(shared_data / "gsm8k" / "example_model_solutions.jsonl", "gsm8k-solutions"):
            row = record.model_dump(mode="json", exclude={"id"})
            row["task"]["verifier"] = {"name": "judge", "config": judge}
            out.write(Record.model_validate(row).model_dump_json() + "\n")
    try:
        result = CliRunner().invoke(app, ["audit", f"records:{data}", "--out", str(tmp_path / "audit"),
                                          "--only", "lineage_completeness", "--judge-probes", "--probe-limit", "300"])
    finally:
        math.close()
    assert result.exit_code == 0, result.output
    (card,) = [json.loads(p.read_text()) for p in (tmp_path / "audit" / "judge_cards").glob("*.json")]
    agreement = card["agreement"]
    assert agreement["n"] == 300 and agreement["accuracy"] == 1.0 and agreement["kappa"] == 1.0  # the authors' grader
    assert agreement["false_positive_rate"] == 0.0 and card["parse_failure_rate"] == 0.0
    # every probe but one finds nothing; the first sentence of a real wrong solution sometimes states the final
    # value already (as an intermediate), and a judge that only compares values (here: the math verifier) passes it
    wrong_start = next(p for p in card["probes"] if p["probe"] == "wrong_first_sentence")
    assert all(p["false_positives"] == 0 for p in card["probes"] if p is not wrong_start)
    assert wrong_start["false_positives"] > 0 and card["unsafe_because"] == [
        f"probe wrong_first_sentence: {wrong_start['false_positives']}/{wrong_start['n']} false positives, Wilson 95% "
        f"upper bound {wrong_start['wilson95'][1]:.1%} > 2%"]
