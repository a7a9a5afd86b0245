"""`reasonledger verify --replay`: episodes re-judged by replay against their pinned environment,
other records passed through unchanged, a revision mismatch reported and never re-scored."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.records.io import iter_valid
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Record
from tests.verifiers.environments import counter


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    counter.register()

    def episode(n: int) -> Record:
        return Record(kind="episode", task={"prompt": "add 2", "reference": counter.spec(), "source": {"dataset": "t"},
                                            "verifier": {"name": "environment"}},
                      behaviour={"messages": counter.conversation(("add", {"n": n}, str(n))),
                                 "termination": "agent_stop"})

    plain = Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "t"},
                                               "verifier": {"name": "exact"}}, behaviour={"response": "4"})
    path = tmp_path / "episodes.jsonl"
    write_jsonl([episode(2), episode(3), plain], path)
    return path


def outcomes(out: Path) -> dict[str, str | None]:
    found = {}
    for record in iter_valid(out / "data"):
        episode = [v for v in record.verdicts if v.target == "episode"]
        found[record.kind.value + (f":{len(found)}" if record.kind.value == "episode" else "")] = (
            episode[0].evidence["outcome"] if episode else None)
    return found


def test_replay_labels_each_episode_and_passes_other_records(dataset, tmp_path):
    result = CliRunner().invoke(app, ["verify", str(dataset), "--out", str(tmp_path / "out"), "--replay"])
    assert result.exit_code == 0, result.output
    assert "replayed 2 episode(s)" in result.output and "1 other record(s) passed unchanged" in result.output
    found = outcomes(tmp_path / "out")
    assert sorted(v for k, v in found.items() if k.startswith("episode")) == ["success", "wrong_state"]
    plain = [r for r in iter_valid(tmp_path / "out" / "data") if r.kind.value == "prompt_answer"][0]
    assert plain.verdicts == []


def test_replay_at_another_revision_is_a_mismatch_for_every_episode(dataset, tmp_path):
    result = CliRunner().invoke(app, ["verify", str(dataset), "--out", str(tmp_path / "out"), "--replay",
                                      "--revision", "r2"])
    assert result.exit_code == 0, result.output
    assert "env_revision_mismatch 2" in result.output
    for record in iter_valid(tmp_path / "out" / "data"):
        if record.kind.value == "episode":
            assert [v.target for v in record.verdicts] == ["episode"]


@pytest.mark.parametrize("extra", [["--lenient", " "], ["--verifier", "exact"]])
def test_replay_refuses_what_it_cannot_honour(dataset, tmp_path, extra):
    result = CliRunner().invoke(app, ["verify", str(dataset), "--out", str(tmp_path / "out"), "--replay", *extra])
    assert result.exit_code != 0 and ("--lenient" in result.output or "environment verifier" in result.output)


def test_replay_flags_need_replay(dataset, tmp_path):
    result = CliRunner().invoke(app, ["verify", str(dataset), "--out", str(tmp_path / "out"), "--revision", "r2"])
    assert result.exit_code != 0 and "--replay" in result.output
