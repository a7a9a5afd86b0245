"""Running one program file against a code task's tests in the code verifier's sandbox, test by test.

The program is the file as written (a gold program, a mutant, an agent's repair): it is not read out
of a response, so nothing in it (a fence inside a string) changes which code runs. Each test comes
back as name -> status, the status decided in the parent by the code verifier's runners; a test the
run never reached (the program died at load, the run was cut after repeated timeouts) is `not_reached`.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reasonledger.verifiers.code import execute
from reasonledger.verifiers.code.formats import ReferenceError_, normalise
from reasonledger.verifiers.code.verifier import CodeVerifier

PASS = execute.PASS
NOT_REACHED = "not_reached"
# results a runner adds for the run as a whole (load failure, a dead judge, a timeout between calls): not tests
_RUN_LEVEL = ("load", "test program", "protocol", "run", "call ")


_SHARED: dict[int, CodeVerifier] = {}  # pid -> the sandbox this process's environments share
_SHARED_LOCK = threading.Lock()


def shared_sandbox() -> CodeVerifier:
    """One code verifier (its sandbox pool, default limits) for every environment of this process that
    was not lent one: an environment made per replayed record costs no new pool. A forked child makes
    its own (the parent's workers are not its to use); the pool closes when the process exits."""
    with _SHARED_LOCK:
        verifier = _SHARED.get(os.getpid())
        if verifier is None:
            verifier = _SHARED[os.getpid()] = CodeVerifier()
        return verifier


def outcomes(results: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Test name -> status from a runner's results; a name met twice (an assert inside a loop) gets `#2`, `#3`, ...
    Run-level entries are not tests: they explain why later tests are missing."""
    out: dict[str, str] = {}
    for r in results:
        name = str(r.get("name", ""))
        if name.startswith(_RUN_LEVEL) or r.get("status") == execute.NOT_RUN:
            continue
        key, k = name, 1
        while key in out:
            k += 1
            key = f"{name}#{k}"
        out[key] = str(r.get("status"))
    return out


def run_level_failure(results: Sequence[Mapping[str, Any]]) -> dict | None:
    """The run-level failure among the results (why tests were not reached), for evidence."""
    for r in results:
        if str(r.get("name", "")).startswith(_RUN_LEVEL):
            return {"name": r.get("name"), "status": r.get("status"), "error": execute.short(str(r.get("error")), 500)}
    return None


def run_tests(verifier: CodeVerifier, reference: Any, program: str, time_limit: float | None = None) -> list[dict]:
    """The runner's per-test results of `program` on `reference`, in one sandbox slot; `time_limit`
    (seconds per test) may only tighten the verifier's. Raises ReferenceError_ for a bad reference."""
    ref = normalise(reference)
    settings = verifier._settings()
    if time_limit is not None and time_limit < settings.limits.time:
        settings = dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, time=float(time_limit)))
    with verifier.pool().slot() as slot:
        return execute.RUNNERS[ref["format"]](slot, ref, program, settings)


def run_many(verifier: CodeVerifier, jobs: Sequence[tuple[Any, str, float | None]]) -> list[list[dict] | ReferenceError_]:
    """`run_tests` over (reference, program, time_limit) jobs on every slot of the pool; results in
    input order (a bad reference gives its ReferenceError_ in its place, the others go on)."""
    def one(job: tuple[Any, str, float | None]) -> list[dict] | ReferenceError_:
        try:
            return run_tests(verifier, *job)
        except ReferenceError_ as exc:
            return exc

    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=len(verifier.pool().slots)) as ex:
        return list(ex.map(one, jobs))


def statuses(tests: Sequence[str], results: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Status of each of `tests` in a run's results. A test the run never reached is `not_reached`,
    except the first one when the run ended in a failure of its own (a timeout, a crash at load):
    that test was in progress, and gets the failure's status."""
    got = outcomes(results)
    cut = run_level_failure(results)
    out: dict[str, str] = {}
    for name in tests:
        if name in got:
            out[name] = got[name]
        elif cut is not None:
            out[name], cut = str(cut["status"]), None
        else:
            out[name] = NOT_REACHED
    return out


def split(gold: Mapping[str, str], bug: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(fail_to_pass, pass_to_pass) over the tests the gold passes: the tests the bug does not pass
    (failed, or not reached) and the tests it passes."""
    f2p = [name for name, status in gold.items() if status == PASS and bug.get(name, NOT_REACHED) != PASS]
    p2p = [name for name, status in gold.items() if status == PASS and bug.get(name) == PASS]
    return f2p, p2p
