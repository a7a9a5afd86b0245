"""Running one sample's tests on a slot, per format; every pass/fail decided here, in the parent.

Each test yields a dict: name, status (pass, wrong_answer, runtime_error, timeout, memory_limit,
output_limit, not_run), time (parent-measured seconds), peak_memory (bytes, of the test
process), stdout and stderr (truncated), and the error or the values where they help.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reasonledger.verifiers.code import runner
from reasonledger.verifiers.code.checkers import check_stdio, to_plain_json, values_equal
from reasonledger.verifiers.code.formats import ReferenceError_
from reasonledger.verifiers.code.pool import Limits, Run, Slot

PASS, WA, RE, TLE, MLE, OLE, NOT_RUN = "pass", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit", "not_run"
SHOW = 2000  # characters of stdout/stderr/values kept in evidence


def short(x: Any, n: int = SHOW) -> str:
    """`x` as text, cut to `n` characters with a note of how many more there were."""
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else s[:n] + f"... [{len(s) - n} more]"


def _text(b: bytes | bytearray, total: int) -> str:
    s = bytes(b[:SHOW]).decode("utf-8", "replace")
    if total > SHOW:
        s += f"... [{total - SHOW} more bytes]"
    return s


@dataclass
class Settings:
    limits: Limits
    fail_fast: bool = False
    max_timeouts: int = 2  # after this many timeouts in a sample, the rest are not run
    judge_time: float = 60.0  # wall seconds for a whole assert program (judge side)


def _exit_desc(exit_info: dict | None) -> str:
    if not exit_info:
        return "no exit status"
    if "signal" in exit_info:
        try:
            return f"killed by {signal.Signals(exit_info['signal']).name}"
        except ValueError:
            return f"killed by signal {exit_info['signal']}"
    return f"exit code {exit_info.get('code')}"


def _io(run: Run, i: int = 0) -> dict:
    c = run.children[i]
    return {"stdout": _text(c.out, c.out_total), "stderr": _text(c.err, c.err_total)}


def _peak(run: Run, i: int = 0) -> int | None:
    e = run.children[i].exit or {}
    return e.get("maxrss_kb", 0) * 1024 or None


# --- call ----------------------------------------------------------------------------------


def run_call(slot: Slot, ref: dict, source: str, st: Settings) -> list[dict]:
    """The job carries every call (pipelined); replies come back in order. The deadline of
    case i runs from the reply to case i-1 (or from the load report)."""
    cases = ref["cases"]
    tagged = ref.get("encoding") == "tagged"
    results: list[dict] = []
    i = 0
    timeouts = 0
    while i < len(cases):
        batch = cases[i:] if not st.fail_fast else cases[i:i + 1]
        calls = []
        for case in batch:
            args = case["args"] if tagged else runner.encode(case["args"])
            kwargs = case["kwargs"] if tagged else runner.encode(case["kwargs"])
            if tagged and not (isinstance(kwargs, dict) and "d" in kwargs):
                kwargs = {"d": []}
            calls.append({"call": ref["fn_name"], "args": args, "kwargs": kwargs})
        run = slot.start(["cand"], st.limits, jobs=[{"mode": "serve", "source": source, "calls": calls}])
        t_start = time.monotonic()
        ev = _wait_msg(run, t_start + st.limits.time)
        if ev[0] != "msg" or ev[2].get("load") != "ok":
            status, detail = _failure_from(run, ev, "loading the solution")
            done = run.finish()
            status = _refine(status, run, done)
            for j in range(i, len(cases)):
                results.append({"name": f"case {j}", "status": status if j == i else NOT_RUN,
                                "time": time.monotonic() - t_start if j == i else 0.0, "error": detail,
                                **(_io(run) if j == i else {}), "peak_memory": _peak(run) if j == i else None})
            return results
        t0 = time.monotonic()
        sent_until = i + len(batch)
        broke = False
        while i < sent_until:
            case = cases[i]
            ev = _wait_msg(run, t0 + st.limits.time)
            now = time.monotonic()
            dt = now - t0
            if ev[0] == "msg" and ("ok" in ev[2] or "err" in ev[2]):
                msg = ev[2]
                if "err" in msg:
                    err = msg["err"] if isinstance(msg["err"], dict) else {"type": "?", "msg": str(msg["err"])}
                    results.append({"name": f"case {i}", "status": MLE if err.get("type") == "MemoryError" else RE,
                                    "time": dt, "error": {k: short(str(v), 1000) for k, v in err.items()}})
                else:
                    try:
                        got = runner.decode(msg["ok"])
                    except (ValueError, TypeError, RecursionError) as exc:
                        results.append({"name": f"case {i}", "status": WA, "time": dt, "error": f"undecodable value: {exc}"})
                    else:
                        expected = _expected(run, case, i) if tagged else case["expected"]
                        cmp_got = got if tagged else to_plain_json(got)
                        ok = values_equal(cmp_got, expected, ref["atol"])
                        r = {"name": f"case {i}", "status": PASS if ok else WA, "time": dt}
                        if not ok:
                            r["got"], r["expected"] = short(got), short(expected)
                        results.append(r)
                i += 1
                t0 = now
                continue
            # the process died, hung, flooded or spoke nonsense: this case fails, the rest get a new process
            status, detail = _failure_from(run, ev, f"case {i}")
            done = run.finish()
            status = _refine(status, run, done)
            results.append({"name": f"case {i}", "status": status, "time": dt, "error": detail, **_io(run),
                            "peak_memory": _peak(run)})
            i += 1
            timeouts += status == TLE
            broke = True
            break
        if not broke:
            run.finish()
            _attach_run_io(results, run)
        if st.fail_fast and results and results[-1]["status"] != PASS:
            break
        if timeouts >= st.max_timeouts:
            break
    for j in range(len(results), len(cases)):
        results.append({"name": f"case {j}", "status": NOT_RUN, "time": 0.0,
                        "error": "not run after repeated timeouts" if timeouts >= st.max_timeouts else "not run (fail fast)"})
    return results


def _expected(run: Run, case: dict, i: int) -> Any:
    """A tagged case's expected value, decoded; one that does not decode makes the reference invalid."""
    try:
        return runner.decode(case["expected"])
    except (ValueError, TypeError, RecursionError) as exc:
        run.kill()
        run.finish()
        raise ReferenceError_(f"case {i}: expected is not in the tagged encoding ({exc})") from None


