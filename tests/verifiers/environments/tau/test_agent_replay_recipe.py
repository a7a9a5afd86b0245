"""examples/agent_replay.yaml: the recorded τ-bench trajectories imported, re-verified by replay and
exported with their labels, failures kept, offline."""

from __future__ import annotations

import collections
import json

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
