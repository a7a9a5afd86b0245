"""Isolation probe: which sandbox this machine can give, reported as a level.

Levels, strongest first:
  3 worker - warm worker pool: PID, network and mount namespaces, Landlock, seccomp deny-list,
             no_new_privs, a uid per slot, a cgroup with pids and memory limits, rlimits per test.
  2 spawn  - a bubblewrap sandbox per sample (namespaces, read-only binds, a uid; Landlock and
             seccomp where the kernel has them) inside a cgroup, forking a process per test.
  0 none   - nothing safe: untrusted code is refused.
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import lru_cache

from reasonledger.verifiers.code import cgroups, lockdown

LEVELS = {"none": 0, "spawn": 2, "worker": 3}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}


def level_value(name_or_value: str | int) -> int:
    if isinstance(name_or_value, int):
        return name_or_value
    if name_or_value not in LEVELS:
        raise ValueError(f"unknown isolation level {name_or_value!r}; one of {', '.join(LEVELS)}")
    return LEVELS[name_or_value]


def _can_unshare() -> tuple[bool, str]:
    pid = os.fork()
    if pid == 0:
        try:
            lockdown.unshare(lockdown.CLONE_NEWPID | lockdown.CLONE_NEWNET | lockdown.CLONE_NEWNS | lockdown.CLONE_NEWIPC)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return ok, "pid, net, mount, ipc namespaces" if ok else "unshare refused"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_read_paths() -> list[str]:
    """What a test may read: system directories and the interpreter's own prefixes, no more.

    The checkout's `src/` (on sys.path through an editable install) is deliberately absent.
    """
    paths = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc",
             "/sys/devices/system/cpu", "/dev/urandom", "/dev/random", "/dev/zero"]
    for p in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))):
        if p not in paths:
            paths.append(p)
    return [p for p in paths if os.path.exists(p)]


@lru_cache(maxsize=1)
def probe() -> dict:
    """Feature by feature, what this machine offers, and the strongest level it adds up to."""
    feats: dict = {"root": os.geteuid() == 0, "arch": "x86_64" if lockdown.X86_64 else "other"}
    feats["landlock_abi"] = lockdown.landlock_abi()
    feats["seccomp"] = lockdown.X86_64 and lockdown.seccomp_mode() >= 0
    ok, why = _can_unshare() if feats["root"] else (False, "not root")
    feats["namespaces"], feats["namespaces_note"] = ok, why
    if feats["root"]:
        cg_ok, cg_note = cgroups.available()
    else:
        cg_ok, cg_note = False, "not root"
    feats["cgroup"], feats["cgroup_note"] = cg_ok, cg_note
    feats["bwrap"] = bwrap_path()
    level = 0
    if feats["root"] and ok and cg_ok and feats["landlock_abi"] >= 1 and feats["seccomp"]:
        level = 3
    elif feats["bwrap"] and cg_ok:
        level = 2
    feats["level"] = LEVEL_NAMES.get(level, str(level))
    feats["level_value"] = level
    missing = []
    if not feats["root"]:
        missing.append("root (for namespaces, cgroups and per-slot uids)")
    if not ok:
        missing.append("namespaces")
    if not cg_ok:
        missing.append(f"cgroups ({cg_note})")
    if feats["landlock_abi"] < 1:
        missing.append("Landlock")
    if not feats["bwrap"]:
        missing.append("bubblewrap (spawn fallback; scripts/install-system-deps.sh)")
    feats["missing"] = missing
    return feats
