"""Kernel lock-down primitives through ctypes: namespaces, mounts, Landlock, seccomp, no_new_privs;
and `lock_down_process`, the lock-down of a worker that runs without namespaces.

Standard library only: the sandbox worker imports this file by path before it locks itself
down, so it must not pull in the toolkit (or anything that reads files later).
Everything here is Linux x86_64; callers probe with `landlock_abi()` and friends first.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import struct
import sys

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

X86_64 = os.uname().machine == "x86_64"

# --- namespaces and mounts -------------------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080

MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MNT_DETACH = 2
MS_PRIVATE = 1 << 18


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str, flags: int = MNT_DETACH) -> None:
    _check(_libc.umount2(target.encode(), flags), f"umount {target}")


def hidden_ancestor(path: str) -> str | None:
    """The highest ancestor of `path` that other users cannot traverse (mode without o+x)."""
    parts = os.path.abspath(path).split("/")[1:]
    cur = ""
    for part in parts[:-1]:
        cur += "/" + part
        try:
            if not os.stat(cur).st_mode & 0o001:
                return cur
        except OSError:
            return None
    return None


def reexpose_under_tmpfs(hide: str, keep: list[str], stage_root: str, options: str = "size=1m,mode=0755") -> None:
    """Mount an empty tmpfs over `hide` and bind `keep` (paths below it) back, read-only.

    Used where the interpreter lives below a directory only root may traverse (pyenv in /root),
    or below a directory that gets a private tmpfs (a checkout and its venv under /tmp): the test's
    unprivileged uid can then import the standard library, and sees nothing else there.
    """
    stages = []
    for i, path in enumerate(keep):
        stage = os.path.join(stage_root, str(i))
        os.makedirs(stage, exist_ok=True)
        mount(path, stage, None, MS_BIND | MS_REC)
        stages.append((stage, path))
    mount("tmpfs", hide, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for stage, path in stages:
        os.makedirs(path, mode=0o755, exist_ok=True)
        mount(stage, path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        umount(stage)


# --- prctl -----------------------------------------------------------------------------------
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(_libc.prctl(option, arg2, arg3, arg4, arg5), f"prctl({option})")


def set_pdeathsig(sig: int) -> None:
    prctl(PR_SET_PDEATHSIG, sig)


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# --- Landlock --------------------------------------------------------------------------------
_SYS_LL_CREATE, _SYS_LL_ADD, _SYS_LL_RESTRICT = 444, 445, 446
LL_CREATE_RULESET_VERSION = 1
LL_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, 0 when Landlock is absent or disabled."""
    if not X86_64:
        return 0
    ret = _libc.syscall(_SYS_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(LL_CREATE_RULESET_VERSION))
    return int(ret) if ret > 0 else 0


