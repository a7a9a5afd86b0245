"""Peak memory of a large build, by phase: does `reasonledger build` stream?

Runs `reasonledger build` on a recipe of cheap reasoning-gym tasks (`--size` records, gold check,
exact dedup, the three RL exports) in a child process and samples, every 0.2 s, the resident memory
of the driver and of each worker process from /proc. Each sample is charged to the phase the run
directory shows at that moment (stage 0 in the workers, the global dedup stage, then writing
data/, rejected/, each export, and the card), so a phase that holds every record stands out.
The peer is the same build at a tenth of the size: a streaming phase keeps the same peak at both.

Run: .venv/bin/python benchmarks/scaling_memory.py [--size 1000000] [--executor local|ray] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PAGE = 4096


def recipe(size: int, shard_rows: int, outputs: list[str]) -> dict:
    return {"name": "memory", "seed": 7, "shard_rows": shard_rows,
            "sources": [{"type": "reasoning_gym", "size": size, "tasks": ["basic_arithmetic", "chain_sum"]}],
            "steps": [{"type": "gold_check"}, {"type": "dedup"}], "outputs": outputs}


def tree(root: int) -> dict[int, int]:
    """pid -> resident bytes for root and every process below it."""
    parents: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(stat[1]), []).append(int(proc.name))
            rss[int(proc.name)] = int((proc / "statm").read_text().split()[1]) * PAGE
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            found[pid] = rss[pid]
        todo.extend(parents.get(pid, []))
    return found


def phase(run: Path, outputs: list[str]) -> str:
    """What the build is doing, read from what it has written so far."""
    if (run / "card").exists():
        return "card"
    if (run / "rejected" / "manifest.json").exists():
        written = [name for name in outputs
                   if any(not p.name.endswith(".tmp") for p in (run / "exports").glob(f"{name}.*"))]
        return f"export {outputs[len(written)]}" if len(written) < len(outputs) else "card"
    if (run / "data" / "manifest.json").exists():
        return "write rejected/"
    if (run / "work" / "stage-01" / "done.json").exists():
        return "write data/"
    if (run / "work" / "stage-00" / "done.json").exists():
        return "stage 1: dedup (global, driver)"
    return "stage 0: source + gold_check (workers)"


def measure(size: int, shard_rows: int, executor: str, workers: int, outputs: list[str], tmp: Path) -> dict:
    path = tmp / f"memory-{size}.yaml"
    path.write_text(yaml.safe_dump(recipe(size, shard_rows, outputs)))
    run = tmp / f"run-{size}"
    cli = Path(sys.executable).parent / "reasonledger"
    started = time.perf_counter()
    child = subprocess.Popen([str(cli), "build", str(path), "--out", str(run), "--executor", executor,
                              "--workers", str(workers), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    driver: dict[str, int] = {}
    worker: dict[str, int] = {}
    spent: dict[str, float] = {}
    last = time.perf_counter()
    while child.poll() is None:
        now, where = tree(child.pid), phase(run, outputs)
        if now:
            driver[where] = max(driver.get(where, 0), now.get(child.pid, 0))
            others = [v for pid, v in now.items() if pid != child.pid]
            worker[where] = max(worker.get(where, 0), max(others, default=0))
        time.sleep(0.2)
        spent[where] = spent.get(where, 0.0) + time.perf_counter() - last
        last = time.perf_counter()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"build failed ({child.returncode}): {child.stderr.read().decode()[-2000:]}")
    end = [json.loads(line) for line in (run / "runlog.jsonl").read_text().splitlines()][-1]
    return {"size": size, "records": end["records"], "seconds": seconds, "driver_peak": driver,
            "worker_peak": worker, "phase_seconds": spent,
            "data_bytes": sum(f.stat().st_size for f in (run / "data").glob("*.parquet"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--shard-rows", type=int, default=5000)
    parser.add_argument("--executor", default="local")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--outputs", default="verl,trl_grpo,openrlhf", help="exports to write ('' for none)")
    parser.add_argument("--tmp", type=Path, help="where run directories go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    outputs = [o for o in args.outputs.split(",") if o]
    with tempfile.TemporaryDirectory(prefix="rl-memory-", dir=args.tmp) as tmp:
        results = [measure(size, args.shard_rows, args.executor, args.workers, outputs, Path(tmp))
                   for size in (args.size // 10, args.size)]
    for result in results:
        print(f"\n{result['records']:,} records kept of {result['size']:,} in {result['seconds']:.0f} s "
              f"({args.executor}, {args.workers} workers); peak resident memory by phase:")
        for where in dict.fromkeys([*result["driver_peak"], *result["worker_peak"]]):
            print(f"  {where:40s} driver {result['driver_peak'].get(where, 0) / 2**20:8.0f} MiB   "
                  f"largest worker {result['worker_peak'].get(where, 0) / 2**20:8.0f} MiB   "
                  f"{result['phase_seconds'].get(where, 0):7.1f} s")
        print(f"  data/: {result['data_bytes'] / result['records']:.0f} bytes per record (Parquet, zstd)")
    small, large = results
    print("\nratio of peaks, large/small size (1.0 = streams; 10 = holds every record):")
    for where in large["driver_peak"]:
        if small["driver_peak"].get(where):
            print(f"  {where:40s} {large['driver_peak'][where] / small['driver_peak'][where]:5.1f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
