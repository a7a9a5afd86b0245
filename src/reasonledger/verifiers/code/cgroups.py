"""Control groups for sandbox slots: pids and memory limits, OOM counts, kill-all, removal.

Works on cgroup v2 (unified) and on v1 or hybrid hosts (separate `pids` and `memory`
hierarchies). Groups are created under the cgroup this process is already in, so whatever
accounting the host applies to us applies to them too, and named `rl-<pid>-<n>` so that groups
left by a process that died can be found and removed.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_paths() -> dict[str, str]:
    """controller name (or '' for the unified hierarchy) -> this process's path in it."""
    out: dict[str, str] = {}
    try:
        text = Path("/proc/self/cgroup").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


def layout() -> dict:
    """Which hierarchies hold the pids and memory controllers, and where we sit in them."""
    own = _own_paths()
    v2_mount = None
    if (ROOT / "cgroup.controllers").exists():
        v2_mount = ROOT
    elif (ROOT / "unified" / "cgroup.controllers").exists():
        v2_mount = ROOT / "unified"
    info: dict = {"version": None, "pids": None, "memory": None}
    for ctl in ("pids", "memory"):
        v1 = ROOT / ctl
        if (v1 / "cgroup.procs").exists() and ctl in own and not (v1 / "cgroup.controllers").exists():
            info[ctl] = {"version": 1, "base": str(v1 / own[ctl].lstrip("/"))}
        elif v2_mount is not None and ctl in (v2_mount / "cgroup.controllers").read_text().split():
            info[ctl] = {"version": 2, "base": str(v2_mount / own.get("", "/").lstrip("/"))}
    versions = {info[c]["version"] for c in ("pids", "memory") if info[c]}
    info["version"] = versions.pop() if len(versions) == 1 else ("hybrid" if versions else None)
    return info


def available() -> tuple[bool, str]:
    """Whether pids and memory groups can be made here (root, both controllers reachable, writable)."""
    try:
        info = layout()
    except OSError as exc:
        return False, f"cgroup layout unreadable: {exc}"
    if not info["pids"] or not info["memory"]:
        return False, "pids or memory controller not mounted"
    try:
        g = SlotCgroup.create(pids_max=8, memory_max=64 << 20, name="probe")
    except OSError as exc:
        return False, f"cannot create a cgroup: {exc}"
    g.remove()
    return True, f"cgroup v{info['version']}"


@dataclass
class SlotCgroup:
    """One group (one directory per hierarchy) with a pids and a memory ceiling."""

    dirs: dict[str, Path]  # 'pids' / 'memory' -> directory (the same directory on v2)
    versions: dict[str, int]
    _oom_seen: int = 0
    _removed: bool = field(default=False, repr=False)
    _counters: dict = field(default_factory=dict, repr=False)  # file name -> fd open for pread: read after every run

    @classmethod
    def create(cls, pids_max: int, memory_max: int, name: str = "slot") -> "SlotCgroup":
        info = layout()
        leaf = f"rl-{os.getpid()}-{next(_counter)}-{name}"
        dirs: dict[str, Path] = {}
        versions: dict[str, int] = {}
        made: list[Path] = []
        try:
            for ctl in ("pids", "memory"):
                spec = info[ctl]
                if spec is None:
                    raise OSError(f"{ctl} controller not available")
                base = Path(spec["base"])
                if spec["version"] == 2:
                    _enable_v2(base, ctl)
                d = base / leaf
                if d not in made:
                    d.mkdir(exist_ok=True)
                    made.append(d)
                dirs[ctl] = d
                versions[ctl] = spec["version"]
            g = cls(dirs, versions)
            g._write("pids", "pids.max", str(pids_max))
            if versions["memory"] == 2:
                g._write("memory", "memory.max", str(memory_max))
                try:
                    g._write("memory", "memory.swap.max", "0")
                except OSError:
                    pass
            else:
                g._write("memory", "memory.limit_in_bytes", str(memory_max))
            g._oom_seen = g.oom_kills()
            return g
        except BaseException:
            for d in reversed(made):
                try:
                    d.rmdir()
                except OSError:
                    pass
            raise

    def _write(self, ctl: str, name: str, value: str) -> None:
        with open(self.dirs[ctl] / name, "w") as f:
            f.write(value)

    def _pread(self, ctl: str, name: str) -> bytes:
        """The file's content through an fd kept open (one pread: these are read after every run)."""
        fd = self._counters.get(name)
        if fd is None:
            fd = self._counters[name] = os.open(self.dirs[ctl] / name, os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(fd, 4096, 0)

    def _close_counters(self) -> None:
        for fd in self._counters.values():
            os.close(fd)
        self._counters.clear()

    def procs_files(self) -> list[str]:
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in set(self.dirs.values()):
            try:
                out.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(out)

    def pids_current(self) -> int:
        try:
            return int(self._pread("pids", "pids.current"))
        except (OSError, ValueError):
            return len(self.pids())

    def oom_kills(self) -> int:
        try:
            text = self._pread("memory", "memory.events" if self.versions["memory"] == 2 else "memory.oom_control")
        except OSError:
            return 0
        m = re.search(rb"^oom_kill (\d+)", text, re.M)
        return int(m.group(1)) if m else 0

    def new_oom_kills(self) -> int:
        """OOM kills since the last call."""
        now = self.oom_kills()
        delta, self._oom_seen = now - self._oom_seen, now
        return delta

    def kill_all(self) -> int:
        """SIGKILL every process in the group; returns how many were signalled."""
        n = 0
        for _ in range(50):
            victims = self.pids()
            if not victims:
                return n
            for p in victims:
                try:
                    os.kill(p, signal.SIGKILL)
                    n += 1
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        return n

    def remove(self, timeout: float = 5.0) -> bool:
        """Kill what is left, then remove the directories. True when they are gone."""
        if self._removed:
            return True
        self._close_counters()
        self.kill_all()
        deadline = time.monotonic() + timeout
        for d in set(self.dirs.values()):
            for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                _rmdir_killing(sub, deadline)
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        return False
                    self.kill_all()
                    time.sleep(0.02)
        self._removed = True
        return True


def _rmdir_killing(d: Path, deadline: float) -> None:
    """Remove a nested group (one a test left inside ours), killing its processes first."""
    while True:
        try:
            for p in (d / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _enable_v2(base: Path, ctl: str) -> None:
    try:
        current = (base / "cgroup.subtree_control").read_text().split()
        if ctl not in current:
            with open(base / "cgroup.subtree_control", "w") as f:
                f.write(f"+{ctl}")
    except OSError as exc:
        raise OSError(f"cannot enable {ctl} below {base}: {exc}") from exc


def sweep_stale() -> list[str]:
    """Remove empty `rl-<pid>-*` groups whose creating process no longer exists."""
    removed: list[str] = []
    try:
        info = layout()
    except OSError:
        return removed
    for ctl in ("pids", "memory"):
        spec = info.get(ctl)
        if not spec:
            continue
        base = Path(spec["base"])
        try:
            entries = list(base.glob("rl-*-*"))
        except OSError:
            continue
        for d in entries:
            m = re.match(r"rl-(\d+)-", d.name)
            if not m or not d.is_dir():
                continue
            pid = int(m.group(1))
            if pid == os.getpid() or Path(f"/proc/{pid}").exists():
                continue
            try:
                for p in (d / "cgroup.procs").read_text().split():
                    os.kill(int(p), signal.SIGKILL)
                time.sleep(0.05)
                d.rmdir()
                removed.append(str(d))
            except OSError:
                pass
    return removed
