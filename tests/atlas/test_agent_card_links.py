"""An environment replay release (examples/agent_replay.yaml on a slice of τ-bench's recorded
trajectories) cites the atlas's environmental episode entries at L4-L5 and, because it counts failed
episodes, what the atlas knows about agent failures: in card.json, card.md and report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reasonledger.atlas.cite import cite_card
from reasonledger.engine.recipe_paths import ALLOW_OUTSIDE_ENV
from reasonledger.engine.rundir import RunDir
from reasonledger.product import build
from tests.atlas.conftest import level_of

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20


@pytest.fixture
def replay_card(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    recorded = shared_data / "taubench/historical/gpt-4o-airline.json"
    if not recorded.is_file():
        pytest.skip(f"τ-bench trajectories not found at {recorded} (see ../shared/data/README.md)")
    folder = tmp_path
    small = folder / "gpt-4o-airline.json"  # the file name names the model and the domain
    small.write_text(json.dumps(json.loads(recorded.read_text(encoding="utf-8"))[:ROWS]), encoding="utf-8")
    overrides = [f"sources.0.path={small}",
                 f"sources.0.options.tasks={shared_data / 'taubench/rev_7362a17/airline/tasks_test.py'}",
                 f"steps.0.config.data_root={shared_data}"]
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")  # the recorded file lives beside the checkout, not in examples/
    build(ROOT / "examples" / "agent_replay.yaml", folder / "run", overrides, workers=1, show_progress=False)
    return RunDir(folder / "run").card


def test_the_replay_card_cites_environmental_episode_entries_and_agent_failures(
        replay_card: Path, raw_entries: list[dict[str, Any]]) -> None:
    card = json.loads((replay_card / "card.json").read_text())
    outcomes = card["verification"]["episode_outcomes"]["tau_airline"]
    assert sum(outcomes.values()) == ROWS and sum(n for o, n in outcomes.items() if o != "success") > 0
    sections = card["literature"]["sections"]
    expected = {e["id"] for e in raw_entries if "environmental" in e["verification_contract"]
                and {"full_episode", "state_action_level", "trajectory_value"} & set(e["supervision_granularity"])
                and level_of(e) >= 4}
    cited = {e["id"] for e in sections["verification"]["entries"]}
    assert expected and expected == cited
    assert sections["verification"]["basis"] == "families environmental and kinds episode"
    failures = sections["agent_failures"]["entries"]
    assert failures and all(e["level"][:2] in ("L4", "L5") for e in failures)
    assert card["literature"]["levels"] == "L4-L5"
    md = (replay_card / "card.md").read_text()
    report = (replay_card / "report.html").read_text()
    for name in ("verification", "agent_failures"):
        some = sorted(e["id"] for e in sections[name]["entries"])[0]
        assert some in md and some in report
    assert "### Agent failures" in md and "<h3>Agent failures</h3>" in report


def test_agent_failures_are_cited_only_when_the_card_counts_a_failed_episode() -> None:
    def card(outcomes: dict[str, int]) -> dict[str, Any]:
        return {"verification": {"families": {"environment": "environmental", "tau_bench_reward": "unknown"},
                                 "episode_outcomes": {"tau_airline": outcomes}},
                "objects": {"by_kind": {"episode": 3}}}

    assert "agent_failures" in cite_card(card({"success": 2, "wrong_state": 1}))["sections"]
    assert "agent_failures" not in cite_card(card({"success": 3, "wrong_state": 0}))["sections"]
