"""What runs inside the sandbox: one test process (fd 0-2 stdio, fd 3 result pipe, fd 4 request pipe).

Standard library only, importable by path: the sandbox worker imports it (and everything it
needs) before locking down, so a forked test process imports nothing, and forks into `child_main`.

Nothing this process says is trusted. It never sees an expected value: it gets the job (source,
arguments) from the worker at fork time or on fd 4 (length-prefixed marshal, written by the
parent) and writes what the code produced on fd 3, one JSON object per line, values in the
tagged encoding below. The parent decodes them into plain builtins and decides.

Modes:
  serve  - run the candidate source, then answer {"call": name, "args", "kwargs"} requests.
  judge  - run a dataset test program whose asserts are rewritten to report, with the candidate
           replaced by a proxy that asks the parent (which forwards to a serve process).
  stdio  - run the source as __main__ with the given stdin; report how it ended.
  pytest - run pytest on a test file in a judge process, `solution` a module of proxies to a serve process.
"""

from __future__ import annotations

import _json  # the C encoder only: the json package would pull in re
import io
import marshal
import os
import resource
import struct
import sys
import time
import types

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
        if value - value == 0.0:  # finite: inf - inf and nan - nan are nan (and no math module in the worker)
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
        pairs = []
        for pair in _as_list(body):
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("malformed dict")
            pairs.append((decode(pair[0], d), decode(pair[1], d)))
        _spread([k for k, _ in pairs])
        return dict(pairs)
    if tag == "s":
        return set(_spread([decode(v, d) for v in _as_list(body)]))
    if tag == "f":
        return frozenset(_spread([decode(v, d) for v in _as_list(body)]))
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


MAX_SAME_HASH = 32


def _spread(keys: list) -> list:
    """The keys of a dict or set about to be built, once checked hashable and spread: keys that all
    hash alike (ints that are equal modulo 2**61 - 1, tuples of them; such hashes are not
    randomised) cost time quadratic in their number to insert, so more than MAX_SAME_HASH keys
    sharing one hash make the value malformed. Sorting the hashes keeps the check O(n log n)."""
    try:
        hashes = [hash(k) for k in keys]
    except TypeError as exc:
        raise ValueError("unhashable key") from exc
    if len(hashes) > MAX_SAME_HASH:
        hashes.sort()
        for j in range(MAX_SAME_HASH, len(hashes)):
            if hashes[j] == hashes[j - MAX_SAME_HASH]:
                raise ValueError(f"more than {MAX_SAME_HASH} keys with the same hash")
    return keys


# --- child set-up ---------------------------------------------------------------------------
# Bound now, in the worker: a candidate that patches os, json or marshal cannot change the channel.
_write, _read, _loads = os.write, os.read, marshal.loads
_dumps = _json.make_encoder(None, None, _json.encode_basestring_ascii, None, ":", ",", False, False, False)
_HEADER = struct.Struct("<I")
_LOAD_OK = b'{"load":"ok"}\n'
# the worker's record of one ended test process: index, signal (0: exited), exit code, peak RSS kB,
# CPU s, wall s, processes swept after the run (-1: the run goes on)
EXIT = struct.Struct("<iiiqddi")


def frame(obj) -> bytes:
    """A parent-to-child message: 4-byte length, then marshal (the parent writes only builtins)."""
    data = marshal.dumps(obj)
    return _HEADER.pack(len(data)) + data


def prepare_stdio() -> None:
    """Make the worker's sys.stdin/stdout/stderr the ones its test processes use: built once over
    pipes at fds 0-2 (so they behave as on the pipes each test gets), then fds 0-2 go back to
    what the worker had. A test process inherits them ready, unwritten."""
    r, w = os.pipe()
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    try:
        os.dup2(r, 0)
        os.dup2(w, 1)
        os.dup2(w, 2)
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                                       errors="backslashreplace", write_through=False)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                       errors="backslashreplace", line_buffering=True)
    finally:
        for fd, old in enumerate(saved):
            os.dup2(old, fd)
            os.close(old)
        os.close(r)
        os.close(w)