def _fs_rights(abi: int) -> int:
    rights = (FS_MAKE_SYM << 1) - 1  # every ABI 1 right, FS_EXECUTE to FS_MAKE_SYM
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock_restrict(read_paths: list[str], write_paths: list[str], rw_files: list[str] = (), abi: int | None = None) -> dict:
    """Restrict this process (and every future child) to reading `read_paths`, writing `write_paths`.

    With ABI >= 4 every TCP bind and connect is refused; with ABI >= 6 signals and abstract unix
    sockets are scoped to this Landlock domain (no signal to a process outside it).
    Returns what was enforced.
    """
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    handled_fs = _fs_rights(abi)
    handled_net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("QQQ", handled_fs, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("Q", handled_fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = _check(_libc.syscall(_SYS_LL_CREATE, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)), "landlock_create_ruleset")
    read_rights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    added: dict[str, list[str]] = {"read": [], "write": [], "file": []}
    try:
        def add(path: str, rights: int, kind: str) -> None:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                return
            try:
                if not os.path.isdir(path):
                    rights &= _FILE_RIGHTS
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled_fs, pfd), 12)
                _check(_libc.syscall(_SYS_LL_ADD, fd, LL_RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)), f"landlock_add_rule {path}")
                added[kind].append(path)
            finally:
                os.close(pfd)

        for p in read_paths:
            add(p, read_rights, "read")
        for p in rw_files:
            add(p, FS_READ_FILE | FS_WRITE_FILE | FS_IOCTL_DEV | FS_TRUNCATE, "file")
        for p in write_paths:
            add(p, handled_fs, "write")
        _check(_libc.syscall(_SYS_LL_RESTRICT, fd, ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(fd)
    return {"abi": abi, "tcp_denied": bool(handled_net), "signal_scoped": bool(scoped), "paths": added}


# --- seccomp (deny-list, classic BPF) --------------------------------------------------------
AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06

# x86_64 numbers of the calls no test program needs: tracing other processes, kernel state,
# mounts and namespaces, keyrings, BPF and perf, io_uring, time setting, module loading, and
# SysV IPC (its objects live in the worker's IPC namespace, so they would outlive a sample and
# reach the next one on the slot; POSIX shared memory and semaphores still work, in /dev/shm).
DENIED_SYSCALLS: dict[str, int] = {
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220,
    "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135, "vhangup": 153, "pivot_root": 155,
    "adjtimex": 159, "chroot": 161, "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172,
    "ioperm": 173, "create_module": 174, "init_module": 175, "delete_module": 176, "get_kernel_syms": 177,
    "query_module": 178, "quotactl": 179, "nfsservctl": 180, "lookup_dcookie": 212, "clock_settime": 227,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "migrate_pages": 256,
    "unshare": 272, "move_pages": 279, "perf_event_open": 298, "fanotify_init": 300,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "finit_module": 313,
    "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "pidfd_getfd": 438, "mount_setattr": 442, "quotactl_fd": 443,
}
_SYS_CLONE, _SYS_CLONE3 = 56, 435
_NS_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME


def seccomp_program() -> bytes:
    """The BPF deny-list: EPERM for the calls above and for clone() with namespace flags,
    ENOSYS for clone3 (so libc falls back to clone, whose flags can be inspected), kill for a
    foreign architecture or the x32 ABI."""
    ins: list[tuple[int, int, int, int]] = []
    denied = sorted(DENIED_SYSCALLS.values())
    n_fixed = 9
    allow = n_fixed + len(denied)
    eperm, enosys = allow + 1, allow + 2

    def j(idx: int, target: int) -> int:
        off = target - (idx + 1)
        assert 0 <= off < 256
        return off

    ins.append((_LD_W_ABS, 0, 0, 4))  # 0 arch
    ins.append((_JEQ, 1, 0, AUDIT_ARCH_X86_64))  # 1
    ins.append((_RET, 0, 0, _RET_KILL_PROCESS))  # 2
    ins.append((_LD_W_ABS, 0, 0, 0))  # 3 nr
    ins.append((_JGE, j(4, eperm), 0, 0x40000000))  # 4 x32
    ins.append((_JEQ, j(5, enosys), 0, _SYS_CLONE3))  # 5
    ins.append((_JEQ, 0, 2, _SYS_CLONE))  # 6 -> 7 or 9
    ins.append((_LD_W_ABS, 0, 0, 16))  # 7 args[0] low word
    ins.append((_JSET, j(8, eperm), j(8, allow), _NS_FLAGS))  # 8
    for i, nr in enumerate(denied):
        idx = n_fixed + i
        ins.append((_JEQ, j(idx, eperm), 0, nr))
    ins.append((_RET, 0, 0, _RET_ALLOW))
    ins.append((_RET, 0, 0, _RET_ERRNO | errno.EPERM))
    ins.append((_RET, 0, 0, _RET_ERRNO | errno.ENOSYS))
    return b"".join(struct.pack("HBBI", *i) for i in ins)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp_apply() -> int:
    """Install the deny-list on this thread's process (needs no_new_privs or CAP_SYS_ADMIN)."""
    if not X86_64:
        raise OSError(errno.ENOSYS, "seccomp filter is written for x86_64 only")
    prog = seccomp_program()
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = _SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp")
    return len(DENIED_SYSCALLS)


def seccomp_mode() -> int:
    return _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0)


# --- a whole worker process --------------------------------------------------------------------
# What an interpreter reads besides its own folders to go on loading extension modules: the system
# library folders, the dynamic linker's cache, time zones, and the null and random devices.
SYSTEM_READS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache",
                "/usr/share/zoneinfo", "/dev/null", "/dev/urandom")


def interpreter_paths(*packages: str) -> list[str]:
    """What this interpreter must go on reading to import modules and load their libraries: its
    prefixes, the absolute folders on its import path (never the working directory), the folders
    holding `packages` (file paths of modules already imported, for editable installs) and
    `SYSTEM_READS`; no home folder, data or configuration."""
    cwd = os.path.realpath(os.getcwd())
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *SYSTEM_READS}
    paths.update(p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd)
    paths.update(os.path.dirname(os.path.dirname(os.path.abspath(p))) for p in packages)
    return sorted(p for p in paths if os.path.exists(p))


def lock_down_process(memory: int, rw_files: tuple[str, ...] = (), read_paths: tuple[str, ...] = ("/",)) -> dict:
    """Lock this (worker) process down for good, for workers that judge without namespaces (the
    reasoning_gym sympy worker, the trainer rewards' workers): an address-space cap of `memory` bytes
    (the hard limit if lower), no new privileges, and where the kernel offers them a Landlock view
    that reads only `read_paths` (the whole tree unless narrowed, e.g. to `interpreter_paths()`),
    writes only `rw_files` and opens no TCP, and the seccomp deny-list. Returns what was enforced;
    OSError when a step fails."""
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    set_no_new_privs()
    enforced: dict = {"memory": cap, "no_new_privs": True}
    if landlock_abi():
        enforced["landlock"] = landlock_restrict(read_paths=list(read_paths), write_paths=[], rw_files=list(rw_files))
    if X86_64:
        enforced["seccomp"] = seccomp_apply()
    return enforced
