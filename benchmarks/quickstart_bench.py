"""Time `reasonledger build examples/quickstart.yaml` (2,000 tasks) against a bare reasoning-gym loop
that does the same core work (generate, score the gold answer, exact dedup, write Parquet) with
none of reasonledger's provenance, quarantine, resume, exports or card.

Run: .venv/bin/python benchmarks/quickstart_bench.py [--size 2000]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "examples" / "quickstart.yaml"


def bare_loop(size: int, out: Path) -> float:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import reasoning_gym
    import yaml

    started = time.perf_counter()
    tasks = yaml.safe_load(RECIPE.read_text())["sources"][0]["tasks"]
    datasets = [reasoning_gym.create_dataset(t, size=size // len(tasks) + 1, seed=i) for i, t in enumerate(tasks)]
    seen, rows = set(), []
    for g in range(size):
        name, ds = tasks[g % len(tasks)], datasets[g % len(tasks)]
        entry = ds[g // len(tasks)]
        if entry["answer"] is None or ds.score_answer(entry["answer"], entry) < 1.0:
            continue
        key = re.sub(r"\s+", " ", entry["question"].casefold()).strip()
        if key in seen:
            continue
        seen.add(key)
        rows.append({"task": name, "prompt": entry["question"], "answer": str(entry["answer"])})
    pq.write_table(pa.Table.from_pylist(rows), out / "bare.parquet")
    return time.perf_counter() - started


def reasonledger_build(size: int, out: Path, workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "reasonledger.cli", "build", str(RECIPE), "--out", str(out / "run"),
           "--quiet", "--set", f"sources.0.size={size}", "--workers", str(workers)]
    subprocess.run(cmd, check=True)
    records = json.loads((out / "run" / "data" / "manifest.json").read_text())["rows"]
    return time.perf_counter() - started, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        bare = bare_loop(args.size, tmp)
        for workers in (1, 2):
            seconds, records = reasonledger_build(args.size, tmp / f"w{workers}", workers)
            print(f"reasonledger build, {args.size:,} tasks, {workers} worker(s): {seconds:.2f} s wall "
                  f"({records:,} records kept) — {seconds / bare:.2f}x the bare loop")
        print(f"bare reasoning-gym loop (1 process, no provenance/exports/card): {bare:.2f} s")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of the largest build process: {peak:.0f} MiB; target: under 120 s for 2,000 tasks")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
