"""The release card counts agent episodes per environment and outcome, from the environment
verifier's verdict on each whole episode: failures are counted, not dropped."""

import collections
import json
from pathlib import Path

import jsonschema

import reasonledger.cards
from reasonledger.cards.markdown import episode_outcome_lines
from reasonledger.cards.release import _verification
from reasonledger.cards.scan import scan
from reasonledger.engine.recipe_paths import ALLOW_OUTSIDE_ENV
from reasonledger.product import build
from reasonledger.records.io import iter_valid
from reasonledger.records.model import Record
from tests.conftest import ROOT

SCHEMA = json.loads((Path(reasonledger.cards.__file__).parent / "card.schema.json").read_text())


def _episode(env, *outcomes, label_source="environment"):
    verdicts = [{"verifier": "environment", "version": "1", "target": "episode", "score": float(o == "success"),
                 "passed": o == "success", "label_source": label_source, "evidence": {"outcome": o}} for o in outcomes]
    return Record(kind="episode", task={"prompt": f"{env} {outcomes}", "reference": {"env": env},
                                        "source": {"dataset": "unit"}},
                  behaviour={"actions": [{"name": "noop"}]}, verdicts=verdicts)


def test_outcomes_are_counted_per_environment_from_the_last_replay():
    records = [_episode("tau_airline", "success"), _episode("tau_airline", "wrong_state"),
               _episode("tau_airline", "env_error", "truncated_state_correct"),  # re-verified: the last one counts
               _episode("bfcl_multiturn", "success"),
               _episode("tau_retail", "success", label_source="dataset"),  # a stored label, not a replay
               Record(kind="prompt_answer", task={"prompt": "1+1?", "source": {"dataset": "unit"}})]
    facts = scan(records)
    assert facts.episode_outcomes == {"tau_airline": {"success": 1, "wrong_state": 1, "truncated_state_correct": 1},
                                      "bfcl_multiturn": {"success": 1}}
    verification = _verification(facts, [], [])
    assert verification["episode_outcomes"] == {
        "bfcl_multiturn": {"success": 1},
        "tau_airline": {"success": 1, "truncated_state_correct": 1, "wrong_state": 1}}
    jsonschema.validate(verification, {**SCHEMA["properties"]["verification"], "$defs": SCHEMA["$defs"]})
    lines = episode_outcome_lines(verification)
    assert lines[0] == "### Episode outcomes per environment"
    assert "| tau_airline | wrong_state | 1 |" in lines
    assert "episode_outcomes" not in _verification(scan(records[-1:]), [], []) and not episode_outcome_lines({})


def test_the_agent_replay_release_card_counts_its_outcomes(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")  # the recorded file lives beside the checkout, not in examples/
    overrides = [f"sources.0.path={shared_data / 'taubench/historical/gpt-4o-airline.json'}",
                 f"steps.0.config.data_root={shared_data}"]
    build(ROOT / "examples" / "agent_replay.yaml", tmp_path / "run", overrides, workers=1, show_progress=False)
    card = json.loads((tmp_path / "run/card/card.json").read_text())
    outcomes = card["verification"]["episode_outcomes"]["tau_airline"]
    assert sum(outcomes.values()) == 200 and outcomes["success"] == 84 and outcomes["truncated_state_correct"] == 2
    replayed = collections.Counter(
        next(v for v in reversed(r.verdicts) if v.target == "episode" and v.label_source == "environment")
        .evidence["outcome"] for r in iter_valid(tmp_path / "run/data"))
    assert outcomes == dict(replayed)
    assert f"| tau_airline | wrong_state | {outcomes['wrong_state']} |" in (tmp_path / "run/card/card.md").read_text()
