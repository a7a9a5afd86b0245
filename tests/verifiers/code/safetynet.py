"""A safety net for hostile tests: a cgroup (pids.max, memory.max) plus a PID namespace around a command.

`python safetynet.py [--pids N] [--memory BYTES] [--timeout S] -- CMD...` runs CMD as PID 1's child
in a fresh PID namespace (util-linux `unshare --pid --fork --mount-proc --kill-child`) inside a
new cgroup. When CMD ends (or the timeout passes) everything left in the cgroup is killed and the
cgroup removed, so a sandbox that fails can fail the test but not the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))
from reasonledger.verifiers.code.cgroups import SlotCgroup


def run(cmd: list[str], pids: int = 256, memory: int = 4 << 30, timeout: float = 300.0, **kw) -> subprocess.CompletedProcess:
    net = SlotCgroup.create(pids_max=pids, memory_max=memory, name="net")
    fds = [os.open(p, os.O_WRONLY) for p in net.procs_files()]

    def join() -> None:
        for fd in fds:
            os.write(fd, b"0")

    try:
        return subprocess.run(
            ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", *cmd],
            preexec_fn=join, timeout=timeout, **kw,
        )
    finally:
        for fd in fds:
            os.close(fd)
        net.kill_all()
        if not net.remove():
            print(f"safetynet: could not remove {net.dirs}", file=sys.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pids", type=int, default=256)
    ap.add_argument("--memory", type=int, default=4 << 30)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    sys.exit(run(cmd, a.pids, a.memory, a.timeout).returncode)
