"""CPU time and page faults per trivial test, side by side: the code verifier's worker pool (call,
stdio and assert formats), its bubblewrap fallback, and the child-process-per-sample pattern of
human-eval (multiprocessing.Process per sample, a Manager list for the result).

Tests/s on a shared machine depends on what else runs (code_throughput.py reports it with the load
average); CPU time per test hardly does. Each pattern runs in a process of its own under
`perf stat -e task-clock,page-faults`, which counts that process and everything it starts (sandbox
workers, bubblewrap, test processes, the Manager) while they run, not when they are reaped. It
runs once with --n samples and once with none; the difference divided by n is one test's cost,
start-up excluded. Each sample is one trivial test with its own source.

    .venv/bin/python benchmarks/code_cpu.py [--n 2000] [--repeats 3]     # needs perf (linux-perf)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import code_throughput as ct  # noqa: E402

ASSERT = {"format": "assert", "fn_name": "f", "entry": "check", "setup": "def helper(x):\n    return x\n",
          "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n"}
PATTERNS = {  # name -> (samples per --n, run(n))
    "worker_call": (1.0, lambda n: ct.bench_verifier("worker", n, None, ct.CALL, ct.SRC)),
    "worker_stdio": (1.0, lambda n: ct.bench_verifier("worker", n, None, ct.STDIO, ct.STDIO_SRC)),
    "worker_assert": (0.5, lambda n: ct.bench_verifier("worker", n, None, ASSERT, ct.SRC)),
    "spawn_call": (0.1, lambda n: ct.bench_verifier("spawn", n, None, ct.CALL, ct.SRC)),
    "mp_process_per_sample": (0.2, lambda n: ct.bench_mp(n, os.cpu_count() or 1)),
}


def one(name: str, n: int) -> None:
    """The measured process: start the pattern's machinery, warm it, run n samples (n may be 0)."""
    multiprocessing.set_start_method("fork", force=True)
    PATTERNS[name][1](n)


def perf_stat(name: str, n: int) -> tuple[float, float]:
    """(task-clock ms, page faults) of `one(name, n)` and everything it started."""
    out = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock,page-faults", sys.executable, __file__, "--one", name, str(n)],
                         capture_output=True, text=True, check=True).stderr
    values = {line.split(",")[2]: float(line.split(",")[0]) for line in out.splitlines() if line.count(",") >= 3}
    return values["task-clock"], values["page-faults"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("PATTERN", "N"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        one(a.one[0], int(a.one[1]))
        return
    if not shutil.which("perf"):
        sys.exit("perf is not installed (Debian: apt-get install linux-perf)")
    per: dict[str, dict[str, list[float]]] = {k: {"ms": [], "faults": []} for k in PATTERNS}
    for _ in range(a.repeats):
        for name, (share, _run) in PATTERNS.items():
            n = max(100, int(a.n * share))
            base_ms, base_faults = perf_stat(name, 0)
            ms, faults = perf_stat(name, n)
            per[name]["ms"].append((ms - base_ms) / n)
            per[name]["faults"].append((faults - base_faults) / n)
    res = {"cores": os.cpu_count(), "python": sys.version.split()[0], "repeats": a.repeats, "load_average_1m": os.getloadavg()[0],
           "cpu_ms_per_test_median": {k: round(statistics.median(v["ms"]), 3) for k, v in per.items()},
           "page_faults_per_test_median": {k: round(statistics.median(v["faults"])) for k, v in per.items()}}
    cpu = res["cpu_ms_per_test_median"]
    res["mp_cpu_over_worker_call_cpu"] = round(cpu["mp_process_per_sample"] / cpu["worker_call"], 2)
    print("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in res.items()) + "\n}")


if __name__ == "__main__":
    main()
