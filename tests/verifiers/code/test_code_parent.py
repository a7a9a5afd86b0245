"""The trusted side of the code verifier (issue 19, "the parent trusts what the candidate sends"):
value comparison that respects type and shape, replies bounded before decoding, pytest verdicts
decided on evidence the candidate cannot write, and a bad reference that fails only its own row."""

from __future__ import annotations

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code.checkers import values_equal
from reasonledger.verifiers.code.probe import probe
from tests.verifiers.code.sandbox import code_verifier, needs_sandbox


@pytest.fixture(scope="module")
def verifier():
    yield from code_verifier()


# --- tolerance respects type and shape ---------------------------------------------------------


@pytest.mark.parametrize("got,expected", [
    ([[2.5]], 2.5), ([2.5], 2.5), (2.5, [2.5]), ([True], 1.0), (True, 1), (1, True), (True, 1.0), (False, 0),
    ([1.0, [2.0]], [1.0, 2.0]), ([[1.0, 2.0]], [1.0, 2.0]), ((1.0, 2.0), [1.0, 2.0]), ([1.0, 2.0], (1.0, 2.0)),
    ({"a": [2.5]}, {"a": 2.5}), ("2.5", 2.5), (None, 0.0), (float("nan"), float("nan")), (float("inf"), 1e308),
    ([1.0, 2.0, 3.0], [1.0, 2.0]),
])
def test_tolerance_does_not_flatten_types_or_shapes(got, expected) -> None:
    assert not values_equal(got, expected)
    assert not values_equal(got, expected, atol=0.5)


@pytest.mark.parametrize("got,expected,atol", [
    (2.5000001, 2.5, 0.0), ([1.0, 2.0000001], [1.0, 2.0], 0.0), (6, 6.0, 0.0), (6.0, 6, 0.0), (True, True, 0.0),
    ([[1.0, 2.0000001]], [[1.0, 2.0]], 1e-6), ((1.0, 2.0000001), (1.0, 2.0), 0.0), ({"a": 2.50001}, {"a": 2.5}, 1e-3),
    (float("inf"), float("inf"), 0.0), ([1, "x", None], [1, "x", None], 0.0),
])
def test_tolerance_still_accepts_close_values_of_the_same_shape(got, expected, atol) -> None:
    assert values_equal(got, expected, atol=atol)


@needs_sandbox
@pytest.mark.parametrize("ret,expected", [("[[2.5]]", 2.5), ("[True]", 1.0), ("True", 1), ("[2.5]", 2.5)])
def test_call_format_rejects_a_reshaped_or_retyped_value(verifier, ret: str, expected) -> None:
    ref = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": expected}]}
    v = verifier.verify(ref, f"def f():\n    return {ret}\n")
    assert not v.passed and v.evidence["summary"] == {"wrong_answer": 1}
    assert verifier.verify(ref, f"def f():\n    return {expected!r}\n").passed


# --- one unparsable pytest reference fails its own row -----------------------------------------

ADD = "def add(a, b):\n    return a + b\n"
PY_ADD = {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"}
CALL_ADD = {"format": "call", "fn_name": "add", "cases": [{"args": [1, 2], "expected": 3}]}
UNPARSABLE = {
    "recursion in ast": "from solution import add\n\ndef test_deep():\n    assert add(1, 2) == 1" + " + 1" * 200_000 + "\n",
    "parser stack": "def test_deep():\n    x = " + "-" * 100_000 + "1\n",
    "syntax error": "def test_add(:\n    pass\n",
    "null byte": "def test_add():\n    pass\n\x00\n",
    "no test": "from solution import add\n\ndef helper():\n    assert add(1, 2) == 3\n",
}


@needs_sandbox
def test_an_unparsable_pytest_reference_fails_only_its_row(verifier) -> None:
    bad = [({"format": "pytest", "test": t}, ADD) for t in UNPARSABLE.values()]
    pairs = [(PY_ADD, ADD), *bad, (CALL_ADD, ADD)]
    out = verifier.verify_many(pairs)
    assert len(out) == len(pairs)
    assert out[0].passed and out[-1].passed, (out[0].evidence, out[-1].evidence)
    for name, v in zip(UNPARSABLE, out[1:-1]):
        assert not v.passed and v.score == 0.0, name
        assert v.evidence["error"].startswith("invalid reference: the pytest file"), (name, v.evidence["error"])
    single = verifier.verify({"format": "pytest", "test": UNPARSABLE["recursion in ast"]}, ADD)
    assert not single.passed and "RecursionError" in single.evidence["error"]


# --- replies bounded in size and time before they are decoded ----------------------------------

M61 = 2**61 - 1  # ints equal modulo this hash alike, in every process (int hashes are not randomised)
F1 = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 1}]}


