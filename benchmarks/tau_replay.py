"""Re-verifying τ-bench's 200 recorded gpt-4o airline trajectories by replay.

Imports `taubench/historical/gpt-4o-airline.json` (recorded at τ-bench 7362a17) as episode records,
replays each against `tau_airline` pinned at 7362a17 with the environment verifier (strict
observation comparison), and compares with what τ-bench recorded: the gold data hashes, the rewards.
Then replays them at the current data revision (59a200c), where every one must be reported as
`env_revision_mismatch` and none re-scored. One process, one core; the first replay's data load and
row hashing (about 0.3 s) are counted.

Run: .venv/bin/python benchmarks/tau_replay.py [--data ../shared/data] [--calibration]
(--calibration writes the agreement with τ-bench's recorded rewards where the verifier card reads it:
src/reasonledger/cards/calibration/environment.json)
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import resource
import time
from pathlib import Path

from reasonledger.formats.importers.tau_bench import read_tau_trajectories
from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier

HERE = Path(__file__).resolve().parent


def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def recorded(record: Record) -> tuple[float, dict]:
    verdict = next(v for v in record.verdicts if v.label_source == "dataset")
    return verdict.score, (verdict.evidence.get("reward_info") or {}).get("info") or {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--calibration", action="store_true", help="write the run to the verifier card's calibration")
    args = parser.parse_args()

    rows, wall, _ = timed(lambda: list(read_tau_trajectories(args.data / "taubench/historical/gpt-4o-airline.json",
                                                             revision="7362a17")))
    episodes = [r for r in rows if isinstance(r, Record)]
    print(f"import: {len(episodes)}/{len(rows)} records in {wall:.2f} s")

    verifier = get_verifier("environment", data_root=str(args.data))
    judged, wall, cpu = timed(lambda: [{v.target: v for v in verifier.verify_record(r)} for r in episodes])
    print(f"replay at 7362a17: {len(judged)} episodes in {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({1000 * wall / len(judged):.1f} ms an episode), peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    episode = [j["episode"].evidence for j in judged]
    print(f"  observations replayed exactly: {sum(e['first_divergence'] is None for e in episode)}/{len(episode)}")
    gold = [(j["state"].evidence["gold_state_hash"], recorded(r)[1]["gt_data_hash"])
            for j, r in zip(judged, episodes) if "gt_data_hash" in recorded(r)[1]]
    print(f"  recorded gold hashes reproduced: {sum(a == b for a, b in gold)}/{len(gold)}")
    same = [e["reward"] == recorded(r)[0] for e, r in zip(episode, episodes)]
    differ = collections.Counter(e["outcome"] for e, s in zip(episode, same) if not s)
    print(f"  reward over the spec's basis equal to the recorded one: {sum(same)}/{len(same)}; "
          f"the others: {dict(differ)}")
    print(f"  outcomes: {dict(collections.Counter(e['outcome'] for e in episode).most_common())}")
    print(f"  failed calls kept as step verdicts: {sum(t.startswith('step:') for j in judged for t in j)}")

    passed = [j["episode"].passed for j in judged]
    truth = [recorded(r)[0] == 1.0 for r in episodes]
    fp = sum(p and not t for p, t in zip(passed, truth))
    fn = sum(t and not p for p, t in zip(passed, truth))
    print(f"  episode verdict against τ-bench's recorded reward: {fp} false positives of {truth.count(False)}, "
          f"{fn} false negatives of {truth.count(True)}")
    if args.calibration:
        write_calibration(verifier.version, {
            "set": "τ-bench gpt-4o airline trajectories recorded at 7362a17 (historical_trajectories), "
                   "episode verdict against the recorded reward",
            "n": len(passed), "positives": truth.count(True), "negatives": truth.count(False),
            "false_positive_rate": round(fp / max(1, truth.count(False)), 4),
            "false_negative_rate": round(fn / max(1, truth.count(True)), 4),
            "observations_replayed_exactly": sum(e["first_divergence"] is None for e in episode),
            "gold_hashes_reproduced": f"{sum(a == b for a, b in gold)}/{len(gold)}",
            "outcomes": dict(collections.Counter(e["outcome"] for e in episode).most_common())})

    current = get_verifier("environment", data_root=str(args.data), revision="59a200c")
    judged, wall, _ = timed(lambda: [current.verify_record(r) for r in episodes])
    outcomes = collections.Counter(v[-1].evidence["outcome"] for v in judged)
    rescored = sum(len(v) > 1 for v in judged)
    print(f"replay at 59a200c: {dict(outcomes)} in {wall:.2f} s; re-scored: {rescored}")


def write_calibration(version: str, run: dict) -> None:
    path = HERE.parent / "src" / "reasonledger" / "cards" / "calibration" / "environment.json"
    runs = json.loads(path.read_text(encoding="utf-8"))["runs"] if path.is_file() else []
    run = {**run, "version": version, "measured": datetime.date.today().isoformat(),
           "command": "python benchmarks/tau_replay.py --calibration"}
    runs = [r for r in runs if (r.get("version"), r.get("set")) != (version, run["set"])] + [run]
    path.write_text(json.dumps({"runs": runs}, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"  calibration written to {path}")


if __name__ == "__main__":
    main()
