"""Bounded time: pathological inputs are rejected fast, with the reason, from any thread or process."""

import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from reasonledger.verifiers.math import MathVerifier
from reasonledger.verifiers.math.pool import SymbolicPool

PATHOLOGICAL = [
    ("1", r"$\boxed{10^{10^{10^{10}}}}$", "power"),
    ("1", r"\boxed{9999999!}", "factorial"),
    ("2", "\\boxed{" + "\\sqrt{" * 60 + "2" + "}" * 60 + "}", "nesting"),
    ("1", "\\boxed{" + "+".join(["1"] * 5000) + "}", "characters"),
    ("5", "The answer is " + "9" * 12000, "characters"),
    ("1", r"\boxed{2^{2^{2^{2^{2^{2}}}}}}", "power"),
    ("1", r"\boxed{(10^{100})!}", "factorial"),
    ("0", r"\boxed{\sum_{k=1}^{10^{12}} k}", "terms"),
    ("1", "\\boxed{" + "(" * 300 + "1" + ")" * 300 + "}", "nesting"),
]


def _check(case):
    ref, resp, word = case
    v = MathVerifier()
    t = time.perf_counter()
    verdict = v.verify(ref, resp)
    return verdict.passed, verdict.evidence, time.perf_counter() - t, word


def _assert_rejected(result):
    passed, evidence, seconds, word = result
    assert not passed
    assert evidence["method"] == "limits", evidence
    assert word in evidence["reason"], evidence["reason"]
    assert seconds < 0.1, f"took {seconds * 1000:.0f} ms"


@pytest.mark.parametrize("case", PATHOLOGICAL, ids=[c[2] + str(i) for i, c in enumerate(PATHOLOGICAL)])
def test_rejected_fast_on_the_main_thread(case):
    _check(case)  # warm imports
    _assert_rejected(_check(case))


def test_rejected_fast_from_worker_threads():
    _check(PATHOLOGICAL[0])
    with ThreadPoolExecutor(4) as ex:
        for result in ex.map(_check, PATHOLOGICAL):
            _assert_rejected(result)


def test_rejected_fast_from_a_process_pool():
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_check, PATHOLOGICAL[:2]))  # start-up and imports
        for result in ex.map(_check, PATHOLOGICAL):
            _assert_rejected(result)


def test_verify_many_rejects_pathological_inputs_too():
    v = MathVerifier()
    pairs = [(r, p) for r, p, _ in PATHOLOGICAL] * 30
    verdicts = v.verify_many(pairs, workers=2, chunk=20)
    v.close()
    assert all(not x.passed and x.evidence["method"] == "limits" for x in verdicts)


def test_a_late_sympy_worker_is_killed_from_a_thread():
    pool = SymbolicPool(size=1)
    assert pool.run("hold", (0.0,), 30.0) == ("ok", True)  # start-up is not billed
    out = {}

    def late():
        t = time.perf_counter()
        out["result"] = pool.run("hold", (60.0,), 0.3)
        out["seconds"] = time.perf_counter() - t

    th = threading.Thread(target=late)
    th.start()
    th.join(10)
    assert out["result"][0] == "timeout"
    assert out["seconds"] < 1.5
    assert pool.kills == 1
    assert pool.run("compare", (("num", 1, 0), ("num", 1, 0), "value"), 30.0)[0] == "ok"  # replaced
    pool.close()


def test_every_check_returns_within_the_time_limit_from_threads():
    v = MathVerifier(timeout=0.5)
    hard = [(r"\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{15+2\sqrt{33}}", r"\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{2\sqrt{33}+15}"),
            (r"\int_0^1 x^2 dx", r"\int_0^1 x^{2} dx + 0"), ("$x^{x^{x^{x}}}$", "$x^{x^{x^{x+0}}}$")] * 4

    def one(pair):
        t = time.perf_counter()
        v.verify(*pair)
        return time.perf_counter() - t

    v.verify(*hard[0])
    with ThreadPoolExecutor(4) as ex:
        assert max(ex.map(one, hard)) < 0.5 + 0.5  # the limit, plus the kill and a shared 2-core machine
