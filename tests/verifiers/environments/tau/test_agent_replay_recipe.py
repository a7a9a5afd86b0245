"""examples/agent_replay.yaml: the recorded τ-bench trajectories imported, re-verified by replay and
exported with their labels, failures kept, offline."""

from __future__ import annotations

import collections
import json

import pytest

from reasonledger.engine.recipe_paths import ALLOW_OUTSIDE_ENV
from reasonledger.product import build
from tests.conftest import ROOT


def test_the_recipe_keeps_failures_and_successes_with_their_labels(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")  # the recorded file lives beside the checkout, not in examples/
    overrides = [f"sources.0.path={shared_data / 'taubench/historical/gpt-4o-airline.json'}",
                 f"steps.0.config.data_root={shared_data}"]
    result = build(ROOT / "examples" / "agent_replay.yaml", tmp_path / "run", overrides, workers=1,
                   show_progress=False)
    assert (result.records, result.rejected, result.quarantined) == (200, 0, 0)
    rows = [json.loads(line) for line in (tmp_path / "run/exports/trl_tools.jsonl").open(encoding="utf-8")]
    assert len(rows) == 200  # nothing dropped: failed episodes are kept, labelled
    outcomes = collections.Counter(row["outcome"] for row in rows)
    assert outcomes["success"] == sum(row["passed"] for row in rows) == 84
    assert outcomes["truncated_state_correct"] == 2 and outcomes["wrong_state"] > 0
    assert all(row["tools"] is not None and row["messages"] for row in rows)
    assert (tmp_path / "run/exports/verl_tools.parquet").is_file()


def test_a_missing_data_folder_stops_the_build_and_the_reward_instead_of_labelling_every_episode(
        shared_data, tmp_path, monkeypatch):
    """Before: exit 0, 200 episodes each labelled env_error, and a reward of 0 for every completion."""
    from typer.testing import CliRunner

    from reasonledger import rewards
    from reasonledger.cli import app
    from reasonledger.records.model import canonical_json
    from reasonledger.verifiers.environments.base import EnvironmentUnavailable
    from reasonledger.verifiers.environments.tau.env import DATA_ROOT_VARIABLE

    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")
    monkeypatch.delenv(DATA_ROOT_VARIABLE, raising=False)
    nowhere = tmp_path / "no-data-here"
    done = CliRunner().invoke(app, ["build", str(ROOT / "examples" / "agent_replay.yaml"), "--out", str(tmp_path / "run"),
                                    "--set", f"sources.0.path={shared_data / 'taubench/historical/gpt-4o-airline.json'}",
                                    "--set", f"steps.0.config.data_root={nowhere}", "--workers", "1", "--quiet"])
    assert done.exit_code == 1, done.output
    said = " ".join(done.output.split())
    assert f"{nowhere}/airline/flights.json: missing" in said and "$REASONLEDGER_DATA_ROOT" in said
    assert not (tmp_path / "run" / "data").exists() or not any((tmp_path / "run" / "data").iterdir())
    from reasonledger.formats.importers import import_file

    episode = next(iter(import_file(shared_data / "taubench/historical/gpt-4o-airline.json", "tau-bench",
                                    revision="7362a17")))
    info = {"verifier": "environment", "verifier_config_json": "{}",
            "reference_json": canonical_json(episode.task.reference)}
    with pytest.raises(EnvironmentUnavailable, match=r"no τ-bench data: give the environment a data_root"):
        rewards.compute_score("sierra-research/tau-bench", "<tool_call>{}</tool_call>", "", extra_info=info)