def _attach_run_io(results: list[dict], run: Run) -> None:
    """A run that served several cases: its stdout/stderr and peak memory go on its last case."""
    if results:
        for key, value in {**_io(run), "peak_memory": _peak(run)}.items():
            results[-1].setdefault(key, value)


def _wait_msg(run: Run, deadline: float, child: int = 0) -> tuple:
    """The next message from `child`, or the event that ends its hope of sending one."""
    while True:
        ev = run.next_event(deadline)
        if ev[0] == "msg" and ev[1] == child:
            return ev
        if ev[0] in ("timeout", "output_limit", "protocol", "done"):
            return ev
        if ev[0] == "exit" and ev[1] == child:
            # messages it wrote before dying may still be in the pipe
            late = _drain_msgs(run, child)
            return late[0] if late else ev
        if ev[0] == "msg":
            continue


def _drain_msgs(run: Run, child: int) -> list[tuple]:
    end = time.monotonic() + 0.2
    while time.monotonic() < end and run.children[child].result is not None:
        ev = run.next_event(time.monotonic() + 0.02)
        if ev[0] == "msg" and ev[1] == child:
            return [ev]
        if ev[0] == "timeout":
            continue
        if ev[0] == "done":
            break
        run.events.append(ev)
    return []


def _failure_from(run: Run, ev: tuple, what: str) -> tuple[str, Any]:
    kind = ev[0]
    if kind == "timeout":
        run.kill()
        return TLE, f"time limit exceeded while {what}" if not what.startswith("case") else "time limit exceeded"
    if kind == "output_limit":
        run.kill()
        return OLE, _over(ev, run.limits)
    if kind == "protocol":
        run.kill()
        return RE, f"result channel: {ev[2]}"
    if kind == "msg":
        msg = ev[2]
        if msg.get("load") == "error":
            err = {k: short(str(v), 1000) for k, v in msg.items() if k != "load"}
            return (MLE if msg.get("type") == "MemoryError" else RE), err
        if msg.get("load") == "exit":
            return RE, f"the solution exited while loading (code {msg.get('code')})"
        run.kill()
        return RE, f"unexpected message {short(json.dumps(msg), 200)}"
    if kind == "exit":
        return RE, f"the process ended before answering ({_exit_desc(ev[2])})"
    return RE, "the run ended unexpectedly"


