"""Audit sections by name: reasonledger's own and a plugin's run through the `audit section` registry."""

import pytest
from pydantic import ValidationError

from reasonledger.quality.audit import SECTIONS, AuditConfig, audit_records
from reasonledger.quality.report import render_markdown
from reasonledger.records.model import Record
from reasonledger.registry import registry


class LongestPrompt:
    """A plugin's section: the longest prompt seen, in characters."""

    def __init__(self, config):
        self.longest = 0

    def add(self, record, outcomes):
        self.longest = max(self.longest, len(str(record.task.prompt)))

    def result(self):
        return {"longest_prompt": self.longest}


@pytest.fixture
def plugin_section():
    registry("audit section").add("longest_prompt", LongestPrompt)
    yield
    registry("audit section").remove("longest_prompt")


def _records():
    return [Record(kind="prompt_answer", task={"prompt": p, "reference": "1", "source": {"dataset": "unit"}})
            for p in ("one", "three", "a longer prompt")]


def test_a_plugin_section_runs_beside_the_built_in_ones_and_reaches_the_report(plugin_section):
    config = AuditConfig(sections=["exact_duplicates", "lineage_completeness", "longest_prompt"])
    result, _ = audit_records(_records(), config)
    assert result["longest_prompt"] == {"longest_prompt": 15}
    assert set(result) == {"config", "records", "exact_duplicates", "lineage_completeness", "longest_prompt"}
    assert "| Longest prompt | longest_prompt: 15 |" in render_markdown(result)
    assert AuditConfig().sections == [*SECTIONS, "longest_prompt"]  # every known section by default


def test_an_unknown_section_is_refused_with_the_known_names():
    with pytest.raises(ValidationError, match=r"unknown audit section 'difficuly'; known: contamination, .*difficulty"):
        AuditConfig(sections=["difficuly"])


def test_every_section_the_audit_reports_is_a_registry_entry_the_whole_data_ones_included():
    sections = registry("audit section")
    assert set(SECTIONS) <= set(sections.names())
    assert {sections.origins()[name] for name in SECTIONS} == {"reasonledger"}
    assert sections["mixture"].__module__ == sections["contamination"].__module__ == "reasonledger.quality.whole_data"


def test_benchmarks_are_read_only_when_contamination_is_asked_for(tmp_path):
    missing = f"jsonl:{tmp_path / 'absent.jsonl'}"
    result, auditor = audit_records(_records(), AuditConfig(sections=["exact_duplicates"], against=[missing]))
    assert set(result) == {"config", "records", "exact_duplicates"} and auditor.points is None
    with pytest.raises((OSError, ValueError), match="absent.jsonl"):
        audit_records(_records(), AuditConfig(sections=["contamination"], against=[missing]))


def test_exact_duplicates_group_judged_and_unjudged_records_by_the_same_normalised_prompt():
    from reasonledger.records.model import Verdict

    judged = Record(kind="prompt_answer", task={"prompt": "What is  2+2?", "reference": "4", "source": {"dataset": "unit"}},
                    behaviour={"answer": "4"},
                    verdicts=[Verdict(verifier="exact", version="1", target="answer", score=1.0, passed=True)])
    records = [*_records(), judged, Record(kind="prompt_answer", task={"prompt": "what is 2+2?", "reference": "4",
                                                                      "source": {"dataset": "unit"}})]
    result, _ = audit_records(records, AuditConfig(sections=["exact_duplicates"]))
    assert result["exact_duplicates"]["groups"] == 1 and result["exact_duplicates"]["flagged"] == 1
    assert result["exact_duplicates"]["examples"] == [[records[3].id, records[4].id]]
