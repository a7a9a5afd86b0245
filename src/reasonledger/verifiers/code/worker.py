"""The sandbox worker: locks itself down once, then forks one process per test.

Run by the pool as `python -I -S -c "import worker; worker.main()" CONFIG` (marshal, hex) with
its control socket on `ctrl_fd`; standard library only (it imports its siblings `lockdown` and
`runner` by path, before lock-down, and with them everything a test process needs, so a forked
test imports nothing).
Its imports are the C modules where the Python wrappers would pull in enum or re: the spawn
fallback starts one worker per sample, and interpreter start-up is most of what that costs.

Start-up, setup "unshare" (the worker level), as root in the host namespaces:
  1. join the slot's cgroups (pids, memory), so everything below is counted and capped;
  2. unshare PID, network, mount, IPC and UTS namespaces and fork: the child is PID 1 of the new
     PID namespace (the worker proper); signals from inside a namespace do not reach its init,
     so kill(-1) or kill(ppid) from a test cannot end the worker, and kill(-1) *by* the worker
     sweeps every process a test left behind, setsid daemons included;
  3. private mounts: a fresh /proc (only this namespace, hidepid=2), tmpfs over /tmp, /var/tmp,
     /dev/shm and /run (a test's files vanish with the worker), one scratch directory;
  4. no_new_privs, Landlock (system paths read-only, scratch writable, TCP denied, signals
     scoped), seccomp deny-list. The network namespace has no interface up.
Setup "bwrap" (the spawn fallback): bubblewrap already made the namespaces and mounts and runs
this as PID 1 (--as-pid-1); the worker joins the cgroups through files the parent opened, then
step 4 with what the kernel offers.

Per run (one message may start two processes, e.g. a judge and a candidate): fork, put the fds
the parent sent on 0-4 (the worker's /dev/null where none was sent), close every other fd,
the CPU rlimit (the worker holds the others for its test processes), drop to the role's uid,
run `runner.child_main`. When every process of the run has exited (or on kill), kill(-1)
everything else in the namespace, reap, wipe the scratch directory and /dev/shm, report.

Control messages, parent to worker: b"R" + marshal(run), b"K" (kill the run).
Worker to parent: a marshal hello (sent before any test runs), then one EXIT record per test
process (a fixed layout: nothing the parent parses after that can be shaped by a test).
"""

from __future__ import annotations

import _signal
import _socket
import gc
import marshal
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdown
import runner

sys.path.pop(0)

SCRATCH = "/tmp/work"
SHM = "/dev/shm"  # writable too (multiprocessing's locks and shared memory live there), wiped like the scratch
_FDS_MAX = 16
_RUN, _KILL = b"RK"  # the first byte of a control message
_LAST: list = [None, None]  # the last candidate source compiled, and its code


def _send(ctrl: _socket.socket, obj: dict) -> None:
    ctrl.send(marshal.dumps(obj))


def _private_mounts(cfg: dict) -> dict:
    done: dict = {}
    lockdown.mount(None, "/", None, lockdown.MS_REC | lockdown.MS_PRIVATE)
    lockdown.mount("proc", "/proc", "proc", lockdown.MS_NOSUID | lockdown.MS_NODEV | lockdown.MS_NOEXEC, "hidepid=2")
    done["proc"] = True
    size = int(cfg.get("scratch_bytes", 64 << 20))
    flags = lockdown.MS_NOSUID | lockdown.MS_NODEV
    options = f"size={size},nr_inodes=4096,mode=1777"
    # /run first: it holds the staging points for read paths that live below the other tmpfs
    # mounts (an interpreter or venv under /tmp), which are bound back read-only on top of them.
    for i, d in enumerate(("/run", "/tmp", "/var/tmp", "/dev/shm")):
        if not os.path.isdir(d):
            continue
        below = [p for p in cfg["read_paths"] if p.startswith(d + "/") and os.path.exists(p)]
        if below and d != "/run":
            lockdown.reexpose_under_tmpfs(d, below, f"/run/.rl-keep{i}", options)
        else:
            lockdown.mount("tmpfs", d, "tmpfs", flags, options)
        done[d] = True
    hidden: dict[str, list[str]] = {}
    for path in cfg["read_paths"]:
        anc = lockdown.hidden_ancestor(path)
        if anc and os.path.exists(path):
            hidden.setdefault(anc, []).append(path)
    for anc, keep in hidden.items():
        lockdown.reexpose_under_tmpfs(anc, keep, "/run/.rl-stage")
    done["reexposed"] = hidden
    os.mkdir(SCRATCH, 0o700)
    uid = cfg["uids"]["cand"]
    os.chown(SCRATCH, uid, uid)
    return done


