"""Hostile samples, grouped as in issue 4, and a driver that runs one group through the verifier.

`python hostile_cases.py GROUP TOKEN` must be run inside the safety net (safetynet.py: a cgroup
with pids.max and memory.max, and a PID namespace). It prints one JSON line: per case, whether
it passed, its statuses, how long verify took, whether the honest samples run after it passed,
and the driver's peak memory. The test file checks expectations and the host afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import threading
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
F42 = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 42}]}
F7 = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 7}]}
A42 = {"format": "assert", "fn_name": "f", "test": "assert f() == 42\n"}
CHECK42 = {"format": "assert", "fn_name": "f", "entry": "check", "test": "def check(candidate):\n    assert candidate() == 42\n"}
S42 = {"format": "stdio", "cases": [{"input": "", "output": "42\n"}]}
S123 = {"format": "stdio", "cases": [{"input": "", "output": "1\n2\n3\n"}]}
HONEST = (F42, "def f():\n    return 42\n")
# a candidate that looks through its memory (live containers, every module's globals, code constants)
# for a test's expected value
SCAN = ("import gc, re, sys\ndef flat(x, d=0):\n    if isinstance(x, str):\n        yield x\n    elif d > 7:\n        return\n"
        "    elif isinstance(x, (list, tuple, set, frozenset)):\n        for y in list(x):\n            yield from flat(y, d + 1)\n"
        "    elif isinstance(x, dict):\n        yield from flat(list(x.items()), d + 1)\n"
        "    elif type(x).__name__ == 'code':\n        yield from flat(x.co_consts, d + 1)\n"
        "def scan(pattern):\n    roots = gc.get_objects() + [vars(m) for m in list(sys.modules.values()) if m is not None]\n"
        "    for o in roots:\n        for s in flat(o):\n"
        "            m = re.search(pattern, s)\n            if m:\n                return int(m.group(1))\n    return 0\n")
# case 0 only needs "go"; case 1 needs the value in the special judge's source, which a candidate
# could only know if the judge of case 0 left it in the worker that forks the candidate of case 1
JUDGED = {"format": "stdio", "cases": [{"input": "a\n", "output": "go\n"}, {"input": "b\n", "output": "7919\n"}],
          "checker": {"program": "import json, sys\nd = json.load(sys.stdin)\nout = d['output'].strip()\n"
                                 "sys.exit(0 if (d['input'] == 'a\\n' and out == 'go') or out.strip() == '7919' else 1)\n"}}


def targets(token: str) -> list[str]:
    """Places a write must not reach (the test checks each is absent afterwards). Only /dev/shm is
    writable inside, as a tmpfs of the sandbox's own, so a write there succeeds but stays contained."""
    return [f"/root/rl-hostile-{token}", f"/etc/rl-hostile-{token}", str(CHECKOUT / f"rl-hostile-{token}"),
            str(CHECKOUT.parent / f"rl-hostile-{token}"), f"/tmp/rl-hostile-{token}", f"/dev/shm/rl-hostile-{token}",
            f"/run/rl-hostile-{token}", f"/var/tmp/rl-hostile-{token}"]


