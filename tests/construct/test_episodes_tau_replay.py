"""Replayed policies on real data: τ-bench's 200 recorded gpt-4o airline trajectories (50 tasks, 4
trials each) become replay files for the policy and for the user simulator, and the episodes step
plays every task again against tau_airline at the recording revision. Each rebuilt episode makes the
recorded calls with the recorded arguments, sees the recorded observations, ends the same way and
gets the same outcome from the environment verifier."""

from __future__ import annotations

import json
from collections import Counter

from reasonledger.construct.episodes import Episodes, episode_replay_lines
from reasonledger.engine.step import StepContext
from reasonledger.formats.importers import import_file
from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow
from reasonledger.verifiers import get_verifier


def _write(path, lines) -> str:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return str(path)


def test_recorded_gpt4o_airline_trajectories_replay_through_the_episodes_step(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLEDGER_DATA_ROOT", str(shared_data))
    rows = list(import_file(shared_data / "taubench" / "historical" / "gpt-4o-airline.json", "tau-bench",
                            revision="7362a17"))
    assert not [r for r in rows if isinstance(r, BadRow)] and len(rows) == 200
    # trial t of a task is sample t of its episodes
    recorded = [r.model_copy(update={"meta": {**r.meta, "episode": {"sample": r.meta["trial"]}}}) for r in rows]
    tasks: dict[str, Record] = {}
    for record in recorded:
        tasks.setdefault(record.task.reference["task_id"], Record(kind="prompt_answer", task=record.task))
    step = Episodes(n=4, max_steps=30, batch=64,
                    generator={"backend": "replay", "model": "gpt-4o",
                               "replay": [_write(tmp_path / "policy.jsonl", episode_replay_lines(recorded))]},
                    user={"generator": {"backend": "replay", "model": "gpt-4-user", "replay": [
                        _write(tmp_path / "user.jsonl", episode_replay_lines(recorded, role="user"))]}})
    ctx = StepContext("stage-00", 0, None, "00-episodes")
    rebuilt = list(step.process(iter(tasks.values()), ctx))
    step.close()
    assert len(tasks) == 50 and len(rebuilt) == 200 and not ctx.rejected

    by_trial = {(r.task.reference["task_id"], r.meta["trial"]): r for r in recorded}
    verifier = get_verifier("environment")

    def outcome(record: Record) -> str:
        return next(v for v in verifier.verify_record(record) if v.target == "episode").evidence["outcome"]

    outcomes = Counter()
    for episode in rebuilt:
        original = by_trial[(episode.task.reference["task_id"], episode.meta["episode"]["sample"])]
        assert [(a.name, a.arguments, a.observation, a.ok) for a in episode.behaviour.actions] == \
            [(a.name, a.arguments, a.observation, a.ok) for a in original.behaviour.actions]
        assert episode.behaviour.termination == original.behaviour.termination
        assert outcome(episode) == outcome(original)
        outcomes[outcome(episode)] += 1
    assert outcomes["success"] > 0 and outcomes["wrong_state"] > 0  # failures are kept and labelled too
    terminations = Counter(e.behaviour.termination for e in rebuilt)
    assert set(terminations) <= {"user_stop", "agent_stop", "max_steps"} and terminations["user_stop"] > 100
