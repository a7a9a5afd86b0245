"""The warm sandbox worker: locks itself down once, then forks one process per test.

Run by the pool as `python -I worker.py CONFIG_JSON` with its control socket on fd 3; standard
library only (it imports its siblings `lockdown` and `runner` by path, before lock-down).

Start-up, as root in the host namespaces:
  1. join the slot's cgroups (pids, memory), so everything below is counted and capped;
  2. unshare PID, network, mount, IPC and UTS namespaces and fork: the child is PID 1 of the new
     PID namespace (the worker proper); signals from inside a namespace do not reach its init,
     so kill(-1) or kill(ppid) from a test cannot end the worker, and kill(-1) *by* the worker
     sweeps every process a test left behind, setsid daemons included;
  3. private mounts: a fresh /proc (only this namespace, hidepid=2), tmpfs over /tmp, /var/tmp,
     /dev/shm and /run (a test's files vanish with the worker), one scratch directory;
  4. no_new_privs, Landlock (system paths read-only, scratch writable, TCP denied, signals
     scoped), seccomp deny-list. The network namespace has no interface up.
Per test (one `run` message may start two processes, e.g. a judge and a candidate): fork, put
the pipes the parent sent on fds 0-4, close every other fd, rlimits, drop to the role's uid,
run `runner.child_main`. When every process of the run has exited (or on `kill`), kill(-1)
everything else in the namespace, reap, wipe the scratch directory, report.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockdown  # noqa: E402
import runner  # noqa: E402

sys.path.pop(0)

SCRATCH = "/tmp/work"


def _send(ctrl: socket.socket, obj: dict) -> None:
    ctrl.send(json.dumps(obj).encode())


def _status(status: int) -> dict:
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status)}


def _private_mounts(cfg: dict) -> dict:
    done: dict = {}
    lockdown.mount(None, "/", None, lockdown.MS_REC | lockdown.MS_PRIVATE)
    lockdown.mount("proc", "/proc", "proc", lockdown.MS_NOSUID | lockdown.MS_NODEV | lockdown.MS_NOEXEC, "hidepid=2")
    done["proc"] = True
    size = int(cfg.get("scratch_bytes", 64 << 20))
    flags = lockdown.MS_NOSUID | lockdown.MS_NODEV
    for d in ("/tmp", "/var/tmp", "/dev/shm", "/run"):
        if os.path.isdir(d):
            lockdown.mount("tmpfs", d, "tmpfs", flags, f"size={size},nr_inodes=4096,mode=1777")
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
    info["mounts"] = _private_mounts(cfg)
    lockdown.set_no_new_privs()
    info["no_new_privs"] = True
    if cfg.get("landlock", True):
        info["landlock"] = lockdown.landlock_restrict(
            read_paths=cfg["read_paths"], write_paths=[SCRATCH], rw_files=cfg.get("rw_files", [])
        )
    if cfg.get("seccomp", True):
        info["seccomp"] = lockdown.seccomp_apply()
    return info


def _wipe_scratch() -> None:
    try:
        entries = list(os.scandir(SCRATCH))
    except OSError:
        return
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
        except OSError:
            pass


def _sweep() -> int:
    """Kill and reap everything in the namespace but this process; returns how many were reaped."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    reaped = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            return reaped
        except InterruptedError:
            continue
        reaped += 1


def _fork_test(spec: dict, fds: list[int]) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            import fcntl

            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16) for fd in fds]
            for target, fd in enumerate(high):
                os.dup2(fd, target, inheritable=True)
            lockdown.close_range_from(5)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            runner.child_main(spec)
        finally:
            os._exit(72)
    return pid


def serve(cfg: dict, ctrl: socket.socket) -> None:
    import gc

    gc.collect()
    gc.freeze()  # fewer copy-on-write page faults in each forked test
    sel = selectors.DefaultSelector()
    sel.register(ctrl, selectors.EVENT_READ, "ctrl")
    run: dict | None = None
    uids = cfg["uids"]
    while True:
        for key, _ in sel.select():
            if key.data == "ctrl":
                try:
                    data, fds, _flags, _addr = socket.recv_fds(ctrl, 1 << 16, 16)
                except OSError:
                    data, fds = b"", []
                if not data:
                    _sweep()
                    return
                msg = json.loads(data)
                if msg["op"] == "run":
                    children = msg["children"]
                    run = {"left": len(children), "pidfds": {}, "t0": time.monotonic()}
                    for i, child in enumerate(children):
                        code = None
                        if child.get("precompile"):
                            try:  # warm interpreter, no copy-on-write faults: far cheaper than in the fork
                                code = compile(child["precompile"], "solution.py", "exec")
                            except BaseException:  # noqa: BLE001 - the test process compiles and reports it
                                code = None
                        spec = {
                            "code": code,
                            "source": child.get("precompile"),
                            "uid": uids[child["role"]],
                            "gid": uids[child["role"]],
                            "cwd": SCRATCH if child["role"] == "cand" else "/",
                            "limits": child.get("limits", {}),
                        }
                        pid = _fork_test(spec, fds[5 * i: 5 * i + 5])
                        pidfd = os.pidfd_open(pid)
                        run["pidfds"][pidfd] = (i, pid)
                        sel.register(pidfd, selectors.EVENT_READ, ("child", pidfd))
                    for fd in fds:
                        os.close(fd)
                elif msg["op"] == "kill":
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                elif msg["op"] == "ping":
                    _send(ctrl, {"pong": True})
            else:
                _, pidfd = key.data
                assert run is not None
                i, pid = run["pidfds"].pop(pidfd)
                sel.unregister(pidfd)
                os.close(pidfd)
                _, status, ru = os.wait4(pid, 0)
                msg = {"exit": i, **_status(status), "maxrss_kb": ru.ru_maxrss,
                       "cpu": ru.ru_utime + ru.ru_stime, "wall": time.monotonic() - run["t0"]}
                run["left"] -= 1
                if run["left"] == 0:
                    msg["swept"] = _sweep()
                    _wipe_scratch()
                    msg["done"] = True
                    run = None
                _send(ctrl, msg)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    ctrl = socket.socket(fileno=int(cfg["ctrl_fd"]))
    for path in cfg.get("cgroup_procs", []):
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
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
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(0)
    try:
        lockdown.set_pdeathsig(signal.SIGKILL)
        info = _lock(cfg)
        info["preloaded"] = []
        _send(ctrl, {"ready": True, "lockdown": info})
    except Exception as exc:  # noqa: BLE001
        _send(ctrl, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    serve(cfg, ctrl)
    os._exit(0)


if __name__ == "__main__":
    main()
