"""The per-record audits on small hand-built records whose answers are known."""

from __future__ import annotations

import pytest

from reasonledger.quality.agreement import AgreementAudit
from reasonledger.quality.consistency import ConsistencyAudit, stated_answer
from reasonledger.quality.difficulty import DifficultyAudit
from reasonledger.formats.spec import SpecError, parse_spec
from reasonledger.quality.length_trap import LengthTrapAudit
from reasonledger.quality.lineage import LineageAudit, missing_fields
from reasonledger.quality.outcomes import outcomes
from reasonledger.records.model import Record, Verdict
from reasonledger.stats.beta import beta_cdf, beta_interval


def rollout_set(prompt: str, responses: list[str], passed: list[bool], answers: list[str | None] | None = None,
                verifier: str = "grader", label_source: str = "human") -> Record:
    answers = answers or [None] * len(responses)
    return Record(kind="rollout_set", task={"prompt": prompt, "reference": "4", "source": {"dataset": "toy"}},
                  behaviour={"rollouts": [{"response": r, "answer": a, "meta": {"model": "m1", "temperature": 0.7}}
                                          for r, a in zip(responses, answers)]},
                  verdicts=[Verdict(verifier=verifier, version="1", target=f"rollout:{j}", score=float(p), passed=p,
                                    label_source=label_source) for j, p in enumerate(passed)])


def test_beta_interval_matches_closed_forms() -> None:
    assert beta_interval(0, 0, (1, 1), 0.95) == pytest.approx((0.025, 0.975), abs=1e-4)  # Beta(1,1) is uniform
    low, high = beta_interval(4, 4, (1, 1), 0.95)  # Beta(5,1): cdf x**5
    assert low == pytest.approx(0.025 ** 0.2, abs=1e-4) and high == pytest.approx(0.975 ** 0.2, abs=1e-4)
    assert beta_cdf(0.3, 2, 3) == pytest.approx(1 - (1 - 0.3) ** 4 - 4 * 0.3 * (1 - 0.3) ** 3, abs=1e-10)


def test_difficulty_reports_band_with_its_conditioning() -> None:
    audit = DifficultyAudit(band=(0.25, 0.75))
    for passed in ([True, True, True, True], [True, False, False, False], [True, True, False, False], [False] * 4):
        audit.add(outcomes(rollout_set(f"q{passed}", ["a", "b", "c", "d"], passed)))
    result = audit.result()
    assert result["prompts"] == 4 and result["band"]["count"] == 2 and result["band"]["share"] == 0.5
    assert result["conditioning"] == {"policy": {"m1": 16}, "n": {"4": 4}, "temperature": {"0.7": 16},
                                      "verifier": "grader@1", "other_verifiers": []}
    assert result["solved_by_all"] == 1 and result["solved_by_none"] == 1
    assert DifficultyAudit().result()["applicable"] is False


def test_length_trap_flags_when_long_attempts_are_wrong() -> None:
    audit = LengthTrapAudit(flag_r=0.1)
    audit.add(outcomes(rollout_set("q", ["short answer 4"] * 5 + ["a very long wandering answer " * 20] * 5,
                                   [True] * 5 + [False] * 5)))
    result = audit.result()
    assert result["trap"] and result["overall"]["pooled"]["r"] < -0.9
    assert result["overall"]["mean_words_wrong"] > result["overall"]["mean_words_right"]


def test_stated_answer_rules() -> None:
    assert stated_answer("so \\boxed{\\frac{1}{2}} done") == ("\\frac{1}{2}", "boxed")
    assert stated_answer("\\boxed{3} first, then \\fbox{ 4 }") == ("4", "boxed")  # as the MATH importer reads gold
    assert stated_answer("work\n#### 1,234") == ("1,234", "hashes")  # verifiers.answers' rule names
    assert stated_answer("It is 5 apples.\nA: 5") == ("5", "final_line")
    assert stated_answer("Therefore the answer is 42.") == ("42", "answer_is")
    assert stated_answer("The total is 7.") == ("7", "final_line")
    assert stated_answer("we tried 3, then 7, and stopped") == (None, "none")  # no number is walked back to
    assert stated_answer("no idea") == (None, "none")


def test_consistency_counts_disagreements_and_answers_without_trace() -> None:
    audit = ConsistencyAudit()
    audit.add(rollout_set("q", ["so the answer is 4", "the answer is 5", ""], [True, False, False], ["4", "4", "4"]))
    result = audit.result()
    assert (result["consistent"], result["inconsistent"], result["answer_without_trace"]) == (1, 1, 1)
    assert result["examples"]["inconsistent"][0]["stated"] == "5"


def test_agreement_estimates_false_negatives_against_a_label() -> None:
    audit = AgreementAudit(run="exact")  # exact on the stated answer, against the stored human label
    record = rollout_set("q", ["the answer is 4", "answer: four", "the answer is 5"], [True, True, False])
    audit.add(record, outcomes(record))
    [pair] = audit.result()["pairs"]
    assert pair["against_label"] == {"label": "grader@1", "verifier": "exact@2.0.0", "false_negative_rate": 0.5,
                                     "false_positive_rate": 0.0, "false_negatives": 1, "false_positives": 0}


def test_lineage_lists_missing_provenance_per_source() -> None:
    record = rollout_set("q", ["a"], [True])
    assert missing_fields(record) == ["source.revision", "source.license", "source.row_id", "source.split",
                                      "verifier", "verifier.version", "generator.seed"]
    audit = LineageAudit()
    audit.add(record)
    assert audit.result()["by_source"]["toy"]["missing"]["generator.seed"] == 1


def test_data_specs() -> None:
    spec = parse_spec("jsonl:data/mbpp.jsonl?prompt_field=text&name=mbpp")
    assert (spec.fmt, spec.path, spec.options, spec.name) == ("jsonl", "data/mbpp.jsonl", {"prompt_field": "text", "name": "mbpp"}, "mbpp")
    assert parse_spec("runs/x").fmt is None
    with pytest.raises(SpecError):
        parse_spec("gsm8k:")
    with pytest.raises(SpecError):
        parse_spec("jsonl:x.jsonl?novalue")


def test_an_audit_subset_writes_only_its_sections(tmp_path) -> None:
    from reasonledger.quality.audit import AuditConfig, audit_records
    from reasonledger.quality.report import write_report

    records = [rollout_set(f"q{i}", ["the answer is 4", "the answer is 5"], [True, False]) for i in range(3)]
    result, auditor = audit_records(records, AuditConfig(sections=["difficulty", "length_trap"]))
    assert set(result) == {"config", "records", "difficulty", "length_trap"}
    assert result["difficulty"]["band"]["count"] == 3
    paths = write_report(result, tmp_path, auditor.points)
    assert "Difficulty from rollouts" in paths["html"].read_text() and "Near-duplicates" not in paths["md"].read_text()
