"""A judge replays exactly: its request cache written as a replay file keyed by request hash gives the
recorded verdicts with no call, and a request that differs in anything (here the temperature) is not
answered with another request's reply."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.generation.backends.replay import ReplayError, ReplayStore, replay_answerer
from reasonledger.generation.protocol import GenerationRequest
from reasonledger.verifiers.judgment.client import CACHE_ENV
from reasonledger.verifiers.judgment.judge import JudgeVerifier

from .scripts import scripted

ASKED: list[str] = []
PAIRS = [("4", "2 + 2 = 4, so the answer is 4."), ("4", "The answer is 5."), ("12", "#### 12")]


def _grader(prompt: str) -> str:
    ASKED.append(prompt)
    return "Final Decision: " + ("CORRECT" if "5" not in prompt.rsplit("Candidate", 1)[-1] else "INCORRECT")


def _replayed(file, **decoding):
    return JudgeVerifier(model="scripted-replay-by-request", backend="replay", backend_options={"replay": [str(file)]},
                         mode="response", **({"decoding": decoding} if decoding else {}))


def test_a_judges_request_cache_replays_its_verdicts_exactly_and_nothing_else(allow_judges, tmp_path, monkeypatch):
    ASKED.clear()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "judge-cache"))
    live = JudgeVerifier(**scripted("replay-by-request", _grader, mode="response"))
    recorded = live.verify_many(PAIRS)
    live.close()
    assert [v.passed for v in recorded] == [True, False, True] and len(ASKED) == 3
    monkeypatch.delenv(CACHE_ENV)

    out = tmp_path / "judge.replay.jsonl"
    done = CliRunner().invoke(app, ["construct", "replay-file", str(tmp_path / "judge-cache"), "--by-request",
                                    "--out", str(out)])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["request"] for line in lines) == sorted(v.evidence["request"] for v in recorded)
    assert all("prompt" not in line and len(line["completions"]) == 1 for line in lines)

    replayed = _replayed(out)
    again = replayed.verify_many(PAIRS)
    assert len(ASKED) == 3  # nothing reached the scripted judge
    assert [(v.passed, v.score, v.evidence["request"]) for v in again] == \
        [(v.passed, v.score, v.evidence["request"]) for v in recorded]
    assert again[0].config_hash != recorded[0].config_hash  # the backend is part of the judge's spec

    colder = _replayed(out, temperature=0.7).verify_many(PAIRS[:1])[0]  # another request: not answered
    assert not colder.passed and colder.evidence["reason"] == "parse_failure"
    assert "replay_missing" in json.dumps(colder.evidence) and len(ASKED) == 3, colder.evidence


def test_a_request_key_that_is_not_a_hash_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"request": "abc", "completions": ["x"]}) + "\n")
    with pytest.raises(ReplayError, match=r"bad\.jsonl:1: `request` is a request key \(64 hex digits\)"):
        ReplayStore([bad])
    neither = tmp_path / "neither.jsonl"
    neither.write_text(json.dumps({"completions": ["x"]}) + "\n")
    with pytest.raises(ReplayError, match=r"neither\.jsonl:1: expected"):
        ReplayStore([neither])
    listed = tmp_path / "listed.jsonl"
    listed.write_text(json.dumps({"prompt": "p", "completions": ["x"]}) + "\n" + json.dumps(["p", ["x"]]) + "\n")
    with pytest.raises(ReplayError, match=r"listed\.jsonl:2: expected"):
        ReplayStore([listed])


def test_a_build_whose_judge_replays_a_missing_file_stops_with_the_file_named(allow_judges, tmp_path):
    (tmp_path / "q.jsonl").write_text(json.dumps({"question": "What is 2+2?", "answer": "4", "r": ["It is 4."]}) + "\n")
    (tmp_path / "judge.yaml").write_text(json.dumps({
        "name": "judge-missing-replay", "seed": 0,
        "sources": [{"type": "file", "path": "q.jsonl", "format": "jsonl",
                     "options": {"prompt_field": "question", "answer_field": "answer", "response_field": "r"}}],
        "steps": [{"type": "verify", "verifier": "judge",
                   "config": {"model": "m", "backend": "replay", "mode": "response",
                              "backend_options": {"replay": [str(tmp_path / "gone.jsonl")]}}}]}))
    done = CliRunner().invoke(app, ["build", str(tmp_path / "judge.yaml"), "--out", str(tmp_path / "run"),
                                    "--workers", "1", "--quiet"])
    assert done.exit_code == 1, done.output
    assert isinstance(done.exception, SystemExit), done.exception  # a clean error, not an uncaught ReplayError
    assert f"{tmp_path / 'gone.jsonl'}: no such replay file" in " ".join(done.output.split())
    assert "Traceback" not in done.output


def test_a_build_past_the_operators_judge_call_bound_stops_saying_which_limit_to_raise(tmp_path, monkeypatch):
    from .conftest import operator_config

    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 1, backends: [scripted]}\n")
    config = scripted("replay-by-request-bound", _grader, mode="response")
    rows = [{"question": f"What is {n}+{n}?", "answer": str(2 * n), "r": [f"It is {2 * n}."]} for n in range(3)]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (tmp_path / "judge.yaml").write_text(json.dumps({
        "name": "judge-bound", "seed": 0,
        "sources": [{"type": "file", "path": "q.jsonl", "format": "jsonl",
                     "options": {"prompt_field": "question", "answer_field": "answer", "response_field": "r"}}],
        "steps": [{"type": "verify", "verifier": "judge", "config": config}]}))
    done = CliRunner().invoke(app, ["build", str(tmp_path / "judge.yaml"), "--out", str(tmp_path / "run"),
                                    "--workers", "1", "--quiet"])
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (done.output, done.exception)
    assert "Raise limits.judgment.max_calls" in " ".join(done.output.split())


def test_a_served_request_a_line_names_is_answered_by_that_line_only(tmp_path):
    body = {"model": "m", "messages": [{"role": "user", "content": "What is 2+2?"}], "temperature": 0.0}
    two = {**body, "n": 2}
    lines = [{"request": GenerationRequest("chat", body).key, "completions": ["Final Decision: CORRECT"]},
             {"request": GenerationRequest("chat", two).key, "completions": ["only one of two"]},
             {"prompt": "What is 2+2?", "completions": ["prompt one", "prompt two"]}]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    store = ReplayStore([path])
    answer = replay_answerer(store)
    assert [c.text for c in answer("chat", body)] == ["Final Decision: CORRECT"]
    assert [c.text for c in answer("chat", {**body, "temperature": 0.5})] == ["prompt one"]  # no line names it
    # a line short of its request's samples is refused, served or replayed, not made up from the prompt's lines
    with pytest.raises(LookupError, match=r"n=2 asked, 1 recorded for request"):
        answer("chat", two)
    with pytest.raises(LookupError, match=r"n=2 asked, 1 recorded for request"):
        store.answer(GenerationRequest("chat", two))
