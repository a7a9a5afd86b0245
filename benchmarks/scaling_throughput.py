"""Throughput of the verify and audit steps with 1 and 2 workers, on the local executor and on a local Ray.

Two measurements in one run:
  1. CPU cost per record of each step (and of the source, Parquet and dedup), in this process with
     time.process_time, so other jobs on a shared machine barely move it: docs/capacity_plan.md
     multiplies these out.
  2. Wall-clock throughput of each step's stage with 1 and 2 workers, on the local executor and on a
     local Ray: each workload is a recipe built into a fresh run directory, and the figure is the
     stage's own time from the run log (records in / seconds); Ray's start-up (before the build,
     timed separately) is not charged to the stage.

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


def cpu_costs(size: int, replicas: int, work: Path) -> dict[str, float]:
    """CPU milliseconds per record of each piece, in this process (no executor, no pool start-up)."""
    from reasonledger.engine.recipe import Recipe, instantiate
    from reasonledger.engine.step import StepContext
    from reasonledger.records.parquet import read_parquet_records, write_parquet_shards

    costs: dict[str, float] = {}

    def timed(name: str, fn: Any, count: int) -> Any:
        started = time.process_time()
        result = fn()
        costs[name] = 1000 * (time.process_time() - started) / count
        return result

    def stage(sources: list[dict[str, Any]], steps: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
        recipe = Recipe.model_validate({"name": "cost", "seed": 1, "sources": sources, "steps": steps})
        return instantiate(recipe, work)

    def run_step(step: Any, records: list[Any]) -> list[Any]:
        return list(step.process(iter(records), StepContext("cost", 1, str(work))))

    gsm8k = f"gsm8k:{DATA / 'gsm8k' / 'test.jsonl'}"
    (source,), steps = stage([quickstart_source(size)], [{"type": "gold_check", "cache": False}, {"type": "dedup"},
                                                         {"type": "decontaminate", "against": [gsm8k]},
                                                         {"type": "audit", "against": [gsm8k], "embedding_map": False}])
    source.read(0, 1).__next__()  # build the generators once, as a worker does before its first shard
    tasks = timed("source: reasoning_gym quickstart families", lambda: list(source.read(0, size)), size)
    kept = timed("gold_check (reasoning_gym verifier on the gold)", lambda: run_step(steps[0], tasks), size)
    timed("dedup (exact, global)", lambda: run_step(steps[1], kept), len(kept))
    steps[2]._scan()  # load GSM8K test once, as a worker does
    timed("decontaminate (n-grams vs GSM8K test)", lambda: run_step(steps[2], kept), len(kept))
    timed("audit (global, no embedding map)", lambda: run_step(steps[3], kept), len(kept))
    timed("Parquet write (zstd)", lambda: write_parquet_shards(kept, work / "cost-data", 5000), len(kept))
    timed("Parquet read", lambda: sum(1 for _ in read_parquet_records(work / "cost-data")), len(kept))
    sources, (verify,) = stage(rollout_sources(replicas), [{"type": "verify", "cache": False}])
    rollouts = [r for src in sources for r in src.read(0, src.count())]
    responses = sum(len(r.behaviour.rollouts) for r in rollouts)
    timed("verify (reasoning_gym verifier, per R1 response)", lambda: run_step(verify, rollouts), responses)
    return costs


def run(sources: list[dict[str, Any]], steps: list[dict[str, Any]], executor: str, workers: int,
        shard_rows: int, work: Path) -> dict[str, Any]:
    from reasonledger.engine.build import Build
    from reasonledger.engine.executors import make_executor
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
    parser.add_argument("--only", nargs="*", help="workload names to run (the CPU costs always run)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    os.environ["REASONLEDGER_ALLOW_OUTSIDE_PATHS"] = "1"  # the recipes read the shared data, outside their folder
    if not DATA.is_dir():
        sys.exit(f"real data not found at {DATA} (set REASONLEDGER_SHARED_DATA)")
    results = []
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="rl-throughput-") as tmp:
        work = Path(tmp)
        costs = cpu_costs(args.size, args.replicas, work)
        print("CPU ms per record, one process:")
        for name, ms in costs.items():
            print(f"  {name:50s} {ms:8.3f} ms")
        for name, (sources, steps) in workloads(args.size, args.replicas).items():
            if args.only and name not in args.only:
                continue
            # the audit is a global stage (stage 1); the others are stage 0 with their source
            stage = 1 if steps[0]["type"] == "audit" else 0
            for executor in ("local", "ray"):
                for workers in (1, 2):
                    full = run(sources, steps, executor, workers, args.shard_rows, work)
                    seconds = full["stages"][stage]
                    row = {"workload": name, "executor": executor, "workers": workers, "records": full["records"],
                           "stage_seconds": seconds, "records_per_s": full["records"] / seconds,
                           "ray_startup_s": full["startup"]}
                    results.append(row)
                    print(f"{name:14s} {executor:5s} workers={workers}  {row['records']:6d} records  "
                          f"stage {seconds:7.2f} s  ({row['records_per_s']:8.0f}/s)  ray start {full['startup']:.1f} s",
                          flush=True)
    print("\nratios (records/s):")
    for name in dict.fromkeys(r["workload"] for r in results):
        rate = {(r["executor"], r["workers"]): r["records_per_s"] for r in results if r["workload"] == name}
        print(f"  {name:14s} local 2/1 workers {rate['local', 2] / rate['local', 1]:.2f}x   "
              f"ray 2/1 workers {rate['ray', 2] / rate['ray', 1]:.2f}x   "
              f"ray/local at 2 workers {rate['ray', 2] / rate['local', 2]:.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"cpu_ms_per_record": costs, "throughput": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
