"""The parent side of the sandbox: slots (warm workers, or a bubblewrap worker per sample) and runs.

A *run* is one or two test processes started together in one slot (a candidate, and for
assert-style tests a judge). The parent owns every pipe: it writes requests and stdin, reads
results, stdout and stderr into capped buffers, enforces wall time, kills, and after each run
checks that the slot's cgroup holds nothing but the worker.

Per run the parent sends the worker one control message (each process's job inline when it is
small, its pipes as fds) and gets one fixed-layout exit record per process back; each slot keeps
one epoll for all of it.
"""

from __future__ import annotations

import array
import atexit
import json
import marshal
import os
import queue
import secrets
import select
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

from reasonledger.verifiers.code import cgroups, runner
from reasonledger.verifiers.code.probe import LEVELS, bwrap_path, probe, sandbox_read_paths

HERE = Path(__file__).resolve().parent
MAX_CONTAINERS = 1 << 20  # lists and objects in one result message (each costs the parent ~60 bytes decoded)
INLINE_MAX = 1 << 16  # bytes of jobs carried in the control message; a larger run sends its jobs on fd 4
UID_BASE = 200_000  # every sandbox uid is at least this (host accounts are below)
_READ = ("stdout", "stderr", "result")
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp/work", "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


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
    res_over: bool = False  # a result message ran over: the rest of the channel is dropped unread


class Run:
    """One run in a slot: send requests, get events ("msg", "exit", "done", "timeout", "output_limit", "protocol")."""

    def __init__(self, slot: "Slot", children: list[ChildIO], limits: Limits):
        self.slot = slot
        self.children = children
        self.limits = limits
        self.events: list[tuple] = []
        self.done: dict | None = None
        self.killed = False
        self.t0 = time.monotonic()
        self.ep = slot.ep
        self.fdmap: dict[int, tuple[str, int]] = {}  # fd in the slot's epoll -> (what, child index)
        for i, c in enumerate(children):
            for name in _READ:
                fd = getattr(c, name)
                if fd is not None:
                    self.ep.register(fd, select.EPOLLIN)
                    self.fdmap[fd] = (name, i)
        slot._register(self)

    # -- writing ---------------------------------------------------------------------------
    def send(self, i: int, obj: Any) -> None:
        """One message to child i on its request pipe (the run must have been started with requests)."""
        c = self.children[i]
        if c.request is None:
            return
        c.pending_req += runner.frame(obj)
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
        if self.fdmap.pop(fd, None) is not None:
            self.ep.unregister(fd)
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
            except OSError:
                buf.clear()
                self._close(c, name)
                continue
            waiting = fd in self.fdmap
            if buf and not waiting:
                self.ep.register(fd, select.EPOLLOUT)
                self.fdmap[fd] = (name + "_w", i)
            elif not buf and waiting:
                del self.fdmap[fd]
                self.ep.unregister(fd)
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
            self._results(i, data)
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

    def _results(self, i: int, data: bytes) -> None:
        """Messages (JSON lines) from child i's result channel. Each is bounded before it is decoded:
        one longer than the output limit, or holding more than MAX_CONTAINERS lists and objects (every
        `[` and `{` counts, in strings too: a cheap, conservative bound on what decoding allocates),
        is an output_limit event and the rest of the channel is dropped, never read whole into memory.
        JSON object keys are strings, whose hashes are keyed (SipHash): keys that collide cannot be
        written to order, unlike the ints of the value encoding, which runner.decode checks."""
        c = self.children[i]
        start = 0
        while not c.res_over:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            if len(c.res_buf) + len(piece) > self.limits.output:
                self._result_over(c, i, f"a result message exceeded {self.limits.output} bytes")
                return
            if nl < 0:
                c.res_buf += piece
                return
            start = nl + 1
            line = bytes(c.res_buf) + piece if c.res_buf else piece
            c.res_buf.clear()
            if line.count(b"[") + line.count(b"{") > MAX_CONTAINERS:
                self._result_over(c, i, f"a result message held over {MAX_CONTAINERS} lists and objects")
                return
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                self.events.append(("protocol", i, "malformed result message"))
                continue
            self.events.append(("msg", i, obj, time.monotonic()))

    def _result_over(self, c: ChildIO, i: int, why: str) -> None:
        c.res_over = True
        c.res_buf = bytearray()
        self.events.append(("output_limit", i, "result channel", why))

    def _poll(self, timeout: float) -> bool:
        """Handle what is ready within `timeout` seconds (-1: wait); False when nothing was."""
        ready = self.ep.poll(timeout)
        for fd, _ in ready:
            what = self.fdmap.get(fd)
            if what is None:
                if fd != self.slot.ctrl_fd():
                    self.ep.unregister(fd)  # left by a run that was never finished
                continue
            kind, i = what
            if kind in _READ:
                if getattr(self.children[i], kind) == fd:
                    self._read(kind, i)
            elif kind == "ctrl":
                self.slot._on_event(self)
            else:
                self._flush_writes(i)
        return bool(ready)

    def next_event(self, deadline: float | None) -> tuple:
        """The next event, or ("timeout",) once `deadline` (monotonic) has passed. After the slot
        reports the run over, what is still in the pipes comes first, then ("done", info)."""
        while not self.events:
            if self.done is not None:
                if not self._poll(0):
                    return ("done", self.done)
                continue
            if deadline is None:
                self._poll(-1)
                continue
            wait = deadline - time.monotonic()
            if wait <= 0:
                # What reached the pipes before this thread looked (it may have waited for the GIL
                # while another sample's reply was decoded) counts: a timeout is only the process's.
                for _ in range(1024):  # bounded: a process still writing cannot hold the timeout off
                    if self.events or not self._poll(0):
                        break
                if not self.events:
                    return ("timeout",)
                break
            self._poll(wait)
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
        while any(getattr(c, n) is not None for c in self.children for n in _READ):
            wait = end - time.monotonic()
            if wait <= 0:
                break
            self._poll(min(wait, 0.05))
        for c in self.children:
            for n in ("stdin", "stdout", "stderr", "result", "request"):
                self._close(c, n)
        self.slot._unregister(self)
        return self.done or {"done": False}

    def remaining_messages(self, i: int) -> list[dict]:
        return [ev[2] for ev in self.events if ev[0] == "msg" and ev[1] == i]