def _forged_reply(payload: str, times: int = 1) -> str:
    """A candidate that writes `payload` (Python expression for bytes) as its reply on the result
    channel itself, `times` times, then ends."""
    return f"import os\ndef f():\n    data = {payload}\n    for _ in range({times}):\n        os.write(3, data)\n    os._exit(0)\n"


FLOODS = {
    "set": "b'{\"ok\": {\"s\": [' + b','.join(str(k * %d).encode() for k in range(1, 100_001)) + b']}}\\n'" % M61,
    "dict": "b'{\"ok\": {\"d\": [' + b','.join(b'[%%d, 0]' %% (k * %d) for k in range(1, 100_001)) + b']}}\\n'" % M61,
    "tuple keys": "b'{\"ok\": {\"f\": [' + b','.join(b'{\"t\": [%%d]}' %% (k * %d) for k in range(1, 100_001)) + b']}}\\n'" % M61,
}


def _bounded(fn, seconds: float):
    """fn() in a thread; fails the test (instead of hanging it) when it takes longer than `seconds`."""
    import threading

    out: list = []

    def call() -> None:
        try:
            out.append(("ok", fn()))
        except BaseException as exc:  # raised again in the test's thread
            out.append(("raised", exc))

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"still decoding after {seconds}s"
    if out[0][0] == "raised":
        raise out[0][1]
    return out[0][1]


def test_decode_refuses_keys_that_all_hash_alike_and_keeps_honest_sets() -> None:
    from reasonledger.verifiers.code import runner

    with pytest.raises(ValueError, match="same hash"):
        _bounded(lambda: runner.decode({"s": [k * M61 for k in range(1, 50_001)]}), 5)
    with pytest.raises(ValueError, match="same hash"):
        _bounded(lambda: runner.decode({"d": [[{"t": [k * M61, 1]}, 0] for k in range(1, 50_001)]}), 5)
    honest = set(range(-1, 200_000)) | {2**70, -(2**70), 1.5, "s", (1, 2)}
    assert runner.decode(runner.encode(honest)) == honest
    assert runner.decode(runner.encode({-1: "a", -2: "b"})) == {-1: "a", -2: "b"}  # hash(-1) == hash(-2)


@needs_sandbox
@pytest.mark.parametrize("kind", list(FLOODS))
def test_a_hash_flooded_reply_is_a_wrong_answer_within_the_limit(verifier, kind: str) -> None:
    v = _bounded(lambda: verifier.verify(F1, _forged_reply(FLOODS[kind])), 30)
    assert not v.passed and v.evidence["summary"] == {"wrong_answer": 1}
    assert "same hash" in v.evidence["first_failure"]["error"]


@needs_sandbox
@pytest.mark.parametrize("payload,why", [
    ("b'{\"ok\": \"' + b'x' * (60 << 20) + b'\"}\\n'", "exceeded 8388608 bytes"),
    ("b'{\"ok\": [' + b'[],' * (20 << 20) + b'[]]}\\n'", "exceeded 8388608 bytes"),
    ("b'{\"ok\": [' + b'[],' * 1_200_000 + b'[]]}\\n'", "lists and objects"),
])
def test_a_reply_over_the_output_limit_is_never_read_whole(verifier, payload: str, why: str) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    v = _bounded(lambda: verifier.verify(F1, _forged_reply(payload, times=3)), 60)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert not v.passed and v.evidence["summary"] == {"output_limit": 1}, v.evidence["first_failure"]
    assert why in v.evidence["first_failure"]["error"]
    assert grown_mb < 100, f"the parent grew by {grown_mb:.0f} MB reading a reply it should have dropped"


