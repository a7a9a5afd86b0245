"""The parent side of the sandbox: slots (warm workers or bubblewrap spawns) and runs.

A *run* is one or two test processes started together in one slot (a candidate, and for
assert-style tests a judge). The parent owns every pipe: it writes requests and stdin, reads
results, stdout and stderr into capped buffers, enforces wall time, kills, and after each run
checks that the slot's cgroup holds nothing but the worker.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from reasonledger.verifiers.code import cgroups
from reasonledger.verifiers.code.probe import LEVELS, bwrap_path, probe, sandbox_read_paths

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"
RUNNER = HERE / "runner.py"
_MAX_LINE = 64 << 20


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code under test)."""


@dataclass
class Limits:
    time: float = 4.0  # wall seconds for one test (one call, one program run)
    memory: int = 1 << 30  # bytes, the slot's cgroup
    output: int = 8 << 20  # bytes of stdout (and of stderr) before "output limit"
    pids: int = 64
    fsize: int = 64 << 20
    nofile: int = 256
    scratch: int = 64 << 20

    def rlimits(self, cpu_seconds: float) -> dict:
        return {"cpu": int(cpu_seconds) + 2, "fsize": self.fsize, "nofile": self.nofile, "nproc": self.pids}


@dataclass
class ChildIO:
    stdin: int | None
    stdout: int | None
    stderr: int | None
    result: int | None
    request: int | None
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    out_total: int = 0
    err_total: int = 0
    res_buf: bytearray = field(default_factory=bytearray)
    pending_req: bytearray = field(default_factory=bytearray)
    pending_in: bytearray = field(default_factory=bytearray)
    close_in_after: bool = False
    exit: dict | None = None
    over_limit: bool = False