def groups(token: str, port: int) -> dict[str, list[tuple]]:
    """name -> [(case, reference, source, expect)]; expect is 'fail' (must not pass) or 'pass'."""
    tg = json.dumps(targets(token))
    planted = f"/tmp/rl-planted-{token}"
    planted2 = str(CHECKOUT / f"rl-planted-{token}")
    return {
        "exit": [
            ("os._exit before tests", F42, "import os\nos._exit(0)\n", "fail"),
            ("sys.exit before tests", F42, "import sys\nsys.exit(0)\n", "fail"),
            ("SystemExit before tests", F42, "raise SystemExit(0)\n", "fail"),
            ("os._exit in call", F42, "import os\ndef f():\n    os._exit(0)\n", "fail"),
            ("atexit rewrites status", F42, "import atexit, os\natexit.register(lambda: os._exit(0))\ndef f():\n    raise ValueError\n", "fail"),
            ("exit in assert format", CHECK42, "import sys\nsys.exit(0)\n", "fail"),
            ("exit before stdio output", S42, "import sys\nsys.exit(0)\nprint(42)\n", "fail"),
        ],
        "always_equal": [
            ("object __eq__ True", F42, "class A:\n    def __eq__(s, o): return True\n    __hash__ = None\ndef f():\n    return A()\n", "fail"),
            ("int subclass", F42, "class I(int):\n    def __eq__(s, o): return True\n    __hash__ = int.__hash__\ndef f():\n    return I(0)\n", "fail"),
            ("str subclass", {**F42, "cases": [{"args": [], "expected": "42"}]}, "class S(str):\n    def __eq__(s, o): return True\n    __hash__ = str.__hash__\ndef f():\n    return S('x')\n", "fail"),
            ("list subclass", {**F42, "cases": [{"args": [], "expected": [4, 2]}]}, "class L(list):\n    def __eq__(s, o): return True\ndef f():\n    return L()\n", "fail"),
            ("custom __str__/__repr__", F42, "class A:\n    def __str__(s): return '42'\n    __repr__ = __str__\ndef f():\n    return A()\n", "fail"),
            ("always-equal in assert", A42, "class A:\n    def __eq__(s, o): return True\n    def __bool__(s): return True\ndef f():\n    return A()\n", "fail"),
            ("always-equal in check()", CHECK42, "class A(int):\n    def __eq__(s, o): return True\ndef f():\n    return A(1)\n", "fail"),
        ],
        "introspection": [
            ("frame walking", F7, "import sys\ndef f():\n    fr = sys._getframe()\n    while fr:\n        for k, v in fr.f_locals.items():\n            if k in ('expected', 'exp', 'case'):\n                return v\n        fr = fr.f_back\n    return 0\n", "fail"),
            ("gc walking", F7, "import gc\ndef f():\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'expected' in o:\n            return o['expected']\n    return 0\n", "fail"),
            ("gc walking in assert", {"format": "assert", "fn_name": "f", "test": "assert f() == 7\n"}, "import gc\ndef f():\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'expected' in o:\n            return o['expected']\n    return 0\n", "fail"),
            ("test program in memory", {"format": "assert", "fn_name": "f", "test": "assert f() == 7919\n"},
             SCAN + "def f():\n    return scan(r'assert f\\(\\) == (\\d+)')\n", "fail"),
            ("special judge in memory", JUDGED, SCAN + "print('go' if input() == 'a' else scan(r\"strip\\(\\) == '(\\d+)'\"))\n", "fail"),
            ("forged results on every fd", F7, "import os\ndef f():\n    for fd in range(0, 1024):\n        for msg in (b'{\"ok\": 42}\\n', b'{\"assert\": 1, \"ok\": true}\\n', b'PASSED\\n'):\n            try: os.write(fd, msg)\n            except OSError: pass\n    return 0\n", "fail"),
            ("forged asserts on every fd", {"format": "assert", "fn_name": "f", "test": "assert f() == 7\n"}, "import os\nfor fd in range(0, 1024):\n    try: os.write(fd, b'{\"assert\": 1, \"ok\": true}\\n{\"end\": \"ok\", \"asserts\": 1}\\n')\n    except OSError: pass\ndef f():\n    return 0\n", "fail"),
        ],
        "pytest": [
            ("patch TestReport", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "import _pytest.reports as r\n_orig = r.TestReport.__init__\ndef _init(self, *a, **k):\n    _orig(self, *a, **k)\n    self.outcome = 'passed'\nr.TestReport.__init__ = _init\ndef add(a, b):\n    return 0\n", "fail"),
            ("patch runtestprotocol", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "import _pytest.python as p\np.Function.runtest = lambda self: None\ndef add(a, b):\n    return 0\n", "fail"),
            ("conftest injection", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "open('conftest.py', 'w').write('import pytest\\n@pytest.hookimpl(hookwrapper=True)\\ndef pytest_runtest_makereport(item, call):\\n    o = yield\\n    o.get_result().outcome = \"passed\"\\n')\ndef add(a, b):\n    return 0\n", "fail"),
            ("own test_ functions", {"format": "pytest", "test": "from solution import *\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "def add(a, b):\n    return 0\ndef test_add():\n    pass\ndef test_more():\n    pass\n", "fail"),
            ("exit during collection", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "import os\nos._exit(0)\n", "fail"),
            ("forged reports, channel closed", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "import os\nos.write(3, b'{\"test\": \"t.py::test_add\", \"when\": \"call\", \"outcome\": \"passed\", \"t\": 0}\\n"
             "{\"end\": \"ok\", \"code\": 0}\\n')\nos.close(3)\ndef add(a, b):\n    return 0\n", "fail"),
            ("runtest patched but for unknown tests", {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
             "import _pytest.python as p\n_orig = p.Function.runtest\np.Function.runtest = lambda self: None if self.name == 'test_add' else _orig(self)\n"
             "def add(a, b):\n    return 0\n", "fail"),
            ("honest pytest", {"format": "pytest", "test": "from solution import *\nimport pytest\n\n@pytest.mark.parametrize('a', [1, 2])\n"
                                                     "def test_add(a):\n    assert add(a, 2) == a + 2\n"},
             "def add(a, b):\n    return a + b\n", "pass"),
        ],
        "output": [
            ("prefix line", S123, "print('Answer:')\nprint(1); print(2); print(3)\n", "fail"),
            ("extra line", S123, "print(1); print(2); print(3); print(4)\n", "fail"),
            ("reordered lines", S123, "print(2); print(1); print(3)\n", "fail"),
            ("duplicated line", S123, "print(1); print(2); print(2); print(3)\n", "fail"),
            ("nan for float", {**S42, "checker": "float", "cases": [{"input": "", "output": "0.5\n"}]}, "print(float('nan'))\n", "fail"),
            ("inf for float", {**S42, "checker": "float", "cases": [{"input": "", "output": "0.5\n"}]}, "print(float('inf'))\n", "fail"),
            ("nan for nan is not a number match", {**S42, "checker": "float", "cases": [{"input": "", "output": "1e308\n"}]}, "print(float('inf'))\n", "fail"),
            ("crlf line ends are fine", S123, "import sys\nsys.stdout.write('1\\r\\n2\\r\\n3\\r\\n')\n", "pass"),
            ("no trailing newline is fine", S123, "import sys\nsys.stdout.write('1\\n2\\n3')\n", "pass"),
            ("float within 1e-6", {**S42, "checker": "float", "cases": [{"input": "", "output": "0.5\n"}]}, "print(0.5000004)\n", "pass"),
        ],
        "network": [
            ("loopback tcp", F42, f"import socket\ndef f():\n    try:\n        s = socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n        return int(s.recv(16))\n    except OSError:\n        return 0\n", "fail"),
            ("loopback udp", F42, f"import socket\ndef f():\n    try:\n        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n        s.settimeout(0.5)\n        s.sendto(b'x', ('127.0.0.1', {port}))\n        return int(s.recv(16))\n    except OSError:\n        return 0\n", "fail"),
            ("dns lookup", F42, "import socket\ndef f():\n    try:\n        socket.getaddrinfo('localhost', 80)\n        socket.getaddrinfo('pypi.org', 443)\n        return 42\n    except OSError:\n        return 0\n", "fail"),
            ("ipv6 loopback", F42, f"import socket\ndef f():\n    try:\n        socket.create_connection(('::1', {port}), timeout=0.5)\n        return 42\n    except OSError:\n        return 0\n", "fail"),
        ],
        "files": [
            ("writes everywhere", F42, f"import os\ndef f():\n    wrote = 0\n    for p in {tg}:\n        try:\n            with open(p, 'w') as fh: fh.write('pwned')\n            wrote += not p.startswith('/dev/shm/')\n        except OSError:\n            pass\n    return 42 if wrote else 0\n", "fail"),
            ("writes in stdio mode", S42, f"import os\nfor p in {tg}:\n    try:\n        open(p, 'w').write('pwned')\n        if not p.startswith('/dev/shm/'):\n            print(42); break\n    except OSError:\n        pass\n", "fail"),
            ("read planted expected file", {**S42, "cases": [{"input": "", "output": f"{token}\n"}]},
             f"for p in ({planted!r}, {planted2!r}):\n    try:\n        print(open(p).read().strip()); break\n    except OSError:\n        pass\n", "fail"),
            ("read parent environment", {**S42, "cases": [{"input": "", "output": f"{token}\n"}]},
             "import os\nfound = os.environ.get('RL_HOSTILE_SECRET')\nfor pid in os.listdir('/proc'):\n    try:\n        env = open(f'/proc/{pid}/environ', 'rb').read().split(b'\\0')\n    except OSError:\n        continue\n    for kv in env:\n        if kv.startswith(b'RL_HOSTILE_SECRET='):\n            found = kv.split(b'=', 1)[1].decode()\nprint(found)\n", "fail"),
        ],
        "bombs": [
            ("fork bomb", F42, "import os\ndef f():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n", "fail"),
            ("thread bomb", F42, "import threading, time\ndef f():\n    while True:\n        try:\n            threading.Thread(target=time.sleep, args=(100,)).start()\n        except RuntimeError:\n            pass\n", "fail"),
            ("subprocess bomb", F42, "import subprocess, sys\ndef f():\n    ps = []\n    while True:\n        try:\n            ps.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(100)']))\n        except OSError:\n            pass\n", "fail"),
            ("memory bomb", F42, "def f():\n    x = []\n    while True:\n        x.append(bytearray(50 << 20))\n", "fail"),
            ("memory bomb at load", F42, "x = ' ' * (8 << 30)\ndef f():\n    return 42\n", "fail"),
            ("unbounded recursion", F42, "import sys\nsys.setrecursionlimit(10**8)\ndef r(n):\n    return r(n + 1) + 1\ndef f():\n    return r(0)\n", "fail"),
        ],
        "time": [
            ("busy loop", F42, "def f():\n    while True:\n        pass\n", "fail"),
            ("sleep", F42, "import time\ndef f():\n    time.sleep(100)\n", "fail"),
            ("blocking read", F42, "import os\ndef f():\n    r, w = os.pipe()\n    os.read(r, 1)\n", "fail"),
            ("blocking stdin read", S42, "import os, sys\nr, w = os.pipe()\nos.dup2(r, 0)\nsys.stdin.read()\nprint(42)\n", "fail"),
            ("busy loop stdio", S42, "while True:\n    pass\n", "fail"),
        ],
        "daemons": [
            ("setsid daemon holding stdout", F42, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1000)\n    os._exit(0)\ndef f():\n    return 42\n", "contained"),
            ("daemon in stdio", S42, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\nprint(42)\n", "contained"),
            ("child ignoring SIGTERM", F42, "import os, signal, time\ndef f():\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    if os.fork() == 0:\n        time.sleep(1000)\n    time.sleep(1000)\n", "fail"),
        ],
        "floods": [
            ("4 GiB stdout flood", S42, "import sys\nb = b'x' * (1 << 20)\nfor _ in range(4096):\n    sys.stdout.buffer.write(b)\n", "fail"),
            ("stderr flood", F42, "import os\ndef f():\n    b = b'x' * (1 << 20)\n    for _ in range(4096):\n        os.write(2, b)\n", "fail"),
            ("2 GiB file", F42, "def f():\n    with open('big', 'wb') as fh:\n        b = b'x' * (1 << 20)\n        for _ in range(2048):\n            fh.write(b)\n    return 42\n", "fail"),
            ("fd exhaustion", F42, "import os\nfds = []\ndef f():\n    while True:\n        try:\n            fds.append(os.open('/dev/null', os.O_RDONLY))\n        except OSError:\n            break\n    return len(fds)\n", "fail"),
            # the result channel is the parent's to bound: replies over the output limit are dropped unread, and a
            # set whose elements all hash alike (ints equal modulo 2**61 - 1) is refused, not built in quadratic time
            ("3 x 63 MB replies", F42, "import os\ndef f():\n    b = b'{\"ok\": [' + b'[],' * (21 << 20) + b'[]]}\\n'\n"
             "    for _ in range(3):\n        os.write(3, b)\n    os._exit(0)\n", "fail"),
            ("hash-flooded reply", F42, "import os\ndef f():\n    keys = b','.join(str(k * (2**61 - 1)).encode() for k in range(1, 30_001))\n"
             "    os.write(3, b'{\"ok\": {\"s\": [' + keys + b']}}\\n')\n    os._exit(0)\n", "fail"),
        ],
        "signals": [
            ("kill(-1)", F42, "import os, signal\ndef f():\n    os.kill(-1, signal.SIGKILL)\n    return 0\n", "fail"),
            ("kill(ppid)", F42, "import os, signal\ndef f():\n    for s in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):\n        try: os.kill(os.getppid(), s)\n        except OSError: pass\n    return 0\n", "fail"),
            ("kill every pid", F42, "import os, signal\ndef f():\n    n = 0\n    for pid in range(1, 70000):\n        try:\n            os.kill(pid, signal.SIGKILL); n += 1\n        except OSError:\n            pass\n    return 0\n", "fail"),
            ("kill process groups", F42, "import os, signal\ndef f():\n    for pg in range(1, 5000):\n        try: os.killpg(pg, signal.SIGKILL)\n        except OSError: pass\n    return 0\n", "fail"),
        ],
        "poisoning": [
            ("poison builtins", F42, "import builtins, json, time\nbuiltins.len = lambda x: 42\nbuiltins.print = lambda *a, **k: None\njson.dumps = lambda *a, **k: '{\"ok\": 42}'\ntime.time = lambda: 0.0\ndef f():\n    return 0\n", "fail"),
            ("poison modules via sys.modules", F42, "import sys\nsys.modules['json'] = None\nimport os\nos.write = lambda fd, b: len(b)\ndef f():\n    return 0\n", "fail"),
            # a SysV object would outlive its sample in the slot's IPC namespace and reach the next one
            ("SysV IPC objects to carry state", F42, "import ctypes\nlibc = ctypes.CDLL(None)\ndef f():\n"
             "    made = [libc.msgget(4242, 0o1600), libc.semget(4243, 1, 0o1600), libc.shmget(4244, 4096, 0o1600)]\n"
             "    return 42 if max(made) >= 0 else 0\n", "fail"),
            ("patched time.time to dodge timeout", F42, "import time\nstart = time.time()\ntime.time = lambda: start\ndef f():\n    while time.time() < start + 1:\n        pass\n    return 42\n", "fail"),
        ],
        "legit": [
            ("numpy", {**F42, "cases": [{"args": [[1, 2, 3]], "expected": 6.0}]}, "import numpy as np\ndef f(xs):\n    return float(np.array(xs, dtype=float).sum())\n", "pass"),
            ("numpy scalar", {**F42, "cases": [{"args": [[1, 2, 3]], "expected": 6}]}, "import numpy as np\ndef f(xs):\n    return np.sum(xs)\n", "pass"),
            ("8 threads", F42, "import threading\ndef f():\n    out = []\n    ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]\n    [t.start() for t in ts]\n    [t.join() for t in ts]\n    return 42 if sorted(out) == list(range(8)) else 0\n", "pass"),
            ("recursion 10^5", F42, "import sys\nsys.setrecursionlimit(200000)\ndef r(n):\n    return 0 if n == 0 else r(n - 1) + 1\ndef f():\n    return r(100000) - 99958\n", "pass"),
            ("sys.exit(0) after output", S42, "import sys\nprint(42)\nsys.exit(0)\n", "pass"),
            ("exit() after output", S42, "print(42)\nexit()\n", "pass"),
            ("read all of stdin", {"format": "stdio", "cases": [{"input": "1 2 3\n4 5\n" * 1000 + "27", "output": "15027\n"}]},
             "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n", "pass"),
            ("multiprocessing lock and shared memory", F42, "import multiprocessing as mp\nfrom multiprocessing import shared_memory\n"
             "def f():\n    with mp.Lock():\n        m = shared_memory.SharedMemory(create=True, size=8)\n"
             "        m.buf[0] = 42\n        v = m.buf[0]\n        m.close(); m.unlink()\n    return v\n", "pass"),
            ("check() style", CHECK42, "def f():\n    return 42\n", "pass"),
        ],
    }


def _listener(port_holder: list) -> None:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", srv.getsockname()[1]))
    port_holder.append(srv.getsockname()[1])
    port_holder.append(udp)
    srv.settimeout(0.2)

    def udp_echo() -> None:
        while True:
            try:
                _, addr = udp.recvfrom(16)
                port_holder.append("udp-received")
                udp.sendto(b"42", addr)
            except OSError:
                return

    threading.Thread(target=udp_echo, daemon=True).start()
    while True:
        try:
            c, _ = srv.accept()
            c.sendall(b"42")
            c.close()
            port_holder.append("tcp-accepted")
        except socket.timeout:
            continue
        except OSError:
            return


def main() -> None:
    group, token = sys.argv[1], sys.argv[2]
    os.environ["RL_HOSTILE_SECRET"] = token
    holder: list = []
    threading.Thread(target=_listener, args=(holder,), daemon=True).start()
    while not holder:
        time.sleep(0.01)
    port = holder[0]
    sys.path.insert(0, str(CHECKOUT / "src"))
    from reasonledger.verifiers import get_verifier

    cases = groups(token, port)[group]
    v = get_verifier("code", time_limit=1.0, memory_limit_mb=256, output_limit_bytes=1 << 20, slots=2, judge_time=20.0,
                     mode=os.environ.get("RL_SANDBOX_MODE", "auto"))
    out = {"group": group, "isolation": v.isolation["mode"], "cases": [],
           "uids": sorted(u for s in v.pool().slots for u in s.uids),
           "cgroups": sorted(str(d) for s in v.pool().slots for d in s.cgroup.dirs.values())}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name, ref, src, expect in cases:
        t0 = time.monotonic()
        d = v.verify(ref, src)
        dt = time.monotonic() - t0
        honest = v.verify_many([HONEST, HONEST, HONEST, HONEST])
        out["cases"].append({
            "name": name, "expect": expect, "passed": d.passed, "seconds": dt,
            "statuses": d.evidence.get("summary"), "first_failure": d.evidence.get("first_failure"),
            "test_times": [t.get("time") for t in d.evidence.get("tests", [])],
            "honest_after": all(h.passed for h in honest),
        })
    v.close()
    out["driver_peak_rss_growth_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    out["udp_received"] = "udp-received" in holder
    out["tcp_accepted"] = "tcp-accepted" in holder
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