def setup_child(spec: dict) -> None:
    """Per test: own process group, the per-test rlimits (the worker holds the others), unprivileged
    uid, cwd. fds 0-4 are already in place, and sys.std* (prepare_stdio)."""
    os.setpgid(0, 0)
    apply_rlimits(spec["rlimits"])
    uid = spec.get("uid")
    if uid is not None and os.getuid() == 0:
        gid = spec.get("gid", uid)
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if spec.get("cwd"):
        os.chdir(spec["cwd"])


def rlimits(lim: dict) -> list:
    """(resource, value) pairs from the parent's limits dict; the core size is always 0."""
    names = {"cpu": "RLIMIT_CPU", "fsize": "RLIMIT_FSIZE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "as": "RLIMIT_AS"}
    out = [(getattr(resource, names[k]), int(v)) for k, v in lim.items() if k in names and v is not None]
    return out + [(resource.RLIMIT_CORE, 0)]


def apply_rlimits(pairs) -> None:
    for res, value in pairs:
        resource.setrlimit(res, (value, value))


class Channel:
    """JSON lines out on fd 3; length-prefixed marshal in on fd 4."""

    def send(self, obj) -> None:
        self.write(("".join(_dumps(obj, 0)) + "\n").encode())

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[_write(RESULT_FD, view):]

    def _exactly(self, n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            chunk = _read(REQUEST_FD, n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv(self):
        head = self._exactly(4)
        if head is None:
            return None
        body = self._exactly(_HEADER.unpack(head)[0])
        return None if body is None else _loads(body)


def _exc_info(exc: BaseException) -> dict:
    return {"type": type(exc).__name__[:100], "msg": str(exc)[:500], "tb": format_exception(exc)[-2000:]}


_TB_FRAMES = 40
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_exception(exc: BaseException) -> str:
    """The traceback as Python prints it (chained exceptions, the last frames), without source
    lines: the candidate's source is no file. Not the traceback module: it brings re, enum and
    tokenize into every worker, 1.4 MB more to copy at each fork."""
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 8 and all(e is not c for c in chain):
        chain.append(e)
        e = e.__cause__ if e.__cause__ is not None else (None if e.__suppress_context__ else e.__context__)
    parts: list[str] = []
    for k in range(len(chain) - 1, -1, -1):
        e = chain[k]
        if k < len(chain) - 1:
            parts.append(_CAUSE if chain[k].__cause__ is not None else _CONTEXT)
        frames = []
        tb = e.__traceback__
        while tb is not None:
            frames.append(tb)
            tb = tb.tb_next
        if frames:
            parts.append("Traceback (most recent call last):\n")
            if len(frames) > _TB_FRAMES:
                parts.append(f"  [... {len(frames) - _TB_FRAMES} earlier frames]\n")
            for tb in frames[-_TB_FRAMES:]:
                co = tb.tb_frame.f_code
                parts.append(f'  File "{co.co_filename}", line {tb.tb_lineno}, in {co.co_name}\n')
        cls = type(e)
        name = cls.__qualname__ if cls.__module__ in ("builtins", "__main__") else f"{cls.__module__}.{cls.__qualname__}"
        try:
            msg = str(e)
        except Exception:
            msg = "<exception str() failed>"
        parts.append(f"{name}: {msg}\n" if msg else f"{name}\n")
    return "".join(parts)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


_FILENAMES = {"source": "solution.py", "setup": "setup.py", "test": "test.py"}


def _code(job: dict, key: str):
    """What the job runs, compiled: the worker's compilation of the candidate's source when it made
    one before forking (warm, no copy-on-write faults), else compiled here."""
    pre = job.get("code_" + key)
    if pre is not None:
        return pre
    return judge_program(job[key]) if key == "test" else compile(job[key], _FILENAMES[key], "exec")


def compile_candidate(source: str):
    """The candidate's source compiled, or None when it does not compile (the test process then
    compiles it again and reports the error itself)."""
    try:
        return compile(source, _FILENAMES["source"], "exec")
    except BaseException:
        return None


def _load_module(job: dict, name: str):
    mod = types.ModuleType(name)
    mod.__file__ = f"{name}.py"
    sys.modules[name] = mod
    exec(_code(job, "source"), mod.__dict__)
    return mod


# --- modes ----------------------------------------------------------------------------------


def mode_serve(ch: Channel, job: dict) -> None:
    """Load the candidate, answer the job's calls, then calls from fd 4 until it closes."""
    sys.argv = ["solution.py"]
    try:
        mod = _load_module(job, "solution")
    except SystemExit as exc:
        _flush()
        ch.send({"load": "exit", "code": str(exc.code)[:100]})
        return
    except BaseException as exc:  # any failure of the candidate is data
        _flush()
        ch.send({"load": "error", **_exc_info(exc)})
        return
    ch.write(_LOAD_OK)
    for req in job.get("calls", ()):
        _serve_call(ch, mod, req)
    while True:
        req = ch.recv()
        if req is None:
            return
        _serve_call(ch, mod, req)


def _serve_call(ch: Channel, mod, req: dict) -> None:
    fn = getattr(mod, req["call"], None)
    if fn is None or not callable(fn):
        ch.send({"err": {"type": "NameError", "msg": f"{req['call']!r} is not defined by the solution", "tb": ""}})
        return
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
        return
    except BaseException as exc:
        _flush()
        ch.send({"err": _exc_info(exc)})
        return
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


def _proxies(ch: Channel, state: dict):
    """proxy_for(name): a function of the judge that calls the candidate's `name` in its own
    process, through the parent, by value (arguments and result in the encoding above)."""

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

    return proxy_for


def mode_judge(ch: Channel, job: dict) -> None:
    """Run a test program with asserts turned into reports; the candidate lives elsewhere."""
    names = job.get("names") or ["candidate"]
    state = {"n": 0, "calls": 0, "last_call_error": None}
    proxy_for = _proxies(ch, state)

    def record(lineno, thunk):
        state["n"] += 1
        state["last_call_error"] = None
        try:
            ok = bool(thunk())
        except BaseException as exc:
            cand = getattr(exc, "__rl_candidate__", None)
            ch.send({"assert": lineno, "ok": False, "error": cand or _exc_info(exc), "by": "candidate" if cand else "test"})
            return
        ch.send({"assert": lineno, "ok": ok})

    env = {"__name__": "__main__", "__rl_record__": record}
    try:
        if job.get("setup"):
            exec(_code(job, "setup"), env)
        for name in names:
            env[name] = proxy_for(name)
        exec(_code(job, "test"), env)
        if job.get("entry"):
            env[job["entry"]](env[names[0]])
    except BaseException as exc:
        cand = getattr(exc, "__rl_candidate__", None) or state["last_call_error"]
        _flush()
        ch.send({"end": "error", "by": "candidate" if cand else "test", "error": cand or _exc_info(exc), "asserts": state["n"]})
        return
    _flush()
    ch.send({"end": "ok", "asserts": state["n"], "calls": state["calls"]})


def judge_program(test: str):
    """The test program compiled with every `assert x` rewritten to `__rl_record__(line, lambda: x)`,
    so each assert reports instead of raising. (ast is imported here: only judges need it.)"""
    import ast

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

    tree = Rewrite().visit(ast.parse(test, "test.py"))
    ast.fix_missing_locations(tree)
    return compile(tree, "test.py", "exec")


def mode_stdio(ch: Channel, job: dict) -> None:
    import builtins

    sys.argv = ["solution.py"]
    env = {"__name__": "__main__", "__builtins__": builtins, "__file__": "solution.py"}
    try:
        exec(_code(job, "source"), env)
    except SystemExit as exc:
        _flush()
        c = exc.code
        code_num = 0 if c is None else (c if type(c) is int else 1)
        if not (type(c) is int or c is None):
            print(c, file=sys.stderr)
        ch.send({"end": "exit", "code": code_num})
        return
    except BaseException as exc:
        _flush()
        ch.send({"end": "error", "error": _exc_info(exc)})
        return
    _flush()
    ch.send({"end": "exit", "code": 0})


def mode_pytest(ch: Channel, job: dict) -> None:
    """Run pytest on the test file in this judge process, with `solution` a module of proxies to
    the candidate's process (as `mode_judge`): the candidate never shares a process with pytest,
    so it cannot patch pytest or write a report. The file goes in a directory of /dev/shm only
    this judge's uid can read; each test's outcome is reported on fd 3 as pytest logs it."""
    import tempfile

    proxy_for = _proxies(ch, {"calls": 0, "last_call_error": None})
    solution = types.ModuleType("solution")
    solution.__all__ = list(job.get("names", ()))
    for name in solution.__all__:
        setattr(solution, name, proxy_for(name))

    def attribute(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return proxy_for(name)

    solution.__getattr__ = attribute
    sys.modules["solution"] = solution
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no plugin from site-packages runs in the judge
    sys.dont_write_bytecode = True
    sys.argv = ["pytest"]

    class Reporter:
        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":
                msg = {"test": report.nodeid, "when": report.when, "outcome": report.outcome, "t": report.duration}
                if report.outcome == "failed":
                    msg["error"] = report.longreprtext[-1500:]
                ch.send(msg)

    try:
        import pytest

        here = tempfile.mkdtemp(prefix="rl-judge-", dir="/dev/shm")  # mode 0700, a random name made with O_EXCL
        tempfile.tempdir = os.environ["TMPDIR"] = here  # pytest's own temporary files (tmp_path) go there too
        path = os.path.join(here, job["test_name"])
        with open(path, "w") as f:
            f.write(job["test"])
        with open(os.path.join(here, "pytest.ini"), "w") as f:
            f.write("[pytest]\n")
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--noconftest", "-c", os.path.join(here, "pytest.ini"),
                            "--rootdir", here, "--confcutdir", here, path], plugins=[Reporter()])
    except BaseException as exc:
        _flush()
        ch.send({"end": "error", "by": "test", "error": _exc_info(exc)})
        return
    _flush()
    ch.send({"end": "ok", "code": int(code)})


MODES = {"serve": mode_serve, "judge": mode_judge, "stdio": mode_stdio, "pytest": mode_pytest}


class _Sink(Channel):
    def write(self, data: bytes) -> None:
        pass

    def recv(self):
        return None


def warm_up(rounds: int = 100) -> None:
    """Run the candidate's code paths in the worker until the interpreter has specialised them:
    3.11 rewrites a function's bytecode in place while it warms up, and a forked test process
    writing to those pages would copy them, test after test. (Not the judge's: warming it costs
    every test more page faults than it saves judges.)"""
    values = [1, -2**70, 1.5, float("inf"), "s", b"b", bytearray(b"b"), [1, (2, 3)], {"k": {1, 2}}, frozenset({1}), None,
              True, 1j, range(3), iter([1])]
    serve = {"mode": "serve", "source": "def f(*a, **k):\n    return a\ndef e():\n    raise ValueError(1)\n",
             "calls": [{"call": "f", "args": encode(values), "kwargs": encode({"k": 1})}, {"call": "e"}, {"call": "g"}]}
    stdio = {"mode": "stdio", "source": "x = 1\n"}
    serve["code_source"] = compile_candidate(serve["source"])
    stdio["code_source"] = compile_candidate(stdio["source"])
    argv, ch = sys.argv, _Sink()
    try:
        for _ in range(rounds):
            mode_serve(ch, serve)
            mode_stdio(ch, stdio)
    finally:
        sys.argv = argv
        sys.modules.pop("solution", None)


def child_main(spec: dict) -> None:
    """Entry of one test process (forked by the worker); never returns."""
    status = 0
    try:
        setup_child(spec)
        ch = Channel()
        job = spec.get("job") or ch.recv()
        if job is None:
            os._exit(70)
        if spec.get("code") is not None and job.get("source") == spec.get("source"):
            job["code_source"] = spec["code"]
        MODES[job["mode"]](ch, job)
    except BaseException as exc:
        status = 71
        try:
            os.write(2, ("sandbox runner failure: " + repr(exc) + "\n").encode())
        except Exception:
            pass
    finally:
        _flush()
        os._exit(status)
