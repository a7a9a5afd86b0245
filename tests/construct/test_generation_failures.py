"""A request that still fails after its retries is never silently lost: its record is dropped with
reason `generation_failed` (or the build stops), the failures file says what the server did, and a
later build resends only what failed."""

from __future__ import annotations

import json

import pytest

from reasonledger.commands.construct import generation_report
from reasonledger.generation.failures import FailureLog, read_failures
from reasonledger.engine.rundir import RunDir
from reasonledger.generation.openai_server import Fault
from reasonledger.construct.rollouts import GenerationFailed
from reasonledger.product import build
from reasonledger.records.io import iter_valid

from .test_generation_resume import _recipe, answer

BROKEN = "What is 5 + 2?"  # task 5: its server answers are always cut short


def broken(api, body, attempt):
    return Fault(body="truncated") if BROKEN in body["messages"][-1]["content"] else None


def test_failed_requests_drop_their_record_and_are_reported(serve, tmp_path, monkeypatch):
    recipe = _recipe(tmp_path / "recipe")
    with serve(answer, broken) as server:
        monkeypatch.setenv("REASONLEDGER_ENDPOINT", server.url)
        result = build(recipe, tmp_path / "run", ["steps.0.generator.retries=1"], workers=1, show_progress=False)
    rejected = [r for r in iter_valid(tmp_path / "run" / "rejected") if r.meta["rejection"]["reason"] == "generation_failed"]
    assert [r.task.prompt for r in rejected] == [BROKEN]
    assert "4 request(s) failed after retries; first: bad_json" in rejected[0].meta["rejection"]["detail"]
    failures = [json.loads(line) for line in (tmp_path / "run" / "failures.jsonl").read_text().splitlines()]
    assert len(failures) == 4 and {f["record"] for f in failures} == {rejected[0].id}
    assert {(f["kind"], f["attempts"]) for f in failures} == {("bad_json", 2)} and "truncated" in failures[0]["message"]
    stage = [json.loads(line) for line in (tmp_path / "run" / "runlog.jsonl").read_text().splitlines()
             if '"event": "stage"' in line][0]
    rollouts = stage["steps"][0]
    assert rollouts["dropped"] == {"generation_failed": 1}
    assert rollouts["by"]["requests.failed"]["bad_json"] == 4 and rollouts["by"]["wire"]["bad_json"] == 8
    assert result.records > 0


def test_on_failure_stop_then_resume_resends_only_what_failed(serve, tmp_path, monkeypatch):
    recipe = _recipe(tmp_path / "recipe")
    with serve(answer, broken) as server:
        monkeypatch.setenv("REASONLEDGER_ENDPOINT", server.url)
        with pytest.raises(GenerationFailed, match="failures.jsonl"):
            build(recipe, tmp_path / "run", ["steps.0.on_failure=stop", "steps.0.generator.retries=0"],
                  workers=1, show_progress=False)
        first = server.stats.requests
    with serve(answer) as healthy:  # the server is fixed; the same build resumes
        monkeypatch.setenv("REASONLEDGER_ENDPOINT", healthy.url)
        result = build(recipe, tmp_path / "run", ["steps.0.on_failure=stop", "steps.0.generator.retries=0"],
                       workers=1, show_progress=False)
        # the shard that stopped is redone: only its 4 failed requests reach the server again
        assert healthy.stats.requests == 4 + (48 * 4 - first)
    assert result.records > 0
    assert len((tmp_path / "run" / "failures.jsonl").read_text().splitlines()) == 4
    assert generation_report(tmp_path / "run")["failures"] == 0  # all four were answered on resume
    assert "generation_failed" not in {r.meta["rejection"]["reason"] for r in iter_valid(tmp_path / "run" / "rejected")}


def test_the_failures_file_keeps_the_latest_entry_per_request_and_skips_a_cut_line(tmp_path):
    run = RunDir(tmp_path)
    log = FailureLog(run.failures)
    for request, attempts in (("a", 1), ("b", 1), ("a", 2)):
        log.add({"request": request, "attempts": attempts})
    with run.failures.open("ab") as handle:
        handle.write('{"request": "c", "message": "é'.encode()[:-1])  # killed mid-write, inside a UTF-8 character
    assert read_failures(run.failures) == [{"request": "a", "attempts": 2}, {"request": "b", "attempts": 1}]
    assert read_failures(RunDir(tmp_path / "no-run").failures) == []
