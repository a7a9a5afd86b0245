"""The agent-failures audit section: episodes counted per environment by the outcome their replay
verdict gives, failed calls by kind and tool, endings and divergent replays; unjudged episodes are
counted as such; the audit report cites what the atlas knows about agent failures."""

from __future__ import annotations

from reasonledger.atlas.cite import cite_audit
from reasonledger.quality.audit import AuditConfig, audit_records
from reasonledger.quality.report import render_markdown
from reasonledger.records.model import Record


def verdict(target, passed, **evidence):
    return {"verifier": "environment", "version": "1", "target": target, "passed": passed,
            "score": float(passed), "label_source": "environment", "evidence": evidence}


def episode(row, env="tau_airline", termination="user_stop", verdicts=()):
    return Record(kind="episode", task={"prompt": f"task {row}", "reference": {"env": env, "task_id": str(row)},
                                        "source": {"dataset": "unit", "row_id": str(row)},
                                        "verifier": {"name": "environment"}},
                  behaviour={"messages": [{"role": "user", "content": f"task {row}"},
                                          {"role": "assistant", "content": "done"}], "termination": termination},
                  verdicts=list(verdicts))


def records():
    return [
        episode(0, verdicts=[verdict("episode", True, outcome="success", first_divergence=None)]),
        episode(1, verdicts=[verdict("step:2", False, name="book_reservation", error_kind="tool_error"),
                             verdict("step:4", False, name="fly", error_kind="unknown_tool"),
                             verdict("episode", False, outcome="wrong_state", first_divergence=None)]),
        episode(2, termination="max_steps",
                verdicts=[verdict("episode", False, outcome="env_error", first_divergence=3),
                          {**verdict("episode", False, outcome="wrong_state"), "label_source": "dataset"}]),
        episode(3, env="shell_fs"),  # never replayed
        Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "unit"}}),
    ]


def test_outcomes_failed_calls_and_endings_per_environment():
    result, _ = audit_records(records(), AuditConfig(sections=["agent_failures"]))
    section = result["agent_failures"]
    assert (section["episodes"], section["judged"], section["flagged"]) == (4, 3, 2)
    assert section["outcomes"] == {"success": 1, "wrong_state": 1, "env_error": 1, "unjudged": 1}
    airline = section["by_environment"]["tau_airline"]
    assert airline["success_rate"] == round(1 / 3, 4) and airline["replay_diverged"] == 1
    assert airline["failed_calls"] == {"tool_error": 1, "unknown_tool": 1}
    assert airline["failing_tools"] == {"book_reservation": 1, "fly": 1}
    assert airline["terminations"] == {"user_stop": 2, "max_steps": 1}
    assert airline["examples"] == {"env_error": [records()[2].id], "wrong_state": [records()[1].id]}
    assert section["by_environment"]["shell_fs"] == {**section["by_environment"]["shell_fs"], "judged": 0,
                                                     "success_rate": None, "outcomes": {"unjudged": 1}}
    assert "| Agent failures | 2 of 3 replayed episodes failed" in render_markdown(result)
    literature = cite_audit(result)
    assert literature["sections"]["agent_failures"]["entries"]


def test_not_applicable_without_agent_records():
    result, _ = audit_records(records()[-1:], AuditConfig(sections=["agent_failures"]))
    assert result["agent_failures"]["applicable"] is False
    assert "agent_failures" not in cite_audit(result)["sections"]