def _launch(directory: Path | str) -> str:
    """`python -c` code that runs worker.py from its cached bytecode (a script is compiled at every start)."""
    return f"import sys; sys.path.insert(0, {str(directory)!r}); import worker; sys.path.pop(0); worker.main()"


def _site_packages() -> list[str]:
    """This interpreter's site-packages directories (not the checkout's src/), for a worker run with -S."""
    return [p for p in sys.path if p and "site-packages" in p and p.startswith(sys.prefix)]


def _out_pipe() -> tuple[int, int]:
    """A pipe the child writes: (child's end, parent's end)."""
    r, w = os.pipe()
    return w, r


def _in_pipe() -> tuple[int, int]:
    """A pipe the parent writes: (child's end, parent's end, which never blocks)."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    return r, w


_CORES = sorted(os.sched_getaffinity(0))  # the cores this process may use, read before any thread is pinned


@contextmanager
def _on_every_core() -> Iterator[None]:
    """The calling thread on every core while it starts a process: a sandbox inherits the affinity
    of the thread that starts it, and a test pinned to a busy core would wait for it."""
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, _CORES)
    try:
        yield
    finally:
        os.sched_setaffinity(0, mine)


def pin_thread(k: int, threads: int) -> None:
    """Keep the calling thread, the k-th of `threads` that drive slots, on core k when each can have
    a core of its own. Left to the scheduler, the slot threads of one process often share a core,
    waking each other and waiting for the GIL there while the other core idles. Only these threads
    are pinned: a sandbox runs on every core (_on_every_core)."""
    if threads > len(_CORES):
        return
    try:
        os.sched_setaffinity(0, {_CORES[k]})
    except OSError:  # the core was taken from this process since: stay unpinned
        pass


class Slot:
    """One place where tests run, one at a time: a locked-down worker that forks a process per test.

    This class starts the worker itself in new namespaces (the worker level); SpawnSlot starts
    it under bubblewrap, one per sample.
    """

    mode = "worker"
    worker_procs = 2  # processes of the slot in its cgroup between runs: the bootstrap and the worker

    def __init__(self, index: int, limits: Limits, uids: tuple[int, int]):
        self.index = index
        self.limits = limits
        self.uids = uids
        self.cgroup: cgroups.SlotCgroup | None = None
        self.proc: subprocess.Popen | None = None
        self.ctrl: socket.socket | None = None
        self.ep = select.epoll()
        self.lockdown: dict = {}
        self.runs_done = 0
        self._run: Run | None = None
        self._start()

    # -- the worker ------------------------------------------------------------------------
    def _config(self, ctrl_fd: int) -> tuple[dict, list[int]]:
        """The worker's configuration and the fds it inherits besides the control socket."""
        cfg = {"setup": "unshare", "ctrl_fd": ctrl_fd, "cgroup_procs": self.cgroup.procs_files(),
               "uids": {"cand": self.uids[0], "judge": self.uids[1]}, "read_paths": sandbox_read_paths(),
               "rw_files": ["/dev/null"], "scratch_bytes": self.limits.scratch, **self._common_config(), "warm": True}
        return cfg, []

    def _common_config(self) -> dict:
        # the rlimits but CPU time, which the worker holds for all its test processes
        held = {k: v for k, v in self.limits.rlimits(0).items() if k != "cpu"}
        return {"sys_path": _site_packages(), "msg_max": INLINE_MAX + 4096, "rlimits": runner.rlimits(held)}

    def _argv(self, cfg: dict) -> list[str]:
        # -S: no site module and .pth files, a smaller worker (every fork copies its page tables)
        return [sys.executable, "-I", "-S", "-B", "-c", _launch(HERE), marshal.dumps(cfg).hex()]

    def _start(self) -> None:
        if self.cgroup is None:
            self.cgroup = cgroups.SlotCgroup.create(self.limits.pids + 4, self.limits.memory + (64 << 20), name=f"w{self.index}")
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        extra: list[int] = []
        try:
            cfg, extra = self._config(child.fileno())
            with _on_every_core():
                self.proc = subprocess.Popen(self._argv(cfg), pass_fds=[child.fileno(), *extra], stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV, cwd="/")
        finally:
            child.close()
            for fd in extra:
                os.close(fd)
        self.ctrl = parent
        self.runs_done = 0
        parent.settimeout(30)
        try:
            hello = marshal.loads(parent.recv(1 << 20) or marshal.dumps({}))  # sent before any test ran
        except (OSError, ValueError, EOFError, TypeError) as exc:
            hello = {"ready": False, "error": str(exc)}
        parent.settimeout(None)
        if not isinstance(hello, dict) or not hello.get("ready"):
            self.close()
            error = hello.get("error", "no answer") if isinstance(hello, dict) else "bad answer"
            raise SandboxError(f"{self.mode} worker {self.index} failed to lock down: {error}")
        self.lockdown = hello["lockdown"]
        self.ep.register(parent.fileno(), select.EPOLLIN)

    def fresh(self) -> None:
        """Called when a sample borrows the slot; the warm worker serves every sample."""

    def restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        self._stop_worker()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def _stop_worker(self) -> None:
        """End the worker and everything in its cgroup; the cgroup stays, empty."""
        if self.ctrl is not None:
            try:
                self.ep.unregister(self.ctrl.fileno())
            except (KeyError, ValueError, OSError):
                pass
            self.ctrl.close()  # the worker sweeps its namespace and exits on EOF
            self.ctrl = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                if self.cgroup is not None:
                    self.cgroup.kill_all()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self.cgroup is not None and self.cgroup.pids_current():
            self.cgroup.kill_all()

    # -- runs ------------------------------------------------------------------------------
    def start(self, roles: list[str], limits: Limits, jobs: list[dict | None] | None = None, stdin: bool = False,
              requests: bool = False) -> Run:
        """Start one process per role. jobs[i] is process i's first message (mode, source, ...); a
        candidate's travels with the start when small, any other on the request pipe. With
        `requests` the parent sends more messages later (Run.send); without, the process sees its
        requests end after the job."""
        if self._run is not None:  # a run its caller abandoned (an exception): end it first
            self._run.kill()
            self._run.finish()
        if self.proc is None or self.proc.poll() is not None:
            self.restart()
        rl = runner.rlimits(limits.rlimits(limits.time * 4 + 1))
        jobs = list(jobs or [None] * len(roles))
        # Only a candidate's job may pass through the worker: test processes are forked from it, and
        # a judge's (the test program, expected values in it) must not be in a candidate's memory.
        kids = [{"role": role, "rlimits": rl, "job": job if role == "cand" else None, "source": None}
                for role, job in zip(roles, jobs)]
        if len(marshal.dumps(kids)) > INLINE_MAX:
            for kid in kids:
                job, kid["job"] = kid["job"], None
                src = job.get("source") if job is not None and job.get("mode") in ("serve", "stdio") else None
                kid["source"] = src if src and len(src) <= INLINE_MAX // 2 else None  # still compiled by the worker
        piped = [job is not None and kid["job"] is None for kid, job in zip(kids, jobs)]
        send, ios = [], []
        try:
            for kid, job_piped in zip(kids, piped):
                has_req = requests or job_piped
                fds = [_in_pipe() if stdin else None, _out_pipe(), _out_pipe(), _out_pipe(), _in_pipe() if has_req else None]
                kid["fds"] = tuple(p is not None for p in fds)  # stdin, stdout, stderr, result, request
                send += [p[0] for p in fds if p is not None]
                ios.append(ChildIO(*(p[1] if p is not None else None for p in fds)))
            msg = b"R" + marshal.dumps(kids)
            self.ctrl.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", send))])
        except OSError as exc:
            for io in ios:
                for fd in (io.stdin, io.stdout, io.stderr, io.result, io.request):
                    if fd is not None:
                        os.close(fd)
            self.restart()
            raise SandboxError(f"{self.mode} worker {self.index} gone: {exc}") from exc
        finally:
            for fd in send:
                os.close(fd)
        run = Run(self, ios, limits)
        for i, job in enumerate(jobs):
            if piped[i]:
                run.send(i, job)
        return run

    def ctrl_fd(self) -> int:
        return self.ctrl.fileno() if self.ctrl is not None else -1

    def _register(self, run: Run) -> None:
        run.fdmap[self.ctrl.fileno()] = ("ctrl", -1)
        self._run = run

    def _unregister(self, run: Run) -> None:
        self._run = None
        self.runs_done += 1
        info = self.after_run()
        run.done = {**(run.done or {}), **info}

    def after_run(self) -> dict:
        """OOM count and a check that nothing but the worker is left in the cgroup."""
        info = {"oom_kills": 0, "leftover": 0}
        if self.cgroup is not None:
            info["oom_kills"] = self.cgroup.new_oom_kills()
            n = self.cgroup.pids_current()
            if n > self.worker_procs:
                info["leftover"] = n - self.worker_procs
                self.cgroup.kill_all()  # the worker too: the next start finds it gone and restarts
        return info

    def _on_event(self, run: Run) -> None:
        while True:
            try:
                data = self.ctrl.recv(256, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if len(data) != runner.EXIT.size:
                self._broken(run, "worker exited" if not data else "malformed worker message")
                return
            i, sig, code, maxrss, cpu, wall, swept = runner.EXIT.unpack(data)
            msg = {"exit": i, "maxrss_kb": maxrss, "cpu": cpu, "wall": wall}
            msg.update({"signal": sig} if sig else {"code": code})
            if 0 <= i < len(run.children):
                run.children[i].exit = msg
                run.events.append(("exit", i, msg))
            if swept >= 0:
                run.done = {"done": True, "swept": swept}
                return

    def _kill(self, run: Run) -> None:
        try:
            self.ctrl.send(b"K")
        except OSError:
            self._broken(run, "worker unreachable")

    def _broken(self, run: Run, why: str) -> None:
        run.done = {"done": True, "broken": why}
        for c in run.children:
            if c.exit is None:
                c.exit = {"signal": signal.SIGKILL, "broken": why}
        if self.ctrl is not None:
            run.fdmap.pop(self.ctrl.fileno(), None)
        if self.cgroup is not None:
            self.cgroup.kill_all()
        self.restart()


class SpawnSlot(Slot):
    """The fallback: bubblewrap makes the namespaces and mounts and runs the same worker as PID 1,
    a new one for every sample; the worker forks a process per test of that sample."""

    mode = "spawn"
    worker_procs = 1  # bubblewrap itself stays outside the cgroup

    def __init__(self, index: int, limits: Limits, uids: tuple[int, int], landlock: bool = True):
        self.bwrap = bwrap_path()
        if not self.bwrap:
            raise SandboxError("bubblewrap (bwrap) is not installed; run scripts/install-system-deps.sh")
        self.read_paths = sandbox_read_paths()
        self.use_landlock = landlock and probe()["landlock_abi"] >= 1
        self.use_seccomp = bool(probe()["seccomp"])
        super().__init__(index, limits, uids)
        self.lockdown = {"bwrap": self.bwrap, **self.lockdown, "pidns": True, "netns": True, "mountns": True}

    def _config(self, ctrl_fd: int) -> tuple[dict, list[int]]:
        cg = [os.open(p, os.O_WRONLY | os.O_CLOEXEC) for p in self.cgroup.procs_files()]
        cfg = {"setup": "bwrap", "ctrl_fd": ctrl_fd, "cgroup_fds": cg, "uids": {"cand": self.uids[0], "judge": self.uids[1]},
               "read_paths": self.read_paths + ["/rl"], "rw_files": ["/dev/null"], "landlock": self.use_landlock,
               "seccomp": self.use_seccomp, **self._common_config()}
        return cfg, cg

    def _argv(self, cfg: dict) -> list[str]:
        argv = [self.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--as-pid-1", "--die-with-parent", "--new-session"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE"):
            argv += ["--cap-add", cap]
        # The private /tmp comes before the read-only binds, so a venv under /tmp stays visible.
        argv += ["--tmpfs", "/tmp"]
        made: set[str] = {"/tmp"}
        bound: list[str] = []
        for p in self.read_paths:
            if p in ("/proc",) or p.startswith("/dev/") or any(p.startswith(b + "/") for b in bound):
                continue
            if os.path.islink(p) and p.count("/") == 1:  # merged /usr: /lib -> usr/lib, a symlink is cheaper than a mount
                argv += ["--symlink", os.readlink(p), p]
                continue
            parts = p.strip("/").split("/")
            for k in range(1, len(parts)):
                anc = "/" + "/".join(parts[:k])
                if anc not in made and not os.path.islink(anc):
                    made.add(anc)
                    argv += ["--perms", "0755", "--dir", anc]
            argv += ["--ro-bind", p, p]
            bound.append(p)
        argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.limits.scratch), "--perms", "1777", "--tmpfs", "/dev/shm",
                 "--dir", "/tmp/work",
                 "--chmod", "0777", "/tmp/work", "--ro-bind", str(HERE), "/rl", "--chdir", "/", "--clearenv",
                 *(a for name, value in _ENV.items() for a in ("--setenv", name, value)),
                 sys.executable, "-I", "-S", "-B", "-c", _launch("/rl"), marshal.dumps(cfg).hex()]
        return argv

    def fresh(self) -> None:
        """A sample gets a sandbox no other sample used (in the slot's cgroup, empty again)."""
        if self.runs_done:
            self._stop_worker()
            self._start()