@needs_sandbox
def test_a_reply_in_the_pipe_before_the_parent_looks_is_not_a_timeout() -> None:
    """The parent thread can be late (another sample's reply held the GIL): what the process wrote
    before then is read before a timeout is declared."""
    import time

    from reasonledger.verifiers.code.pool import Limits, SandboxPool

    with SandboxPool(slots=1, limits=Limits(time=1.0)) as pool, pool.slot() as slot:
        run = slot.start(["cand"], pool.limits, jobs=[{"mode": "serve", "source": "def f():\n    return 7\n",
                                                        "calls": [{"call": "f", "args": [], "kwargs": {"d": []}}]}],
                         requests=True)  # the process stays, waiting for more calls
        time.sleep(0.5)  # the load report and the reply are in the pipe, unread
        past = time.monotonic() - 1.0
        first = run.next_event(past)
        assert first[0] == "msg" and first[2] == {"load": "ok"}, first
        second = run.next_event(past)
        assert second[0] == "msg" and second[2].get("ok") == 7, second
        assert run.next_event(time.monotonic() - 1.0) == ("timeout",)
        run.finish()


@needs_sandbox
def test_hostile_replies_do_not_make_honest_samples_in_the_same_batch_time_out() -> None:
    honest = ({"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 1}] * 3},
              "import time\ndef f():\n    time.sleep(0.3)\n    return 1\n")
    hostile = [(F1, _forged_reply(FLOODS["set"])),
               (F1, _forged_reply("b'{\"ok\": [' + b'[],' * (20 << 20) + b'[]]}\\n'", times=3)),
               (F1, _forged_reply("b'{\"ok\": [' + b'[],' * 1_000_000 + b'[]]}\\n'", times=3))]
    pairs = [p for h in hostile for p in (h, honest, honest)]
    with get_verifier("code", time_limit=1.0, slots=2) as v:
        for _ in range(2):
            out = _bounded(lambda: v.verify_many(pairs), 120)
            for (_ref, src), verdict in zip(pairs, out):
                if src == honest[1]:
                    assert verdict.passed, verdict.evidence["first_failure"]
                else:
                    assert not verdict.passed


# --- pytest verdicts decided on evidence the candidate cannot write ----------------------------

SECRET = 982451653
PY_SECRET = {"format": "pytest", "test": "from solution import *\n\ndef test_add():\n    assert add(1, 2) == 3\n\n"
                                         f"def test_secret():\n    assert secret() == {SECRET}\n"}
PYTEST_ATTACKS = {
    "forged reports, then the channel closed": (  # every test of the file it can find passed, the last (a guard) failed
        "import glob, os, re\nnames = []\nfor path in glob.glob('test_*.py'):\n    names += re.findall(r'def (test\\w*)', open(path).read())\n"
        "names = names or ['test_add', 'test_secret']\n"
        "for k, name in enumerate(names):\n    outcome = 'failed' if k == len(names) - 1 and len(names) > 2 else 'passed'\n"
        "    os.write(3, ('{\"test\": \"x.py::%s\", \"when\": \"call\", \"outcome\": \"%s\", \"t\": 0}\\n' % (name, outcome)).encode())\n"
        "os.write(3, b'{\"end\": \"exit\", \"code\": 1}\\n')\nos.close(3)\nos._exit(0)\n"),
    "runtest patched so only an unknown test fails": (
        "import _pytest.python as p\n_orig = p.Function.runtest\n"
        "p.Function.runtest = lambda self: _orig(self) if self.originalname not in ('test_add', 'test_secret') else None\n"
        "def add(a, b):\n    return 0\ndef secret():\n    return 0\n"),
    "reports rewritten at the source": (
        "import _pytest.reports as r\n_orig = r.TestReport.__init__\n"
        "def _init(self, *a, **k):\n    _orig(self, *a, **k)\n    self.outcome = 'passed'\nr.TestReport.__init__ = _init\n"
        "def add(a, b):\n    return 0\ndef secret():\n    return 0\n"),
    "reads the test file for the expected value": (
        "import glob, os, re\ndef add(a, b):\n    return a + b\ndef secret():\n"
        "    for pattern in ('/dev/shm/*/*.py', '/dev/shm/*.py', '/tmp/*/*.py', '/tmp/**/*.py', '*.py', '/*.py'):\n"
        "        for path in glob.glob(pattern, recursive=True):\n"
        "            try:\n                m = re.search(r'secret\\(\\) == (\\d+)', open(path).read())\n"
        "            except OSError:\n                continue\n"
        "            if m:\n                return int(m.group(1))\n    return 0\n"),
}


@needs_sandbox
def test_pytest_reports_come_from_the_judge(verifier) -> None:
    honest = verifier.verify(PY_SECRET, f"def add(a, b):\n    return a + b\ndef secret():\n    return {SECRET}\n")
    assert honest.passed and honest.score == 1.0, honest.evidence["tests"]
    assert "weak" not in honest.evidence
    assert [t["name"] for t in honest.evidence["tests"]] == ["test_add", "test_secret"]
    wrong = verifier.verify(PY_SECRET, "def add(a, b):\n    return a + b\ndef secret():\n    return 1\n")
    assert not wrong.passed and wrong.score == 0.5 and "982451653" in wrong.evidence["first_failure"]["error"]


@needs_sandbox
@pytest.mark.parametrize("attack", list(PYTEST_ATTACKS))
def test_a_candidate_cannot_forge_or_patch_a_pytest_pass(verifier, attack: str) -> None:
    v = verifier.verify(PY_SECRET, PYTEST_ATTACKS[attack])
    assert not v.passed and v.score < 1.0, v.evidence["tests"]


@needs_sandbox
def test_pytest_judge_works_in_the_bubblewrap_fallback_too() -> None:
    if not probe()["bwrap"]:
        pytest.skip("bubblewrap not installed (scripts/install-system-deps.sh)")
    with get_verifier("code", time_limit=2.0, slots=1, mode="spawn") as v:
        assert v.isolation["mode"] == "spawn"
        honest = v.verify(PY_SECRET, f"def add(a, b):\n    return a + b\ndef secret():\n    return {SECRET}\n")
        assert honest.passed, honest.evidence["tests"]
        for attack, source in PYTEST_ATTACKS.items():
            assert not v.verify(PY_SECRET, source).passed, attack


BAD_REFERENCES = {
    "atol not a number": {**CALL_ADD, "atol": "x"},
    "atol NaN": {**CALL_ADD, "atol": float("nan")},
    "tagged expected not in the encoding": {**CALL_ADD, "encoding": "tagged", "cases": [{"args": [1, 2], "expected": {"zz": 1}}]},
    "tagged kwargs not encoded": {**CALL_ADD, "encoding": "tagged", "cases": [{"args": [1], "kwargs": {"b": 2}, "expected": 3}]},
    "float_tol not a number": {"format": "stdio", "cases": [{"input": "", "output": "3\n"}], "checker": "float", "float_tol": "abc"},
    "setup not source": {"format": "assert", "fn_name": "add", "test": "assert add(1, 2) == 3\n", "setup": 5},
    "entry not a name": {"format": "assert", "fn_name": "add", "test": "assert add(1, 2) == 3\n", "entry": 5},
}


@needs_sandbox
def test_any_bad_reference_fails_only_its_row(verifier) -> None:
    pairs = [(CALL_ADD, ADD), *((ref, ADD) for ref in BAD_REFERENCES.values()), (PY_ADD, ADD)]
    out = verifier.verify_many(pairs)
    assert out[0].passed and out[-1].passed
    for name, v in zip(BAD_REFERENCES, out[1:-1]):
        assert not v.passed and v.evidence["error"].startswith("invalid reference: "), (name, v.evidence)
