"""Throughput of the code verifier, side by side in one run on this machine:

  worker   - the warm worker pool (fork per test), trivial call tests and trivial stdio tests
  spawn    - the bubblewrap fallback (one bwrap + interpreter per test)
  mp       - the child-process-per-sample pattern of human-eval/evalplus (multiprocessing.Process
             per sample, a Manager list for the result, a thread pool of one worker per core)
  python-c - a fresh `python -c` subprocess per test

    .venv/bin/python benchmarks/code_throughput.py [--n 2000] [--slots 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
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


def bench_verifier(mode: str, n: int, slots: int, ref: dict, src: str) -> dict:
    with CodeVerifier(mode=mode, slots=slots, time_limit=4.0) as v:
        v.verify_many([(ref, src)] * slots)  # warm
        t0 = time.perf_counter()
        out = v.verify_many([(ref, src)] * n)
        dt = time.perf_counter() - t0
        assert all(x.passed for x in out), "a trivial test failed"
        return {"tests": n, "seconds": round(dt, 3), "tests_per_s": round(n / dt, 1), "isolation": v.isolation["mode"]}


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


def bench_mp(n: int, workers: int) -> dict:
    program = SRC + "\nassert f(1) == 2\n"
    with multiprocessing.Manager() as manager:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            list(ex.map(lambda _: _check_correctness(manager, program), range(workers)))
            t0 = time.perf_counter()
            ok = list(ex.map(lambda _: _check_correctness(manager, program), range(n)))
            dt = time.perf_counter() - t0
    assert all(ok)
    return {"tests": n, "seconds": round(dt, 3), "tests_per_s": round(n / dt, 1)}


def bench_python_c(n: int, workers: int) -> dict:
    program = SRC + "\nassert f(1) == 2\n"

    def one(_):
        return subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=10).returncode == 0

    with ThreadPoolExecutor(max_workers=workers) as ex:
        t0 = time.perf_counter()
        ok = list(ex.map(one, range(n)))
        dt = time.perf_counter() - t0
    assert all(ok)
    return {"tests": n, "seconds": round(dt, 3), "tests_per_s": round(n / dt, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--slots", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    multiprocessing.set_start_method("fork", force=True)
    res = {"cores": os.cpu_count(), "slots": a.slots, "python": sys.version.split()[0]}
    res["worker_call"] = bench_verifier("worker", a.n, a.slots, CALL, SRC)
    res["worker_stdio"] = bench_verifier("worker", a.n, a.slots, STDIO, STDIO_SRC)
    res["mp_process_per_sample"] = bench_mp(max(200, a.n // 5), a.slots)
    res["python_c_per_test"] = bench_python_c(max(100, a.n // 10), a.slots)
    res["spawn_call"] = bench_verifier("spawn", max(200, a.n // 5), a.slots, CALL, SRC)
    base = res["mp_process_per_sample"]["tests_per_s"]
    res["worker_vs_mp"] = round(res["worker_call"]["tests_per_s"] / base, 1)
    res["worker_vs_python_c"] = round(res["worker_call"]["tests_per_s"] / res["python_c_per_test"]["tests_per_s"], 1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