def _over(ev: tuple, limits: Limits) -> str:
    """What an output_limit event ran over: stdout, stderr or a result message."""
    return ev[3] if len(ev) > 3 else f"{ev[2]} exceeded {limits.output} bytes"


def _refine(status: str, run: Run, done: dict) -> str:
    if status in (RE,) and done.get("oom_kills"):
        return MLE
    c = run.children[0]
    if status == RE and c.exit and c.exit.get("signal") == signal.SIGXCPU:
        return TLE
    if status == RE and c.over_limit:
        return OLE
    return status


# --- assert ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _judge_code(test: str, setup: str) -> dict:
    """The test program (asserts rewritten) and its setup compiled here, once per task: trusted code,
    sent to the judge ready to run. One that does not compile is left to the judge to report."""
    out = {}
    for key, make in (("test", lambda: runner.judge_program(test)), ("setup", lambda: compile(setup, "setup.py", "exec"))):
        try:
            out["code_" + key] = make() if (test if key == "test" else setup) else None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            out["code_" + key] = None
    return {k: v for k, v in out.items() if v is not None}


def run_assert(slot: Slot, ref: dict, source: str, st: Settings) -> list[dict]:
    names = ["candidate"]
    if ref.get("fn_name") and ref["fn_name"] not in names:
        names.append(ref["fn_name"])
    test = ref["test"]
    judge = {"mode": "judge", "test": test, "setup": ref.get("setup", ""), "names": names, "entry": ref.get("entry"),
             **_judge_code(test, ref.get("setup", ""))}

    def on_assert(msg: dict, call_time: float) -> dict | None:
        if "assert" not in msg:
            return None
        ok = msg.get("ok") is True
        r = {"name": f"assert line {msg['assert']}", "status": PASS if ok else WA, "time": call_time}
        if not ok and "error" in msg:
            err = msg["error"] if isinstance(msg["error"], dict) else {"msg": str(msg["error"])}
            by_candidate = msg.get("by") == "candidate"
            r["status"] = (MLE if err.get("type") == "MemoryError" else RE) if by_candidate else WA
            r["error"] = {k: short(str(v), 1000) for k, v in err.items()}
            if not by_candidate:
                r["error"]["raised_by"] = "test"
        return r

    results = _run_judged(slot, ref, source, st, judge, on_assert)
    if not results:
        results.append({"name": "test program", "status": RE, "error": "the test program made no assertion", "time": 0.0})
    return results


