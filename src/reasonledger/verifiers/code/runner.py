"""What runs inside the sandbox: one test process (fd 0-2 stdio, fd 3 result pipe, fd 4 request pipe).

Standard library only, importable by path: the warm worker imports it before locking down and
forks into `child_main`; the spawn fallback runs it as a script under bubblewrap.

Nothing this process says is trusted. It never sees an expected value: it receives the job
(source, arguments) on fd 4 and writes what the code produced on fd 3, one JSON object per line,
values in the tagged encoding below. The parent decodes them into plain builtins and decides.

Modes:
  serve  - run the candidate source, then answer {"call": name, "args", "kwargs"} requests.
  judge  - run a dataset test program whose asserts are rewritten to report, with the candidate
           replaced by a proxy that asks the parent (which forwards to a serve process).
  stdio  - run the source as __main__ with the given stdin; report how it ended.
  pytest - run pytest on a test file next to the candidate module (weak: same process).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time

RESULT_FD, REQUEST_FD = 3, 4
MAX_ITEMS = 1_000_000

# --- the value encoding ----------------------------------------------------------------------
# JSON scalars and arrays stand for themselves (array = list); every other builtin is a
# one-key object: t tuple, d dict (pairs), s set, f frozenset, F special float, c complex,
# b bytes (hex), B bytearray (hex), r range, i iterator (materialised), o opaque (type name).


def encode(value, _depth=0, _seen=None):
    """Plain data for `value`, by the builtin base type's own methods (never the object's)."""
    if _depth > 200:
        return {"o": "too-deep"}
    t = type(value)
    if value is None or t is bool:
        return value
    if t is str:
        return value
    if t is int:
        return value
    if t is float:
        if math.isfinite(value):
            return value
        return {"F": repr(value)}
    if _seen is None:
        _seen = set()
    if id(value) in _seen:
        return {"o": "cycle"}
    mod = getattr(t, "__module__", "")
    if mod == "numpy" and hasattr(value, "tolist"):
        try:
            return encode(value.tolist(), _depth + 1, _seen)
        except Exception:
            return {"o": t.__name__}
    _seen.add(id(value))
    try:
        d = _depth + 1
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int.__int__(value)
        if isinstance(value, float):
            return encode(float.__float__(value))
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, list):
            return [encode(v, d, _seen) for v in list.__iter__(value)]
        if isinstance(value, tuple):
            return {"t": [encode(v, d, _seen) for v in tuple.__iter__(value)]}
        if isinstance(value, dict):
            return {"d": [[encode(k, d, _seen), encode(v, d, _seen)] for k, v in dict.items(value)]}
        if isinstance(value, frozenset):
            return {"f": [encode(v, d, _seen) for v in frozenset.__iter__(value)]}
        if isinstance(value, set):
            return {"s": [encode(v, d, _seen) for v in set.__iter__(value)]}
        if isinstance(value, complex):
            return {"c": [encode(value.real), encode(value.imag)]}
        if isinstance(value, bytes):
            return {"b": bytes.hex(value)}
        if isinstance(value, bytearray):
            return {"B": bytearray.hex(value)}
        if t is range:
            return {"r": [value.start, value.stop, value.step]}
        if t.__name__ in _ITERATORS and mod == "builtins":
            items = []
            for i, v in enumerate(value):
                if i >= MAX_ITEMS:
                    return {"o": "iterator-too-long"}
                items.append(encode(v, d, _seen))
            return {"i": items}
        return {"o": t.__name__[:100]}
    finally:
        _seen.discard(id(value))


_ITERATORS = {
    "generator", "map", "filter", "zip", "enumerate", "reversed", "list_iterator", "tuple_iterator",
    "range_iterator", "str_iterator", "set_iterator", "dict_keyiterator", "dict_valueiterator",
    "dict_itemiterator", "list_reverseiterator", "dict_keys", "dict_values", "dict_items",
}


class Opaque:
    """A value the encoding cannot carry: equal to nothing, not even itself."""

    __slots__ = ("type_name",)

    def __init__(self, type_name):
        self.type_name = type_name

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<unserialisable {self.type_name}>"


def decode(node, _depth=0):
    """Plain builtins from the encoding; anything malformed raises ValueError."""
    if _depth > 400:
        raise ValueError("value nested too deeply")
    t = type(node)
    if node is None or t in (bool, int, float, str):
        return node
    if t is list:
        return [decode(v, _depth + 1) for v in node]
    if t is not dict or len(node) != 1:
        raise ValueError("malformed value")
    ((tag, body),) = node.items()
    d = _depth + 1
    if tag == "t":
        return tuple(decode(v, d) for v in _as_list(body))
    if tag == "d":
        out = {}
        for pair in _as_list(body):
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("malformed dict")
            out[_hashable(decode(pair[0], d))] = decode(pair[1], d)
        return out
    if tag == "s":
        return {_hashable(decode(v, d)) for v in _as_list(body)}
    if tag == "f":
        return frozenset(_hashable(decode(v, d)) for v in _as_list(body))
    if tag == "F":
        if body not in ("nan", "inf", "-inf"):
            raise ValueError("malformed float")
        return float(body)
    if tag == "c":
        parts = _as_list(body)
        if len(parts) != 2:
            raise ValueError("malformed complex")
        re_, im = (decode(p, d) for p in parts)
        if type(re_) is not float or type(im) is not float:
            raise ValueError("malformed complex")
        return complex(re_, im)
    if tag == "b":
        return bytes.fromhex(_as_str(body))
    if tag == "B":
        return bytearray.fromhex(_as_str(body))
    if tag == "r":
        parts = _as_list(body)
        if len(parts) != 3 or any(type(p) is not int for p in parts) or parts[2] == 0:
            raise ValueError("malformed range")
        return range(*parts)
    if tag == "i":
        return iter([decode(v, d) for v in _as_list(body)])
    if tag == "o":
        return Opaque(_as_str(body)[:100])
    raise ValueError(f"unknown tag {tag!r}")


def _as_list(x):
    if type(x) is not list:
        raise ValueError("malformed value")
    return x


def _as_str(x):
    if type(x) is not str:
        raise ValueError("malformed value")
    return x


def _hashable(v):
    try:
        hash(v)
    except TypeError as exc:
        raise ValueError("unhashable key") from exc
    return v


# --- child set-up ---------------------------------------------------------------------------


def setup_child(spec: dict) -> None:
    """Per test: new session, rlimits, unprivileged uid, cwd. fds 0-4 are already in place."""
    try:
        os.setsid()
    except OSError:
        pass
    lim = spec.get("limits", {})
    for name, value in (
        ("RLIMIT_CPU", lim.get("cpu")),
        ("RLIMIT_FSIZE", lim.get("fsize")),
        ("RLIMIT_NOFILE", lim.get("nofile")),
        ("RLIMIT_NPROC", lim.get("nproc")),
        ("RLIMIT_AS", lim.get("as")),
        ("RLIMIT_CORE", 0),
    ):
        if value is not None:
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))
    uid = spec.get("uid")
    if uid is not None and os.getuid() == 0:
        gid = spec.get("gid", uid)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    cwd = spec.get("cwd")
    if cwd:
        os.chdir(cwd)
    _fresh_stdio()


def _fresh_stdio() -> None:
    import io

    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


class Channel:
    """Line-delimited JSON over the two private pipes."""

    def __init__(self):
        self._rbuf = b""

    def send(self, obj) -> None:
        data = (json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n").encode()
        view = memoryview(data)
        while view:
            n = os.write(RESULT_FD, view)
            view = view[n:]

    def recv(self):
        while b"\n" not in self._rbuf:
            chunk = os.read(REQUEST_FD, 1 << 20)
            if not chunk:
                return None
            self._rbuf += chunk
        line, _, self._rbuf = self._rbuf.partition(b"\n")
        return json.loads(line)


def _exc_info(exc: BaseException) -> dict:
    import traceback

    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__[:100], "msg": str(exc)[:500], "tb": tb[-2000:]}


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


_PRECOMPILED: dict = {}


def _compiled(source: str):
    """The code object the worker compiled from this very source before forking, else compile now."""
    pre = _PRECOMPILED.get("code")
    if pre is not None and _PRECOMPILED.get("source") == source:
        return pre
    return compile(source, "solution.py", "exec")


def _load_module(source: str, name: str):
    import types

    mod = types.ModuleType(name)
    mod.__file__ = f"{name}.py"
    sys.modules[name] = mod
    code = _compiled(source)
    exec(code, mod.__dict__)
    return mod


# --- modes ----------------------------------------------------------------------------------


def mode_serve(ch: Channel, job: dict) -> None:
    sys.argv = ["solution.py"]
    try:
        mod = _load_module(job["source"], "solution")
    except SystemExit as exc:
        _flush()
        ch.send({"load": "exit", "code": str(exc.code)[:100]})
        return
    except BaseException as exc:  # noqa: BLE001 - any failure of the candidate is data
        _flush()
        ch.send({"load": "error", **_exc_info(exc)})
        return
    ch.send({"load": "ok"})
    while True:
        req = ch.recv()
        if req is None:
            return
        fn = getattr(mod, req["call"], None)
        if fn is None or not callable(fn):
            ch.send({"err": {"type": "NameError", "msg": f"{req['call']!r} is not defined by the solution", "tb": ""}})
            continue
        try:
            args = decode(req.get("args", []))
            kwargs = decode(req.get("kwargs", {"d": []}))
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            dt = time.perf_counter() - t0
            enc = encode(out)
        except SystemExit as exc:
            _flush()
            ch.send({"err": {"type": "SystemExit", "msg": str(exc.code)[:100], "tb": ""}})
            continue
        except BaseException as exc:  # noqa: BLE001
            _flush()
            ch.send({"err": _exc_info(exc)})
            continue
        _flush()
        ch.send({"ok": enc, "t": dt})


class CandidateError(Exception):
    """Raised in the judge when the candidate's call raised (carries the candidate's type name)."""


def _raise_like(err: dict):
    import builtins

    cls = getattr(builtins, err.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            exc = cls(err.get("msg", ""))
        except Exception:
            exc = CandidateError(err.get("msg", ""))
    else:
        exc = CandidateError(f"{err.get('type')}: {err.get('msg', '')}")
    exc.__rl_candidate__ = err
    raise exc


def mode_judge(ch: Channel, job: dict) -> None:
    """Run a test program with asserts turned into reports; the candidate lives elsewhere."""
    import ast

    names = job.get("names") or ["candidate"]
    state = {"n": 0, "calls": 0, "last_call_error": None}

    def proxy_for(name):
        def proxy(*args, **kwargs):
            state["calls"] += 1
            ch.send({"call": name, "args": encode(list(args)), "kwargs": encode(dict(kwargs))})
            reply = ch.recv()
            if reply is None:
                raise SystemExit("candidate channel closed")
            if "ok" in reply:
                return decode(reply["ok"])
            state["last_call_error"] = reply.get("err", {})
            _raise_like(reply.get("err", {}))

        proxy.__name__ = name
        return proxy

    def record(lineno, thunk):
        state["n"] += 1
        state["last_call_error"] = None
        try:
            ok = bool(thunk())
        except BaseException as exc:  # noqa: BLE001
            cand = getattr(exc, "__rl_candidate__", None)
            ch.send({"assert": lineno, "ok": False, "error": cand or _exc_info(exc), "by": "candidate" if cand else "test"})
            return
        ch.send({"assert": lineno, "ok": ok})

    class Rewrite(ast.NodeTransformer):
        def visit_Assert(self, node):
            call = ast.Expr(
                ast.Call(
                    func=ast.Name("__rl_record__", ast.Load()),
                    args=[ast.Constant(node.lineno), ast.Lambda(
                        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                        body=node.test)],
                    keywords=[],
                )
            )
            return ast.copy_location(call, node)

    env = {"__name__": "__main__", "__rl_record__": record}
    try:
        if job.get("setup"):
            exec(compile(job["setup"], "setup.py", "exec"), env)
        for name in names:
            env[name] = proxy_for(name)
        tree = Rewrite().visit(ast.parse(job["test"], "test.py"))
        ast.fix_missing_locations(tree)
        exec(compile(tree, "test.py", "exec"), env)
        if job.get("entry"):
            env[job["entry"]](env[names[0]])
    except BaseException as exc:  # noqa: BLE001
        cand = getattr(exc, "__rl_candidate__", None) or state["last_call_error"]
        _flush()
        ch.send({"end": "error", "by": "candidate" if cand else "test", "error": cand or _exc_info(exc), "asserts": state["n"]})
        return
    _flush()
    ch.send({"end": "ok", "asserts": state["n"], "calls": state["calls"]})


def mode_stdio(ch: Channel, job: dict) -> None:
    import builtins

    sys.argv = ["solution.py"]
    env = {"__name__": "__main__", "__builtins__": builtins, "__file__": "solution.py"}
    try:
        exec(_compiled(job["source"]), env)
    except SystemExit as exc:
        _flush()
        c = exc.code
        code_num = 0 if c is None else (c if type(c) is int else 1)
        if not (type(c) is int or c is None):
            print(c, file=sys.stderr)
        ch.send({"end": "exit", "code": code_num})
        return
    except BaseException as exc:  # noqa: BLE001
        _flush()
        ch.send({"end": "error", "error": _exc_info(exc)})
        return
    _flush()
    ch.send({"end": "exit", "code": 0})


def mode_pytest(ch: Channel, job: dict) -> None:
    with open("solution.py", "w") as f:
        f.write(job["source"])
    with open(job["test_name"], "w") as f:
        f.write(job["test"])
    with open("pytest.ini", "w") as f:
        f.write("[pytest]\n")
    sys.path.insert(0, os.getcwd())
    sys.argv = ["pytest"]

    class Reporter:
        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":
                ch.send({"test": report.nodeid, "when": report.when, "outcome": report.outcome, "t": report.duration})

    try:
        import pytest

        code = pytest.main(
            ["-q", "-p", "no:cacheprovider", "--noconftest", "-c", "pytest.ini", "--rootdir", os.getcwd(),
             "--confcutdir", os.getcwd(), os.path.join(os.getcwd(), job["test_name"])],
            plugins=[Reporter()],
        )
    except BaseException as exc:  # noqa: BLE001
        _flush()
        ch.send({"end": "error", "error": _exc_info(exc)})
        return
    _flush()
    ch.send({"end": "exit", "code": int(code)})


MODES = {"serve": mode_serve, "judge": mode_judge, "stdio": mode_stdio, "pytest": mode_pytest}


def child_main(spec: dict) -> None:
    """Entry of one test process; never returns."""
    status = 0
    try:
        if spec.get("code") is not None:
            _PRECOMPILED.update(code=spec["code"], source=spec.get("source"))
        setup_child(spec)
        ch = Channel()
        job = ch.recv()
        if job is None:
            os._exit(70)
        MODES[job["mode"]](ch, job)
    except BaseException as exc:  # noqa: BLE001
        status = 71
        try:
            os.write(2, ("sandbox runner failure: " + repr(exc) + "\n").encode())
        except Exception:
            pass
    finally:
        _flush()
        os._exit(status)


def _script_main() -> None:
    """Spawn fallback: `python -I runner.py SPEC_JSON` inside bubblewrap, pipes at spec["fds"]."""
    spec = json.loads(sys.argv[1])
    sys.path.extend(spec.get("sys_path", []))
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import lockdown  # type: ignore[import-not-found]

    sys.path.remove(here)
    import fcntl

    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16) for fd in spec["fds"]]
    for target, fd in zip((RESULT_FD, REQUEST_FD), high):
        os.dup2(fd, target, inheritable=False)
    lockdown.close_range_from(5)
    ll = spec.get("lockdown") or {}
    lockdown.set_no_new_privs()
    if ll.get("landlock"):
        lockdown.landlock_restrict(ll["read"], ll["write"], ll.get("files", []))
    if ll.get("seccomp"):
        lockdown.seccomp_apply()
    child_main(spec)


if __name__ == "__main__":
    _script_main()