def _lock(cfg: dict) -> dict:
    info: dict = {"netns": True, "pidns": True, "mountns": True}
    if cfg["setup"] == "unshare":
        info["mounts"] = _private_mounts(cfg)
    else:
        info["bwrap"] = True
    lockdown.set_no_new_privs()
    info["no_new_privs"] = True
    if cfg.get("landlock", True):
        info["landlock"] = lockdown.landlock_restrict(
            read_paths=cfg["read_paths"], write_paths=_writable(), rw_files=cfg.get("rw_files", [])
        )
    if cfg.get("seccomp", True):
        info["seccomp"] = lockdown.seccomp_apply()
    return info


def _writable() -> list[str]:
    return [SCRATCH] + ([SHM] if os.path.isdir(SHM) else [])


def _wipe_writable() -> None:
    """Empty the scratch directory and /dev/shm, so nothing a test wrote reaches the next one."""
    for top in _writable():
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    _rmtree(e.path)
                else:
                    os.unlink(e.path)
            except OSError:
                pass


def _rmtree(path: str) -> None:
    # imported only when a test left a directory: shutil pulls in re, enum, bz2 and lzma, which the worker does not load
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _sweep() -> int:
    """Kill and reap everything in the namespace but this process; returns how many were reaped."""
    try:
        os.kill(-1, _signal.SIGKILL)
    except ProcessLookupError:
        pass
    reaped = 0
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return reaped
        except InterruptedError:
            continue
        reaped += 1


def _prepare(kid: dict, uids: dict, held: set) -> dict:
    """The forked process's spec. The candidate's source (a job here is only ever a candidate's:
    the parent sends a judge its job directly) is compiled here, in the warm worker. Of its
    rlimits, the process sets those the worker does not hold already (the CPU time)."""
    job = kid.get("job")
    source = job.get("source") if job is not None and job.get("mode") in ("serve", "stdio") else kid.get("source")
    role = kid["role"]
    return {"job": job, "source": source, "code": _candidate_code(source) if source else None, "uid": uids[role],
            "gid": uids[role], "cwd": SCRATCH if role == "cand" else None,
            "rlimits": [p for p in kid["rlimits"] if tuple(p) not in held]}


def _candidate_code(source: str):
    """Compiled once per source: a stdio sample's cases (and a rerun after a timeout) share it. Only
    the last one is kept, so no other sample's code is in a test process's memory."""
    if _LAST[0] != source:
        _LAST[:] = [source, runner.compile_candidate(source)]
    return _LAST[1]


def _fork_test(spec: dict, fds: list[int]) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            # every fd received is >= 5 (the worker keeps 0-4 open), so no dup2 clobbers a source
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(5, 1 << 20)
            runner.child_main(spec)
        finally:
            os._exit(72)
    return pid


