"""10,000 hostile runs, then look for anything left behind: processes, cgroups, mounts, files.

The hostile runs execute inside the hostile tests' safety net (a cgroup with pids.max and
memory.max, a PID namespace); the checks run outside it, before and after.

    .venv/bin/python benchmarks/code_leakcheck.py [--runs 10000] [--mode worker|spawn]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "verifiers" / "code"))

F = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 7}]}  # no sample returns (or forges) 7
S = {"format": "stdio", "cases": [{"input": "", "output": "7\n"}]}
HOSTILE = [
    ("exit", F, "import os\nos._exit(0)\n"),
    ("always_equal", F, "class A(int):\n    def __eq__(s, o): return True\ndef f():\n    return A(0)\n"),
    ("fd_forgery", F, "import os\ndef f():\n    for fd in range(64):\n        try: os.write(fd, b'{\"ok\": 42}\\n')\n        except OSError: pass\n    return 0\n"),
    ("kill_all", F, "import os, signal\ndef f():\n    os.kill(-1, signal.SIGKILL)\n"),
    ("setsid_daemon", F, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\ndef f():\n    return 0\n"),
    ("fork_burst", F, "import os, time\ndef f():\n    for _ in range(200):\n        try:\n            if os.fork() == 0:\n                time.sleep(1000)\n        except OSError:\n            break\n    return 0\n"),
    ("file_writes", S, "import os\nfor p in ('/tmp/rl-leak', '/dev/shm/rl-leak', '/var/tmp/rl-leak', '/root/rl-leak', 'scratch-file'):\n    try: open(p, 'w').write('x' * 100000)\n    except OSError: pass\nprint(0)\n"),
    ("fd_exhaustion", F, "import os\ndef f():\n    n = 0\n    while True:\n        try: os.open('/dev/null', os.O_RDONLY); n += 1\n        except OSError: return n\n"),
    ("memory", F, "def f():\n    x = bytearray(400 << 20)\n    return len(x)\n"),
    ("network", F, "import socket\ndef f():\n    try:\n        socket.create_connection(('127.0.0.1', 22), timeout=0.2); return 42\n    except OSError:\n        return 0\n"),
]


def inside(runs: int, mode: str) -> None:
    from reasonledger.verifiers.code.verifier import CodeVerifier

    pairs = [(HOSTILE[i % len(HOSTILE)][1], HOSTILE[i % len(HOSTILE)][2]) for i in range(runs)]
    with CodeVerifier(mode=mode, time_limit=1.0, memory_limit_mb=256) as v:
        t0 = time.time()
        out = v.verify_many(pairs)
        dt = time.time() - t0
        passed = sum(x.passed for x in out)
        statuses = Counter(s for x in out for s in x.evidence["summary"])
        print(json.dumps({"runs": runs, "seconds": round(dt, 1), "runs_per_s": round(runs / dt, 1), "passed": passed,
                          "statuses": dict(statuses), "isolation": v.isolation["mode"]}))


def snapshot() -> dict:
    from reasonledger.verifiers.code.pool import UID_BASE

    procs = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout.splitlines()
    cgroups = sorted(str(p) for p in Path("/sys/fs/cgroup").rglob("rl-*") if p.is_dir())
    mounts = Path("/proc/self/mountinfo").read_text().count("\n")
    files = {d: sorted(os.listdir(d)) for d in ("/tmp", "/dev/shm", "/var/tmp", "/root", "/run") if os.path.isdir(d)}
    return {"sandbox_uid_procs": [p for p in procs if p.split() and int(p.split()[0]) >= UID_BASE],
            "nprocs": len(procs), "cgroups": cgroups, "mounts": mounts, "files": files}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--mode", default="worker")
    ap.add_argument("--inside", action="store_true")
    a = ap.parse_args()
    if a.inside:
        inside(a.runs, a.mode)
        return
    import safetynet

    before = snapshot()
    proc = safetynet.run([sys.executable, __file__, "--inside", "--runs", str(a.runs), "--mode", a.mode],
                         pids=1024, memory=4 << 30, timeout=3600, capture_output=True, text=True)
    time.sleep(0.5)
    after = snapshot()
    report = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": proc.stderr[-2000:]}
    leaks = {
        "sandbox_uid_processes": after["sandbox_uid_procs"],
        "new_cgroups": sorted(set(after["cgroups"]) - set(before["cgroups"])),
        "mount_count_change": after["mounts"] - before["mounts"],
        "new_files": {d: sorted(set(after["files"][d]) - set(before["files"][d])) for d in after["files"]},
    }
    leaks["new_files"] = {d: v for d, v in leaks["new_files"].items() if v}
    report["leaks"] = leaks
    report["clean"] = not leaks["sandbox_uid_processes"] and not leaks["new_cgroups"] and leaks["mount_count_change"] == 0 \
        and not any("rl-leak" in f for v in leaks["new_files"].values() for f in v)
    print(json.dumps(report, indent=1))
    sys.exit(0 if report["clean"] and report.get("passed") == 0 else 1)


if __name__ == "__main__":
    main()