def _run_judged(slot: Slot, ref: dict, source: str, st: Settings, judge: dict, on_report) -> list[dict]:
    """A judge process (the test program or pytest, trusted, under the judge's uid) beside a serve
    process (the candidate). The judge's calls go to the candidate and the replies back, through
    here; every other message of the judge is a report, which `on_report(msg, time of the last
    call)` turns into a test result (or None). The judge's end, a failure of either process or a
    timeout ends the run; its failure is the last result."""
    run = slot.start(["judge", "cand"], st.limits, jobs=[judge, {"mode": "serve", "source": source}], requests=True)
    results: list[dict] = []
    t_run = time.monotonic()
    judge_deadline = t_run + st.judge_time
    pending: float | None = None  # when the call now with the candidate was sent
    loaded = False
    last_call_time = 0.0
    n_calls = 0
    fatal: dict | None = None
    while True:
        deadline = min(judge_deadline, pending + st.limits.time) if pending is not None else judge_deadline
        ev = run.next_event(deadline)
        kind = ev[0]
        if kind == "msg" and ev[1] == 0:
            msg = ev[2]
            if "call" in msg:
                if not loaded:
                    # the candidate's first message must be its load report
                    lev = _wait_msg(run, time.monotonic() + st.limits.time, child=1)
                    if lev[0] != "msg" or lev[2].get("load") != "ok":
                        status, detail = _failure_from(run, lev, "loading the solution")
                        fatal = {"name": "load", "status": status, "error": detail}
                        break
                    loaded = True
                n_calls += 1
                pending = time.monotonic()
                name = ref["fn_name"] if ref["format"] == "assert" else str(msg["call"])  # assert: every proxy is fn_name
                run.send(1, {"call": name, "args": msg.get("args", []), "kwargs": msg.get("kwargs", {"d": []})})
            elif "end" in msg:
                if msg["end"] != "ok":
                    err = msg.get("error") if isinstance(msg.get("error"), dict) else {"msg": str(msg.get("error"))}
                    by_candidate = msg.get("by") == "candidate"
                    fatal = {"name": "test program", "status": (MLE if err.get("type") == "MemoryError" else RE) if by_candidate else RE,
                             "error": {**{k: short(str(v), 1000) for k, v in err.items()},
                                       "raised_by": "candidate" if by_candidate else "test"}}
                break
            else:
                r = on_report(msg, last_call_time)
                if r is not None:
                    results.append(r)
                    last_call_time = 0.0
                    if st.fail_fast and r["status"] != PASS:
                        break
        elif kind == "msg" and ev[1] == 1:
            msg = ev[2]
            if "load" in msg:
                if msg["load"] != "ok":
                    status, detail = _failure_from(run, ev, "loading the solution")
                    fatal = {"name": "load", "status": status, "error": detail}
                    break
                loaded = True
                continue
            if pending is None:
                fatal = {"name": "protocol", "status": RE, "error": "the candidate spoke out of turn"}
                break
            last_call_time = time.monotonic() - pending
            pending = None
            if "ok" in msg:
                run.send(0, {"ok": msg["ok"]})
            else:
                err = msg.get("err") if isinstance(msg.get("err"), dict) else {"type": "Error", "msg": str(msg.get("err"))}
                run.send(0, {"err": {"type": str(err.get("type", ""))[:100], "msg": str(err.get("msg", ""))[:1000],
                                     "tb": str(err.get("tb", ""))[-1500:]}})
        elif kind == "timeout":
            run.kill()
            if pending is not None:
                fatal = {"name": f"call {n_calls}", "status": TLE, "error": "time limit exceeded", "time": time.monotonic() - pending}
            else:
                fatal = {"name": "test program", "status": TLE, "error": f"the test program took over {st.judge_time}s"}
            break
        elif kind == "output_limit":
            run.kill()
            fatal = {"name": f"call {n_calls}", "status": OLE, "error": _over(ev, st.limits)}
            break
        elif kind == "protocol":
            run.kill()
            fatal = {"name": f"call {n_calls}", "status": RE, "error": f"result channel: {ev[2]}"}
            break
        elif kind == "exit":
            who = ev[1]
            if who == 1:
                late = _drain_msgs(run, 1)
                if late:
                    run.events.insert(0, late[0])
                    continue
                fatal = {"name": f"call {n_calls}", "status": RE,
                         "error": f"the solution's process ended ({_exit_desc(ev[2])})"}
            else:
                late = _drain_msgs(run, 0)
                if late:
                    run.events.insert(0, late[0])
                    continue
                fatal = {"name": "test program", "status": RE, "error": f"the judge ended ({_exit_desc(ev[2])})"}
            break
        elif kind == "done":
            fatal = {"name": "run", "status": RE, "error": "the run ended before the test program finished"}
            break
    done = run.finish()
    if fatal is not None:
        if fatal["status"] == RE and done.get("oom_kills"):
            fatal["status"] = MLE
        c = run.children[1]
        if fatal["status"] == RE and c.exit and c.exit.get("signal") == signal.SIGXCPU:
            fatal["status"] = TLE
        fatal.setdefault("time", last_call_time)
        fatal.update(_io(run, 1))
        fatal["peak_memory"] = _peak(run, 1)
        results.append(fatal)
    elif results:
        results[-1].update(_io(run, 1))
        results[-1]["peak_memory"] = _peak(run, 1)
    return results


