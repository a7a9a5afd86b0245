"""The sandbox protocol's less travelled paths: jobs too large for the control message, runs a caller
abandoned, error reports, and a fresh bubblewrap sandbox per sample in the fallback."""

from __future__ import annotations

import os
import time

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code import runner
from reasonledger.verifiers.code.pool import INLINE_MAX, Limits, SandboxPool
from reasonledger.verifiers.code.probe import probe
from tests.verifiers.code.sandbox import code_verifier, needs_sandbox

pytestmark = needs_sandbox


@pytest.fixture(scope="module")
def verifier():
    yield from code_verifier(slots=1)


def test_a_job_larger_than_the_control_message_goes_on_the_request_pipe(verifier) -> None:
    big = "ab" * INLINE_MAX  # 128 KiB of arguments: the job travels on fd 4, its source still precompiled
    ref = {"format": "call", "fn_name": "f", "cases": [{"args": [big], "expected": len(big)}, {"args": ["x"], "expected": 1}]}
    ok = verifier.verify(ref, "def f(s):\n    return len(s)\n")
    assert ok.passed, ok.evidence["first_failure"]
    bad = verifier.verify(ref, "def f(s):\n    return 0\n")
    assert bad.evidence["summary"] == {"wrong_answer": 2}
    judged = {"format": "assert", "fn_name": "f", "test": f"assert f({big!r}) == {len(big)}\n"}
    assert verifier.verify(judged, "def f(s):\n    return len(s)\n").passed


def test_errors_carry_the_traceback_with_its_chain(verifier) -> None:
    src = "def g(x):\n    raise ValueError(x)\ndef f(x):\n    try:\n        g(x)\n    except ValueError as e:\n        raise KeyError('k') from e\n"
    v = verifier.verify({"format": "call", "fn_name": "f", "cases": [{"args": [3], "expected": 0}]}, src)
    err = v.evidence["first_failure"]["error"]
    assert err["type"] == "KeyError"
    tb = err["tb"]
    assert tb.index("ValueError: 3") < tb.index("direct cause") < tb.index("KeyError: 'k'")
    assert 'File "solution.py", line 2, in g' in tb


def test_traceback_of_deep_recursion_keeps_the_last_frames() -> None:
    def r(n):
        return r(n - 1) if n else 1 // 0

    try:
        r(200)
    except ZeroDivisionError as exc:
        text = runner.format_exception(exc)
    assert "earlier frames]" in text and text.endswith("ZeroDivisionError: integer division or modulo by zero\n")
    assert text.count("\n") < 50


def test_a_run_left_unfinished_is_ended_before_the_next_one() -> None:
    with SandboxPool(slots=1, limits=Limits(time=2.0)) as pool, pool.slot() as slot:
        stuck = slot.start(["cand"], pool.limits, jobs=[{"mode": "stdio", "source": "import time\ntime.sleep(60)\n"}], stdin=True)
        t0 = time.monotonic()
        run = slot.start(["cand"], pool.limits, jobs=[{"mode": "serve", "source": "def f(x):\n    return x\n",
                                                       "calls": [{"call": "f", "args": [5], "kwargs": {"d": []}}]}])
        events = []
        while not events or events[-1][0] not in ("done", "timeout"):
            events.append(run.next_event(time.monotonic() + 5))
        run.finish()
        assert stuck.done is not None and stuck.children[0].exit.get("signal") == 9
        msgs = [e[2] for e in events if e[0] == "msg"]
        assert msgs[0] == {"load": "ok"} and msgs[1]["ok"] == 5
        assert time.monotonic() - t0 < 5


def test_spawn_gives_each_sample_a_fresh_sandbox() -> None:
    if not probe()["bwrap"]:
        pytest.skip("bubblewrap not installed (scripts/install-system-deps.sh)")
    # a fresh PID namespace per sample: the worker is PID 1 and every sample's test process is PID 2
    # (a worker-mode slot keeps its namespace, so its pids count up)
    ref = {"format": "stdio", "cases": [{"input": "", "output": "2\n"}]}
    with get_verifier("code", mode="spawn", slots=1, time_limit=5.0) as v:
        assert all(v.verify(ref, "import os\nprint(os.getpid())\n").passed for _ in range(3))
        assert v.isolation["mode"] == "spawn"


def test_spawn_gives_a_test_the_environment_of_a_worker_mode_test(verifier) -> None:
    # one environment for both levels (BLAS thread counts included), bar the PWD bubblewrap sets
    if not probe()["bwrap"]:
        pytest.skip("bubblewrap not installed (scripts/install-system-deps.sh)")
    ref = {"format": "stdio", "cases": [{"input": "", "output": "unused\n"}]}
    src = "import os\nprint(sorted((k, v) for k, v in os.environ.items() if k != 'PWD'))\n"
    worker_env = verifier.verify(ref, src).evidence["tests"][0]["stdout"]
    assert "('OPENBLAS_NUM_THREADS', '1')" in worker_env
    with get_verifier("code", mode="spawn", slots=1, time_limit=5.0) as v:
        assert v.verify(ref, src).evidence["tests"][0]["stdout"] == worker_env


def test_verify_many_pins_its_threads_never_a_sandbox() -> None:
    # verify_many's slot threads are pinned to a core each; a sandbox started from one of them
    # (spawn starts one per sample) must still run its tests on every core the parent may use
    if not probe()["bwrap"]:
        pytest.skip("bubblewrap not installed (scripts/install-system-deps.sh)")
    cores = sorted(os.sched_getaffinity(0))
    ref = {"format": "stdio", "cases": [{"input": "", "output": f"{cores}\n"}]}
    src = "import os\nprint(sorted(os.sched_getaffinity(0)))\n"
    with get_verifier("code", mode="spawn", slots=2, time_limit=5.0) as v:
        assert all(x.passed for x in v.verify_many([(ref, src)] * 6))
    assert sorted(os.sched_getaffinity(0)) == cores


def test_nothing_a_sample_writes_reaches_the_next_sample_on_its_slot(verifier) -> None:
    # one slot, so the second sample runs in the very worker the first one wrote from
    ref = {"format": "stdio", "cases": [{"input": "", "output": "written\n"}]}
    write = ("import os\nfrom multiprocessing import shared_memory\nopen('/dev/shm/left', 'w').write('x')\n"
             "open('left', 'w').write('x')\nm = shared_memory.SharedMemory(name='kept', create=True, size=64)\n"
             "os.makedirs('tree/sub')\nopen('tree/sub/f', 'w').write('x')\nos.makedirs('/dev/shm/tree/sub')\nprint('written')\n")
    assert verifier.verify(ref, write).passed
    look = ("import os\nfrom multiprocessing import shared_memory\nseen = os.listdir('/dev/shm') + os.listdir('.')\n"
            "try:\n    shared_memory.SharedMemory(name='kept'); seen.append('kept')\nexcept FileNotFoundError:\n    pass\n"
            "print(seen)\n")
    assert verifier.verify({"format": "stdio", "cases": [{"input": "", "output": "[]\n"}]}, look).passed