class SandboxPool:
    """N slots of one mode; `with pool.slot() as s` borrows one. Closes itself at exit."""

    def __init__(self, slots: int | None = None, mode: str = "auto", limits: Limits | None = None,
                 min_level: str | int = "spawn"):
        from reasonledger.verifiers.code.probe import level_value

        self.limits = limits or Limits()
        self.report = dict(probe())
        cores = os.cpu_count() or 1
        want = level_value(min_level)
        cgroups.sweep_stale()
        # per-pool uids, random so that pools in different PID namespaces (same pid) do not share them
        base = UID_BASE + secrets.randbelow(50_000_000) * 16
        self.slots: list[Slot] = []
        errors: list[str] = []
        if mode in ("auto", "worker") and self.report["level_value"] >= LEVELS["worker"]:
            try:
                for i in range(slots or min(cores, 8)):
                    self.slots.append(Slot(i, self.limits, (base + 2 * i, base + 2 * i + 1)))
            except (SandboxError, OSError) as exc:
                errors.append(str(exc))
                for s in self.slots:
                    s.close()
                self.slots = []
        if not self.slots and mode in ("auto", "spawn") and self.report["bwrap"] and self.report["cgroup"]:
            try:
                # a spawn slot spends much of each sample starting its sandbox: twice the cores keep them busy
                for i in range(slots or min(2 * cores, 16)):
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
            s.fresh()
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
            except Exception:
                pass
        self.slots = []

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


_LIVE: "weakref.WeakSet[SandboxPool]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for p in list(_LIVE):
        p.close()