# --- stdio -----------------------------------------------------------------------------------


def run_program(slot: Slot, source: str, stdin: str, limits: Limits, role: str = "cand") -> dict:
    """One program run with stdin; returns status (before checking), time, stdout, stderr..."""
    run = slot.start([role], limits, jobs=[{"mode": "stdio", "source": source}], stdin=True)
    t0 = time.monotonic()
    run.feed_stdin(0, stdin.encode(), close=True)
    deadline = t0 + limits.time
    end_msg = None
    status = None
    detail = None
    while True:
        ev = run.next_event(deadline)
        if ev[0] == "msg":
            end_msg = ev[2]
        elif ev[0] == "timeout":
            run.kill()
            status, detail = TLE, "time limit exceeded"
            break
        elif ev[0] == "output_limit":
            run.kill()
            status, detail = OLE, _over(ev, limits)
            break
        elif ev[0] == "protocol":
            run.kill()
            status, detail = RE, f"result channel: {ev[2]}"
            break
        elif ev[0] in ("exit", "done"):
            break
    dt = time.monotonic() - t0
    done = run.finish()
    c = run.children[0]
    if end_msg is None:
        for m in run.remaining_messages(0):
            end_msg = m
    if status is None:
        ex = c.exit or {}
        if end_msg and end_msg.get("end") == "error":
            err = end_msg.get("error") if isinstance(end_msg.get("error"), dict) else {}
            status = MLE if err.get("type") == "MemoryError" else RE
            detail = {k: short(str(v), 1000) for k, v in err.items()}
        elif "signal" in ex:
            status = TLE if ex["signal"] == signal.SIGXCPU else (OLE if ex["signal"] == signal.SIGXFSZ else RE)
            detail = _exit_desc(ex)
        elif end_msg and end_msg.get("end") == "exit" and end_msg.get("code") not in (0, None):
            status, detail = RE, f"exit code {end_msg.get('code')}"
        elif ex.get("code") not in (0, None):
            status, detail = RE, _exit_desc(ex)
        if status == RE and done.get("oom_kills"):
            status = MLE
    return {"status": status, "error": detail, "time": dt, "stdout_bytes": bytes(c.out), "stdout_total": c.out_total,
            "stderr_bytes": bytes(c.err), "stderr_total": c.err_total, "peak_memory": _peak(run), "exit": c.exit}


def run_stdio(slot: Slot, ref: dict, source: str, st: Settings) -> list[dict]:
    results: list[dict] = []
    timeouts = 0
    checker = ref.get("checker", "exact")
    for i, case in enumerate(ref["cases"]):
        if timeouts >= st.max_timeouts or (st.fail_fast and results and results[-1]["status"] != PASS):
            results.append({"name": f"case {i}", "status": NOT_RUN, "time": 0.0})
            continue
        out = run_program(slot, source, case.get("input", ""), st.limits)
        stdout = out["stdout_bytes"].decode("utf-8", "replace")
        r = {"name": f"case {i}", "status": out["status"], "time": out["time"], "peak_memory": out["peak_memory"],
             "stdout": _text(out["stdout_bytes"], out["stdout_total"]), "stderr": _text(out["stderr_bytes"], out["stderr_total"])}
        if out["error"]:
            r["error"] = out["error"]
        if r["status"] is None:
            if isinstance(checker, dict):
                ok, note = _special_judge(slot, checker["program"], case, stdout, st)
                r["checker"] = note
            else:
                ok = check_stdio(checker, stdout, case["output"], ref["float_tol"])
            r["status"] = PASS if ok else WA
            if not ok:
                r["expected"] = short(case["output"])
        timeouts += r["status"] == TLE
        results.append(r)
    return results


