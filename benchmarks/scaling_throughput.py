"""Throughput of the verify and audit steps with 1 and 2 workers, on the local executor and on a local Ray.

Each workload is a recipe built into a fresh run directory; the figure is the stage's own time from
the run log (records in / seconds), so Ray's start-up (started before the build, timed separately)
is not charged to the step. Every workload also runs without its step, and the difference is the
step's cost per record, which docs/capacity_plan.md multiplies out.

Workloads:
  verify           the `verify` step with the reasoning_gym verifier (cache off) on the real DeepSeek-R1
                   rollouts of ../shared/data/rollouts (400 questions x 3 completions, read --replicas times)
  gold_check       the reasoning_gym verifier on the gold answer of each quickstart task (its 15 families)
  decontaminate    the record-scope audit: n-gram containment of each quickstart task against GSM8K test
  audit            the global audit step (contamination against GSM8K test, near-duplicates, difficulty,
                   length trap...) on the quickstart tasks: it runs in the driver whatever the executor

Run: .venv/bin/python benchmarks/scaling_throughput.py [--size 4000] [--replicas 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REASONLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))
QUICKSTART = ROOT / "examples" / "quickstart.yaml"


def quickstart_source(size: int) -> dict[str, Any]:
    return {**yaml.safe_load(QUICKSTART.read_text())["sources"][0], "size": size}


def rollout_sources(replicas: int) -> list[dict[str, Any]]:
    files = sorted((DATA / "rollouts" / "rg_eval_deepseek_r1_easy").glob("*_*.json"))
    return [{"type": "file", "path": str(f), "format": "rg-rollouts"} for _ in range(replicas) for f in files]


def workloads(size: int, replicas: int) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """name -> (sources, steps); the baseline of each is the same sources with no steps."""
    gsm8k = f"gsm8k:{DATA / 'gsm8k' / 'test.jsonl'}"
    tasks = [quickstart_source(size)]
    return {
        "verify": (rollout_sources(replicas), [{"type": "verify", "cache": False}]),
        "gold_check": (tasks, [{"type": "gold_check", "cache": False}]),
        "decontaminate": (tasks, [{"type": "decontaminate", "against": [gsm8k]}]),
        "audit": (tasks, [{"type": "audit", "against": [gsm8k], "embedding_map": False}]),
    }


def run(sources: list[dict[str, Any]], steps: list[dict[str, Any]], executor: str, workers: int,
        shard_rows: int, work: Path) -> dict[str, Any]:
    from reasonledger.engine.build import Build
    from reasonledger.engine.executor import make_executor
    from reasonledger.engine.recipe import load_recipe

    recipe_path = work / "recipe.yaml"
    recipe_path.write_text(yaml.safe_dump({"name": "throughput", "seed": 1, "shard_rows": shard_rows,
                                           "sources": sources, "steps": steps}))
    out = work / f"run-{executor}-{workers}-{len(steps)}-{time.monotonic_ns()}"
    runner = make_executor(executor, workers, **({"shared_paths": [out]} if executor == "ray" else {}))
    startup = 0.0
    try:
        if executor == "ray":
            started = time.perf_counter()
            runner.start()
            startup = time.perf_counter() - started
        Build(load_recipe(recipe_path), work, out, runner, show_progress=False).run()
    finally:
        runner.close()
    stages = [e for e in map(json.loads, (out / "runlog.jsonl").read_text().splitlines()) if e["event"] == "stage"]
    return {"records": stages[0]["records_in"], "stages": [e["seconds"] for e in stages], "startup": startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4000, help="quickstart tasks per workload")
    parser.add_argument("--replicas", type=int, default=5, help="times the 1,200 real rollouts are read")
    parser.add_argument("--shard-rows", type=int, default=250)
    parser.add_argument("--only", nargs="*", help="workload names to run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"real data not found at {DATA} (set REASONLEDGER_SHARED_DATA)")
    results = []
    with tempfile.TemporaryDirectory(prefix="rl-throughput-") as tmp:
        work = Path(tmp)
        for name, (sources, steps) in workloads(args.size, args.replicas).items():
            if args.only and name not in args.only:
                continue
            # the audit is a global stage (stage 1); the others are stage 0 with their source
            stage = 1 if steps[0]["type"] == "audit" else 0
            for executor in ("local", "ray"):
                for workers in (1, 2):
                    base = run(sources, [], executor, workers, args.shard_rows, work)
                    full = run(sources, steps, executor, workers, args.shard_rows, work)
                    seconds = full["stages"][stage]
                    step_seconds = seconds - (base["stages"][0] if stage == 0 else 0.0)
                    row = {"workload": name, "executor": executor, "workers": workers, "records": full["records"],
                           "stage_seconds": seconds, "baseline_seconds": base["stages"][0],
                           "records_per_s": full["records"] / seconds, "step_ms_per_record":
                           1000 * step_seconds / full["records"], "ray_startup_s": full["startup"]}
                    results.append(row)
                    print(f"{name:14s} {executor:5s} workers={workers}  {row['records']:6d} records  "
                          f"stage {seconds:7.2f} s  ({row['records_per_s']:8.0f}/s)  baseline {base['stages'][0]:6.2f} s  "
                          f"step {row['step_ms_per_record']:.3f} ms/record  ray start {full['startup']:.1f} s", flush=True)
    print("\nratios (records/s):")
    for name in dict.fromkeys(r["workload"] for r in results):
        rate = {(r["executor"], r["workers"]): r["records_per_s"] for r in results if r["workload"] == name}
        print(f"  {name:14s} local 2/1 workers {rate['local', 2] / rate['local', 1]:.2f}x   "
              f"ray 2/1 workers {rate['ray', 2] / rate['ray', 1]:.2f}x   "
              f"ray/local at 2 workers {rate['ray', 2] / rate['local', 2]:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