class Run:
    """One run in a slot: send requests, get events ("msg", "exit", "done", "timeout", "output_limit")."""

    def __init__(self, slot: "Slot", children: list[ChildIO], limits: Limits):
        self.slot = slot
        self.children = children
        self.limits = limits
        self.events: list[tuple] = []
        self.done: dict | None = None
        self.killed = False
        self.t0 = time.monotonic()
        self.sel = selectors.DefaultSelector()
        for i, c in enumerate(children):
            for name in ("stdout", "stderr", "result"):
                fd = getattr(c, name)
                if fd is not None:
                    os.set_blocking(fd, False)
                    self.sel.register(fd, selectors.EVENT_READ, (name, i))
            for name in ("stdin", "request"):
                fd = getattr(c, name)
                if fd is not None:
                    os.set_blocking(fd, False)
        slot._register(self)

    # -- writing ---------------------------------------------------------------------------
    def send(self, i: int, obj: Any) -> None:
        c = self.children[i]
        if c.request is None:
            return
        c.pending_req += (json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n").encode()
        self._flush_writes(i)

    def feed_stdin(self, i: int, data: bytes, close: bool = True) -> None:
        c = self.children[i]
        c.pending_in += data
        c.close_in_after = close
        self._flush_writes(i)

    def close_requests(self, i: int) -> None:
        c = self.children[i]
        if c.request is not None and not c.pending_req:
            self._close(c, "request")

    def _close(self, c: ChildIO, name: str) -> None:
        fd = getattr(c, name)
        if fd is None:
            return
        try:
            self.sel.unregister(fd)
        except (KeyError, ValueError):
            pass
        os.close(fd)
        setattr(c, name, None)

    def _flush_writes(self, i: int) -> None:
        c = self.children[i]
        for name, buf in (("request", c.pending_req), ("stdin", c.pending_in)):
            fd = getattr(c, name)
            if fd is None:
                buf.clear()
                continue
            try:
                while buf:
                    n = os.write(fd, buf[: 1 << 16])
                    del buf[:n]
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                buf.clear()
                self._close(c, name)
                continue
            want = bool(buf)
            try:
                key = self.sel.get_key(fd)
            except KeyError:
                key = None
            if want and key is None:
                self.sel.register(fd, selectors.EVENT_WRITE, (name + "_w", i))
            elif not want and key is not None:
                self.sel.unregister(fd)
            if name == "stdin" and not buf and c.close_in_after:
                self._close(c, "stdin")

    # -- reading ---------------------------------------------------------------------------
    def _read(self, kind: str, i: int) -> None:
        c = self.children[i]
        fd = getattr(c, kind)
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(c, kind)
            return
        if kind == "result":
            c.res_buf += data
            while True:
                nl = c.res_buf.find(b"\n")
                if nl < 0:
                    if len(c.res_buf) > _MAX_LINE:
                        c.res_buf.clear()
                        self.events.append(("protocol", i, "result message too long"))
                    return
                line = bytes(c.res_buf[:nl])
                del c.res_buf[: nl + 1]
                try:
                    obj = json.loads(line)
                except (ValueError, RecursionError):
                    self.events.append(("protocol", i, "malformed result message"))
                    continue
                self.events.append(("msg", i, obj, time.monotonic()))
        else:
            buf = c.out if kind == "stdout" else c.err
            total = c.out_total + len(data) if kind == "stdout" else c.err_total + len(data)
            room = self.limits.output - len(buf)
            if room > 0:
                buf += data[:room]
            if kind == "stdout":
                c.out_total = total
            else:
                c.err_total = total
            if total > self.limits.output and not c.over_limit:
                c.over_limit = True
                self.events.append(("output_limit", i, kind))

    def next_event(self, deadline: float | None) -> tuple:
        """The next event, or ("timeout",) once `deadline` (monotonic) has passed."""
        while not self.events:
            if self.done is not None:
                return ("done", self.done)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return ("timeout",)
            wait = None if deadline is None else max(0.0, deadline - now)
            for key, _ in self.sel.select(wait):
                kind, i = key.data
                if kind in ("stdout", "stderr", "result"):
                    self._read(kind, i)
                elif kind in ("request_w", "stdin_w"):
                    self._flush_writes(i)
                else:
                    self.slot._on_event(self, key)
        return self.events.pop(0)

    def kill(self) -> None:
        if not self.killed and self.done is None:
            self.killed = True
            self.slot._kill(self)

    def finish(self, grace: float = 3.0) -> dict:
        """Kill what still runs, wait for the slot to report the run over, drain pipes."""
        for i in range(len(self.children)):
            self.close_requests(i)
        deadline = time.monotonic() + grace
        while self.done is None:
            ev = self.next_event(deadline)
            if ev[0] == "timeout":
                if not self.killed:
                    self.kill()
                    deadline = time.monotonic() + grace
                    continue
                self.slot._broken(self, "slot did not report the end of a run")
                break
            if ev[0] == "done":
                break
        # every process of the run is gone now: pipes reach EOF promptly
        end = time.monotonic() + 1.0
        while any(getattr(c, n) is not None for c in self.children for n in ("stdout", "stderr", "result")):
            if time.monotonic() > end:
                break
            for key, _ in self.sel.select(0.05):
                kind, i = key.data
                if kind in ("stdout", "stderr", "result"):
                    self._read(kind, i)
        for c in self.children:
            for n in ("stdin", "stdout", "stderr", "result", "request"):
                self._close(c, n)
        self.sel.close()
        self.slot._unregister(self)
        return self.done or {"done": False}

    def remaining_messages(self, i: int) -> list[dict]:
        return [ev[2] for ev in self.events if ev[0] == "msg" and ev[1] == i]


class Slot:
    """One place where tests run, one at a time."""

    index: int
    cgroup: cgroups.SlotCgroup | None
    mode: str
    lockdown: dict

    def start(self, roles: list[str], limits: Limits, stdin: bool = False, precompile: dict | None = None) -> Run:
        """Start one process per role. `precompile` maps role -> source the worker may compile
        before forking (an optimisation only: the process compiles it itself otherwise)."""
        raise NotImplementedError

    def _register(self, run: Run) -> None: ...
    def _unregister(self, run: Run) -> None: ...
    def _on_event(self, run: Run, key) -> None: ...
    def _kill(self, run: Run) -> None: ...
    def _broken(self, run: Run, why: str) -> None: ...
    def close(self) -> None: ...

    def after_run(self, expected_procs: int) -> dict:
        """Cgroup sweep and OOM count after a run."""
        info = {"oom_kills": 0, "leftover": 0}
        if self.cgroup is not None:
            info["oom_kills"] = self.cgroup.new_oom_kills()
            n = self.cgroup.pids_current()
            if n > expected_procs:
                info["leftover"] = n - expected_procs
                self.cgroup.kill_all(keep=self._keep_pids())
        return info

    def _keep_pids(self) -> tuple[int, ...]:
        return ()


def _pipes(stdin: bool) -> tuple[list[int], ChildIO]:
    """Five pipes; returns (child ends in fd order 0..4, parent ends)."""
    if stdin:
        in_r, in_w = os.pipe()
    else:
        in_r, in_w = os.open(os.devnull, os.O_RDONLY), None
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    req_r, req_w = os.pipe()
    return [in_r, out_w, err_w, res_w, req_r], ChildIO(in_w, out_r, err_r, res_r, req_w)


class WorkerSlot(Slot):
    mode = "worker"

    def __init__(self, index: int, limits: Limits, uids: tuple[int, int], preload: list[str] = ()):
        self.index = index
        self.limits = limits
        self.uids = uids
        self.preload = list(preload)
        self.cgroup = None
        self.proc: subprocess.Popen | None = None
        self.ctrl: socket.socket | None = None
        self.lockdown = {}
        self.runs_done = 0
        self._start()

    def _start(self) -> None:
        self.cgroup = cgroups.SlotCgroup.create(self.limits.pids + 4, self.limits.memory + (64 << 20), name=f"w{self.index}")
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cfg = {
            "ctrl_fd": child.fileno(),
            "cgroup_procs": self.cgroup.procs_files(),
            "uids": {"cand": self.uids[0], "judge": self.uids[1]},
            "read_paths": sandbox_read_paths(),
            "rw_files": ["/dev/null"],
            "scratch_bytes": self.limits.scratch,
            "preload": self.preload,
        }
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp/work", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(WORKER), json.dumps(cfg)],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, cwd="/",
        )
        child.close()
        self.ctrl = parent
        parent.settimeout(30)
        try:
            hello = json.loads(parent.recv(1 << 16) or b"{}")
        except (OSError, ValueError) as exc:
            hello = {"ready": False, "error": str(exc)}
        parent.settimeout(None)
        if not hello.get("ready"):
            self.close()
            raise SandboxError(f"worker {self.index} failed to lock down: {hello.get('error', 'no answer')}")
        self.lockdown = hello["lockdown"]

    def _keep_pids(self) -> tuple[int, ...]:
        return tuple(self.cgroup.pids()) if False else ()

    def start(self, roles: list[str], limits: Limits, stdin: bool = False, precompile: dict | None = None) -> Run:
        if self.proc is None or self.proc.poll() is not None:
            self.restart()
        kids, ios, fds = [], [], []
        for role in roles:
            cfds, io = _pipes(stdin)
            fds += cfds
            ios.append(io)
            kid = {"role": role, "limits": limits.rlimits(limits.time * 4 + 1)}
            src = (precompile or {}).get(role)
            if src and len(src) <= 32_000:
                kid["precompile"] = src
            kids.append(kid)
        try:
            socket.send_fds(self.ctrl, [json.dumps({"op": "run", "children": kids}).encode()], fds)
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            for io in ios:
                for fd in (io.stdin, io.stdout, io.stderr, io.result, io.request):
                    if fd is not None:
                        os.close(fd)
            self.restart()
            raise SandboxError(f"worker {self.index} gone: {exc}") from exc
        for fd in fds:
            os.close(fd)
        return Run(self, ios, limits)

    def _register(self, run: Run) -> None:
        run.sel.register(self.ctrl, selectors.EVENT_READ, ("ctrl", -1))
        self._run = run

    def _unregister(self, run: Run) -> None:
        self._run = None
        self.runs_done += 1
        info = self.after_run(expected_procs=2)
        run.done = {**(run.done or {}), **info}

    def _on_event(self, run: Run, key) -> None:
        try:
            data = self.ctrl.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            self._broken(run, "worker exited")
            return
        msg = json.loads(data)
        if "exit" in msg:
            run.children[msg["exit"]].exit = msg
            run.events.append(("exit", msg["exit"], msg))
        if msg.get("done"):
            run.done = {"done": True, "swept": msg.get("swept", 0)}

    def _kill(self, run: Run) -> None:
        try:
            self.ctrl.send(b'{"op": "kill"}')
        except OSError:
            self._broken(run, "worker unreachable")

    def _broken(self, run: Run, why: str) -> None:
        run.done = {"done": True, "broken": why}
        for c in run.children:
            if c.exit is None:
                c.exit = {"signal": signal.SIGKILL, "broken": why}
        try:
            run.sel.unregister(self.ctrl)
        except (KeyError, ValueError):
            pass
        self.restart()

    def restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self.ctrl is not None:
            try:
                self.ctrl.close()
            except OSError:
                pass
            self.ctrl = None
        if self.cgroup is not None:
            self.cgroup.kill_all()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