def serve(cfg: dict, ctrl: _socket.socket) -> None:
    uids = cfg["uids"]
    held = {tuple(p) for p in cfg["rlimits"]}
    devnull = os.open("/dev/null", os.O_RDWR)
    ctrl_fd = ctrl.fileno()
    ep = select.epoll()
    ep.register(ctrl_fd, select.EPOLLIN)
    anc = _socket.CMSG_SPACE(_FDS_MAX * 4)
    buf = bytearray(cfg["msg_max"])  # one buffer for every control message
    view, zeros = memoryview(buf), memoryview(bytes(len(buf)))
    if cfg.get("warm"):  # a worker that serves many tests: worth a full collection first
        gc.collect()
    gc.freeze()  # fewer copy-on-write page faults in each forked test
    kids: dict[int, tuple[int, int]] = {}  # pidfd -> (index, pid)
    t0 = 0.0
    while True:
        for fd, _ in ep.poll():
            if fd == ctrl_fd:
                try:
                    n, ancdata, _flags, _addr = ctrl.recvmsg_into([buf], anc)
                except OSError:
                    n, ancdata = 0, []
                fds: list[int] = []
                for level, kind, payload in ancdata:
                    if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                        fds += struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4])
                if not n:
                    _sweep()
                    return
                op = buf[0]
                if op == _RUN:
                    t0 = time.monotonic()
                    pos = 0
                    run = marshal.loads(view[1:n])
                    view[:n] = zeros[:n]  # the message is decoded: no later test process finds it in the buffer
                    for i, kid in enumerate(run):
                        spec = _prepare(kid, uids, held)
                        mine = []
                        for sent in kid["fds"]:  # stdin, stdout, stderr, result, request
                            mine.append(fds[pos] if sent else devnull)
                            pos += sent
                        pid = _fork_test(spec, mine)
                        pidfd = os.pidfd_open(pid)
                        kids[pidfd] = (i, pid)
                        ep.register(pidfd, select.EPOLLIN)
                elif op == _KILL:
                    try:
                        os.kill(-1, _signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                for f in fds:
                    os.close(f)
            else:
                i, pid = kids.pop(fd)
                ep.unregister(fd)
                os.close(fd)
                _, status, ru = os.wait4(pid, 0)
                swept = -1
                if not kids:
                    swept = _sweep()
                    _wipe_writable()
                sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
                code = 0 if sig else os.WEXITSTATUS(status)
                ctrl.send(runner.EXIT.pack(i, sig, code, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, time.monotonic() - t0, swept))


def _fill_low_fds() -> None:
    """Keep fds 0-4 open (on /dev/null), so every fd the worker receives or opens is >= 5."""
    for fd in range(5):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open("/dev/null", os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def _join_cgroups(cfg: dict) -> None:
    for path in cfg.get("cgroup_procs", []):
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    for fd in cfg.get("cgroup_fds", []):
        os.write(fd, b"0")
        os.close(fd)


def main() -> None:
    cfg = marshal.loads(bytes.fromhex(sys.argv[1]))
    # started with -S: what the site module would have given a program (site-packages, exit(), help())
    sys.path.extend(cfg.get("sys_path", []))
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    ctrl = _socket.socket(fileno=int(cfg["ctrl_fd"]))
    for sig in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
        _signal.signal(sig, _signal.SIG_DFL)
    try:
        _join_cgroups(cfg)
    except OSError as exc:
        _send(ctrl, {"ready": False, "error": f"joining the cgroup: {exc}"})
        return
    if cfg["setup"] == "unshare":
        try:
            lockdown.unshare(lockdown.CLONE_NEWPID | lockdown.CLONE_NEWNET | lockdown.CLONE_NEWNS | lockdown.CLONE_NEWIPC | lockdown.CLONE_NEWUTS)
        except OSError as exc:
            _send(ctrl, {"ready": False, "error": f"unshare: {exc}"})
            return
        pid = os.fork()
        if pid:
            # The bootstrap: outside the namespace, holds nothing, lives as long as the worker.
            ctrl.close()
            os.closerange(0, 3)
            while True:
                try:
                    os.waitpid(pid, 0)
                    break
                except InterruptedError:
                    continue
            os._exit(0)
        os.setsid()  # a session of its own, once: test processes only need a process group each
    try:
        lockdown.set_pdeathsig(_signal.SIGKILL)
        _fill_low_fds()
        os.setgroups([])  # test processes inherit no supplementary groups
        runner.apply_rlimits(cfg["rlimits"])  # and these limits (not the CPU time: the worker's own would count)
        if cfg.get("warm"):
            runner.warm_up()
        runner.prepare_stdio()
        info = _lock(cfg)
        _send(ctrl, {"ready": True, "lockdown": info})
    except Exception as exc:
        _send(ctrl, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    serve(cfg, ctrl)
    os._exit(0)
