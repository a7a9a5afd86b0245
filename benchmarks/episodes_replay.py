"""Agent episodes offline: τ-bench's 200 recorded gpt-4o airline trajectories turned into replay files
for the policy and the user simulator, then played again by the `episodes` step against tau_airline
at the recording revision (50 tasks x 4 samples), in one process. Prints the time, the turns asked,
how many episodes came out identical to the recording (calls, arguments, observations, ending) and
the environment verifier's outcomes.

    .venv/bin/python benchmarks/episodes_replay.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["REASONLEDGER_DATA_ROOT"] = str(args.data)

    from reasonledger.construct.episodes import Episodes, episode_replay_lines
    from reasonledger.engine.step import StepContext
    from reasonledger.formats.importers import import_file
    from reasonledger.records.model import Record
    from reasonledger.verifiers import get_verifier

    rows = list(import_file(args.data / "taubench" / "historical" / "gpt-4o-airline.json", "tau-bench",
                            revision="7362a17"))
    recorded = [r.model_copy(update={"meta": {**r.meta, "episode": {"sample": r.meta["trial"]}}}) for r in rows]
    tasks: dict[str, Record] = {}
    for record in recorded:
        tasks.setdefault(record.task.reference["task_id"], Record(kind="prompt_answer", task=record.task))
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for role in ("policy", "user"):
            files[role] = Path(folder) / f"{role}.jsonl"
            files[role].write_text("".join(json.dumps(line) + "\n" for line in episode_replay_lines(recorded, role=role)))
        times = []
        for _ in range(args.repeat):
            step = Episodes(n=4, max_steps=30, batch=64,
                            generator={"backend": "replay", "model": "gpt-4o", "replay": [str(files["policy"])]},
                            user={"generator": {"backend": "replay", "model": "user", "replay": [str(files["user"])]}})
            ctx = StepContext("stage-00", 0, None, "episodes")
            start = time.perf_counter()
            rebuilt = list(step.process(iter(tasks.values()), ctx))
            times.append(time.perf_counter() - start)
            step.close()
    by_trial = {(r.task.reference["task_id"], r.meta["trial"]): r for r in recorded}
    same = sum([(a.name, a.arguments, a.observation) for a in e.behaviour.actions] ==
               [(a.name, a.arguments, a.observation) for a in by_trial[(e.task.reference["task_id"],
                                                                        e.meta["episode"]["sample"])].behaviour.actions]
               for e in rebuilt)
    verifier = get_verifier("environment")
    outcomes = Counter(next(v for v in verifier.verify_record(e) if v.target == "episode").evidence["outcome"]
                       for e in rebuilt)
    stats = ctx.stats["episodes"]
    print(f"{len(rebuilt)} episodes of {len(tasks)} tasks, {stats.by['requests']['replayed']:,} turns, "
          f"{stats.counts['tool_calls']:,} tool calls: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}); identical to the recording: {same}/{len(rebuilt)}")
    print("outcomes:", dict(outcomes.most_common()))


if __name__ == "__main__":
    main()