class SpawnSlot(Slot):
    """The fallback: each test process is `bwrap ... python -I runner.py` inside the slot's cgroup."""

    mode = "spawn"

    def __init__(self, index: int, limits: Limits, uids: tuple[int, int], landlock: bool = True):
        self.index = index
        self.limits = limits
        self.uids = uids
        self.bwrap = bwrap_path()
        if not self.bwrap:
            raise SandboxError("bubblewrap (bwrap) is not installed; run scripts/install-system-deps.sh")
        self.cgroup = cgroups.SlotCgroup.create(limits.pids + 4, limits.memory + (32 << 20), name=f"s{index}")
        self.read_paths = sandbox_read_paths()
        self.landlock = landlock and probe()["landlock_abi"] >= 1
        self.lockdown = {"bwrap": self.bwrap, "landlock": self.landlock, "seccomp": probe()["seccomp"], "netns": True,
                         "pidns": True, "mountns": True, "no_new_privs": True}
        self._procs: dict[int, tuple[int, subprocess.Popen]] = {}

    def _argv(self, role: str, limits: Limits, fds: tuple[int, int]) -> list[str]:
        uid = self.uids[0] if role == "cand" else self.uids[1]
        spec = {"uid": uid, "gid": uid, "cwd": "/tmp/work" if role == "cand" else "/", "fds": list(fds),
                "sys_path": [p for p in sys.path if p and "site-packages" in p and p.startswith(sys.prefix)],
                "limits": limits.rlimits(limits.time * 4 + 1),
                "lockdown": {"landlock": self.landlock, "seccomp": self.lockdown["seccomp"],
                             "read": self.read_paths + ["/rl"], "write": ["/tmp/work"], "files": ["/dev/null"]}}
        argv = [self.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        made: set[str] = set()
        for p in self.read_paths:
            if p in ("/proc",) or p.startswith("/dev/"):
                continue
            parts = p.strip("/").split("/")
            for k in range(1, len(parts)):
                anc = "/" + "/".join(parts[:k])
                if anc not in made and not os.path.islink(anc):
                    made.add(anc)
                    argv += ["--perms", "0755", "--dir", anc]
            argv += ["--ro-bind", p, p]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/work",
                 "--chmod", "0777", "/tmp/work", "--ro-bind", str(HERE), "/rl", "--chdir", "/",
                 "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
                 "--setenv", "HOME", "/tmp/work", "--setenv", "PYTHONHASHSEED", "0",
                 sys.executable, "-I", "-S", "-B", "/rl/runner.py", json.dumps(spec)]
        return argv

    def start(self, roles: list[str], limits: Limits, stdin: bool = False, precompile: dict | None = None) -> Run:
        ios = []
        procs = []
        for role in roles:
            cfds, io = _pipes(stdin)
            try:
                # a shell joins the slot's cgroup, then becomes bwrap: no preexec_fn, so Popen can vfork
                cg_files = self.cgroup.procs_files()
                shim = ['/bin/sh', '-c', 'n=$1; shift; while [ "$n" -gt 0 ]; do echo 0 > "$1" || exit 111; shift; n=$((n-1)); done; exec "$@"',
                        'sh', str(len(cg_files)), *cg_files]
                p = subprocess.Popen(shim + self._argv(role, limits, (cfds[3], cfds[4])), stdin=cfds[0], stdout=cfds[1],
                                     stderr=cfds[2], pass_fds=(cfds[3], cfds[4]), close_fds=True, env={}, cwd="/")
            finally:
                for fd in cfds:
                    os.close(fd)
            ios.append(io)
            procs.append(p)
        run = Run(self, ios, limits)
        for i, p in enumerate(procs):
            pidfd = os.pidfd_open(p.pid)
            self._procs[pidfd] = (i, p)
            run.sel.register(pidfd, selectors.EVENT_READ, ("pidfd", pidfd))
        run._spawn_t0 = time.monotonic()
        return run

    def _on_event(self, run: Run, key) -> None:
        pidfd = key.data[1]
        i, p = self._procs.pop(pidfd)
        run.sel.unregister(pidfd)
        os.close(pidfd)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = status
        msg = {"exit": i, "maxrss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime, "wall": time.monotonic() - run.t0}
        if os.WIFSIGNALED(status):
            msg["signal"] = os.WTERMSIG(status)
        else:
            code = os.WEXITSTATUS(status)
            # bwrap reports a child killed by signal N as exit 128+N
            if code > 128 and code - 128 in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV, signal.SIGXFSZ, signal.SIGABRT):
                msg["signal"] = code - 128
            else:
                msg["code"] = code
        run.children[i].exit = msg
        run.events.append(("exit", i, msg))
        if not any(v[1] is not None for v in self._procs.values()) and not self._procs:
            swept = self.cgroup.kill_all()
            run.done = {"done": True, "swept": swept}

    def _kill(self, run: Run) -> None:
        self.cgroup.kill_all()

    def _broken(self, run: Run, why: str) -> None:
        self.cgroup.kill_all()
        for pidfd, (i, p) in list(self._procs.items()):
            try:
                run.sel.unregister(pidfd)
            except (KeyError, ValueError):
                pass
            os.close(pidfd)
            p.wait()
        self._procs.clear()
        run.done = {"done": True, "broken": why}

    def _unregister(self, run: Run) -> None:
        info = self.after_run(expected_procs=0)
        run.done = {**(run.done or {}), **info}

    def close(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


class SandboxPool:
    """N slots of one mode; `with pool.slot() as s` borrows one. Closes itself at exit."""

    def __init__(self, slots: int | None = None, mode: str = "auto", limits: Limits | None = None,
                 min_level: str | int = "spawn", preload: list[str] = ()):
        from reasonledger.verifiers.code.probe import level_value

        self.limits = limits or Limits()
        self.report = dict(probe())
        n = slots or max(1, min(os.cpu_count() or 1, 8))
        want = level_value(min_level)
        cgroups.sweep_stale()
        import secrets

        # per-pool uids, random so that pools in different PID namespaces (same pid) do not share them
        base = 200_000 + secrets.randbelow(50_000_000) * 16
        self.slots: list[Slot] = []
        errors: list[str] = []
        if mode in ("auto", "worker") and self.report["level_value"] >= LEVELS["worker"]:
            try:
                for i in range(n):
                    self.slots.append(WorkerSlot(i, self.limits, (base + 2 * i, base + 2 * i + 1), preload))
            except (SandboxError, OSError) as exc:
                errors.append(str(exc))
                for s in self.slots:
                    s.close()
                self.slots = []
        if not self.slots and mode in ("auto", "spawn") and self.report["bwrap"] and self.report["cgroup"]:
            try:
                for i in range(n):
                    self.slots.append(SpawnSlot(i, self.limits, (base + 2 * i, base + 2 * i + 1)))
            except (SandboxError, OSError) as exc:
                errors.append(str(exc))
                for s in self.slots:
                    s.close()
                self.slots = []
        self.mode = self.slots[0].mode if self.slots else "none"
        self.level = LEVELS[self.mode]
        self.report.update({"mode": self.mode, "level": self.mode, "level_value": self.level, "slots": len(self.slots),
                            "errors": errors, "lockdown": self.slots[0].lockdown if self.slots else {}})
        if self.level < want or not self.slots:
            for s in self.slots:
                s.close()
            self.slots = []
            raise SandboxError(
                f"isolation level {self.mode!r} is below the required {min_level!r}; refusing to run untrusted code "
                f"(missing: {', '.join(self.report.get('missing', [])) or '-'}; errors: {'; '.join(errors) or '-'})"
            )
        self._free: queue.Queue[Slot] = queue.Queue()
        for s in self.slots:
            self._free.put(s)
        self._closed = False
        self._lock = threading.Lock()
        _LIVE.add(self)

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        if self._closed:
            raise SandboxError("pool is closed")
        s = self._free.get()
        try:
            yield s
        finally:
            self._free.put(s)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for s in self.slots:
            try:
                s.close()
            except Exception:  # noqa: BLE001
                pass
        self.slots = []

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


_LIVE: "weakref.WeakSet[SandboxPool]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for p in list(_LIVE):
        p.close()
