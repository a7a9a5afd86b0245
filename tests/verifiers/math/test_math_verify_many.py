"""verify_many wherever Python runs: scripts without a main guard, `python -`, threads; warm workers
reused across calls; small batches in the calling thread; nothing printed at interpreter exit."""

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from reasonledger.verifiers.math import MathVerifier, batch

SRC = str(Path(__file__).resolve().parents[3] / "src")

# no `if __name__ == "__main__":` guard, on purpose; one check needs sympy, one is pathological
SCRIPT = textwrap.dedent(f"""
    import json, sys, threading
    sys.path.insert(0, {SRC!r})
    from reasonledger.verifiers.math import MathVerifier, batch
    pairs = [(str(i), f"The answer is {{i if i % 3 else i + 1}}.") for i in range(4000)]
    pairs += [(r"\\frac{{\\sqrt{{\\sqrt{{11}}+\\sqrt{{194}}}}}}{{15+2\\sqrt{{33}}}}", r"\\frac{{\\sqrt{{\\sqrt{{11}}+\\sqrt{{194}}}}}}{{2\\sqrt{{33}}+15}}"),
              ("5", "9" * 3000)]
    v = MathVerifier()
    out = {{}}
    def run():  # twice: the second call finds the workers the first started warm, so they take chunks at once
        for _ in range(2):
            out["passed"] = [x.passed for x in v.verify_many(pairs, pool=True)]
    if "thread" in sys.argv:
        t = threading.Thread(target=run)
        t.start()
        t.join()
    else:
        run()
    print(json.dumps([out["passed"], batch.last_run]))
""")
EXPECTED = [bool(i % 3) for i in range(4000)] + [True, False]


@pytest.mark.parametrize("how", ["script", "stdin", "thread"])
def test_works_from_a_script_without_main_guard_stdin_and_a_thread(tmp_path, how):
    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT)
    if how == "stdin":
        proc = subprocess.run([sys.executable, "-"], input=SCRIPT, capture_output=True, text=True, timeout=300)
    else:
        proc = subprocess.run([sys.executable, str(script), how], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    passed, chunks = json.loads(proc.stdout)
    assert passed == EXPECTED
    assert chunks["chunks"] > chunks["here"]  # worker processes did part of the (second call's) work
    assert proc.stderr == ""  # no BrokenProcessPool, no "Exception ignored ... Bad file descriptor" at exit


def test_nothing_is_printed_at_exit_over_repeated_runs(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT)
    for _ in range(4):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_warm_workers_are_reused_across_calls():
    v = MathVerifier()
    v.close()
    pairs = [(str(i), f"so the answer is {i}") for i in range(300)]
    assert all(x.passed for x in v.verify_many(pairs, workers=2, pool=True))
    pool = batch.shared_batch_pool()
    first = sorted(w.proc.pid for w in pool._idle)
    assert first  # kept warm
    assert batch.use_workers(batch.WARM_MIN, 2, None)  # warm workers take batches a cold start would not
    assert all(x.passed for x in v.verify_many(pairs, workers=2, pool=True))
    assert sorted(w.proc.pid for w in pool._idle) == first
    v.close()
    assert pool.idle() == 0


def test_small_batches_stay_in_the_calling_thread():
    v = MathVerifier()
    v.close()
    assert not batch.use_workers(1_200, 2, None)  # a fresh interpreter: start-up would cost more than it saves
    assert batch.use_workers(batch.COLD_MIN, 2, None)
    assert not batch.use_workers(10**6, 1, None)  # one core: nothing to gain
    verdicts = v.verify_many([("1", "1")] * 50)
    assert all(x.passed for x in verdicts) and batch.shared_batch_pool().idle() == 0


def test_a_worker_that_outlives_its_chunk_budget_is_replaced_by_the_calling_thread():
    v = MathVerifier()
    v.close()
    pairs = [(str(i), f"The answer is {i if i % 5 else i + 2}.") for i in range(200)]
    got = batch.run(pairs, dict(v.config), v.verify, cores=2, chunk=20, chunk_seconds=0.0)  # every worker is late
    assert [x.passed for x in got] == [bool(i % 5) for i in range(200)]
    assert [x.evidence["extracted"] for x in got] == [str(i if i % 5 else i + 2) for i in range(200)]
    v.close()


def test_concurrent_calls_from_threads_each_get_their_own_verdicts():
    v = MathVerifier()
    results = {}

    def run(k):
        pairs = [(str(i * k), f"The answer is {i * k}.") for i in range(300)]
        results[k] = [x.evidence["extracted"] for x in v.verify_many(pairs, workers=2, pool=True)]

    threads = [threading.Thread(target=run, args=(k,)) for k in (1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    v.close()
    assert results == {k: [str(i * k) for i in range(300)] for k in (1, 7)}