def _special_judge(slot: Slot, program: str, case: dict, stdout: str, st: Settings) -> tuple[bool, str]:
    """Run the special judge in its own sandbox run: stdin is JSON {input, output, expected};
    exit code 0 accepts, 1 rejects, anything else is a judge failure (rejects, noted)."""
    payload = json.dumps({"input": case.get("input", ""), "output": stdout, "expected": case["output"]})
    out = run_program(slot, program, payload, st.limits, role="judge")
    ex = out["exit"] or {}
    if out["status"] is None and ex.get("code") == 0:
        return True, "special judge accepted"
    if out["status"] == RE and (out["error"] == "exit code 1" or ex.get("code") == 1):
        return False, "special judge rejected"
    return False, f"special judge failed: {out['status']} {out['error']}"


# --- pytest ----------------------------------------------------------------------------------


def run_pytest(slot: Slot, ref: dict, source: str, st: Settings) -> list[dict]:
    """pytest runs in the judge process (runner.mode_pytest), the candidate in its own, called by
    value through proxies: every report comes from a process the candidate cannot write to. Each
    test the parent read in the file (formats.pytest_file) must be reported, and pass."""
    reported: set[str] = set()

    def on_test(msg: dict, call_time: float) -> dict | None:
        if "test" not in msg:
            return None
        node = str(msg["test"]).split("::", 1)[-1]
        reported.add(node.split("[", 1)[0])
        outcome = msg.get("outcome")
        when = msg.get("when")
        r = {"name": node if when == "call" else f"{node} ({when})", "time": float(msg.get("t") or 0.0),
             "status": PASS if outcome in ("passed", "skipped") else WA, "outcome": short(str(outcome), 50)}
        if "error" in msg:
            r["error"] = short(str(msg["error"]), 1500)
        return r

    judge = {"mode": "pytest", "test": ref["test"], "test_name": f"test_{secrets.token_hex(4)}.py",
             "names": list(ref["solution_names"])}
    results = _run_judged(slot, ref, source, st, judge, on_test)
    for tid in ref["test_ids"]:
        if tid not in reported:
            results.append({"name": tid, "status": RE, "time": 0.0, "error": "pytest did not run this test"})
    return results


RUNNERS = {"call": run_call, "assert": run_assert, "stdio": run_stdio, "pytest": run_pytest}


def record_outputs(slot: Slot, fn_name: str, source: str, cases: list[tuple[Any, Any]], st: Settings) -> list[dict]:
    """Run trusted reference code (in the sandbox all the same) on each (args, kwargs) already in
    the tagged encoding; returns per case {"ok": encoded} or {"error": ...}. Used to give
    HumanEval+ inputs their expected outputs from the canonical solution, as evalplus does."""
    out: list[dict] = []
    i = 0
    while i < len(cases):
        run = slot.start(["cand"], st.limits, jobs=[{"mode": "serve", "source": source}], requests=True)
        ev = _wait_msg(run, time.monotonic() + st.limits.time)
        if ev[0] != "msg" or ev[2].get("load") != "ok":
            _, detail = _failure_from(run, ev, "loading the reference solution")
            run.finish()
            return out + [{"error": f"load: {detail}"}] * (len(cases) - i)
        while i < len(cases):
            args, kwargs = cases[i]
            run.send(0, {"call": fn_name, "args": args, "kwargs": kwargs})
            ev = _wait_msg(run, time.monotonic() + st.limits.time)
            if ev[0] == "msg" and "ok" in ev[2]:
                out.append({"ok": ev[2]["ok"]})
            elif ev[0] == "msg" and "err" in ev[2]:
                out.append({"error": short(str(ev[2]["err"].get("type")), 100) if isinstance(ev[2]["err"], dict) else "error"})
            else:
                _, detail = _failure_from(run, ev, f"case {i}")
                out.append({"error": str(detail)})
                i += 1
                break
            i += 1
        run.finish()
    return out
