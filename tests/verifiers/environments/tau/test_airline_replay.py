"""Acceptance: the 200 recorded gpt-4o airline trajectories imported and re-verified by replay at the
revision they were recorded at, and reported as revision mismatches (never re-scored) at the current one."""

from __future__ import annotations

import collections
import time

import pytest

from reasonledger.formats.importers.tau_bench import read_tau_trajectories
from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier

RECORDED = "taubench/historical/gpt-4o-airline.json"


@pytest.fixture(scope="module")
def episodes(request) -> list[Record]:
    shared = request.getfixturevalue("shared_data")
    rows = list(read_tau_trajectories(shared / RECORDED, revision="7362a17"))
    assert all(isinstance(r, Record) for r in rows), [r for r in rows if not isinstance(r, Record)][:3]
    return rows


@pytest.fixture(scope="module")
def shared_data():  # module-scoped twin of the conftest fixture, so the 200 are imported once
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (set REASONLEDGER_SHARED_DATA)")
    return SHARED_DATA


def recorded(record: Record) -> tuple[float, dict]:
    verdict = next(v for v in record.verdicts if v.label_source == "dataset")
    return verdict.score, (verdict.evidence.get("reward_info") or {}).get("info") or {}


def test_200_import_and_replay_at_their_revision_as_recorded(episodes, shared_data):
    assert len(episodes) == 200
    verifier = get_verifier("environment", data_root=str(shared_data))
    started = time.perf_counter()
    judged = [{v.target: v for v in verifier.verify_record(r)} for r in episodes]
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"re-verifying 200 took {elapsed:.1f} s"

    episode = [j["episode"].evidence for j in judged]
    assert [e["first_divergence"] for e in episode] == [None] * 200  # every observation replayed exactly

    gold = [(j["state"].evidence["gold_state_hash"], recorded(r)[1]["gt_data_hash"])
            for j, r in zip(judged, episodes) if "gt_data_hash" in recorded(r)[1]]
    assert len(gold) == 182 and all(ours == theirs for ours, theirs in gold)

    outcomes = collections.Counter(e["outcome"] for e in episode)
    assert outcomes["truncated_state_correct"] == 2
    differing = [e for e, r in zip(episode, episodes) if e["reward"] != recorded(r)[0]]
    assert len(differing) <= 2 and all(e["outcome"] == "truncated_state_correct" for e in differing)
    assert sum(e["outcome"] == "success" for e in episode) == sum(recorded(r)[0] == 1.0 for r in episodes)
    # failed calls are kept as process labels
    assert any(t.startswith("step:") for j in judged for t in j)


def test_at_the_current_revision_the_recorded_ones_are_mismatches_not_rescored(episodes, shared_data):
    verifier = get_verifier("environment", data_root=str(shared_data), revision="59a200c")
    with_gold = [r for r in episodes if "gt_data_hash" in recorded(r)[1]]
    assert len(with_gold) == 182
    for record in with_gold:
        verdicts = verifier.verify_record(record)
        assert [v.target for v in verdicts] == ["episode"]
        assert verdicts[0].evidence["outcome"] == "env_revision_mismatch" and not verdicts[0].passed


def test_the_command_replays_them_after_a_parquet_round_trip(shared_data, tmp_path):
    """Stored records keep arguments as canonical JSON (keys sorted); the replay reads the calls as the
    model wrote them, so a booking's stored arguments still show back in their recorded order."""
    from typer.testing import CliRunner

    from reasonledger.cli import app

    runner = CliRunner()
    imported = tmp_path / "imported"
    result = runner.invoke(app, ["import", str(shared_data / RECORDED), "--format", "tau-bench",
                                 "--revision", "7362a17", "--out", str(imported)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["verify", str(imported), "--out", str(tmp_path / "v"), "--replay",
                                 "--data-root", str(shared_data), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "success 84" in result.output and "truncated_state_correct 2" in result.output
    assert "0 diverged from the recording" in result.output
    result = runner.invoke(app, ["verify", str(imported), "--out", str(tmp_path / "c"), "--replay",
                                 "--data-root", str(shared_data), "--revision", "59a200c", "--quiet"])
    assert result.exit_code == 0 and "env_revision_mismatch 200" in result.output, result.output
