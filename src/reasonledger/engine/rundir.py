"""Which directories reasonledger may delete or replace: only the ones it made.

A run or output directory gets a marker file when reasonledger creates it. Before anything is
deleted or replaced, the marker is checked, so `--force` can never remove a home directory, a
checkout or someone's data. Dataset outputs are written into a hidden sibling directory and
renamed into place at the end, so a killed command leaves the output absent or complete. A build
holds a lock in its run directory while it runs, so two builds never share one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonledger import __version__

MARKER = ".reasonledger-run"
LOCK = ".reasonledger-lock"
# Hidden siblings of an output while it is written (`.NAME.partial-*`) or replaced (`.NAME.old-*`).
_STAGING = (".partial-", ".old-")


@dataclass(frozen=True)
class RunDir:
    """Every path of a run, named once; steps, the build and the card read their paths from here."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def data(self) -> Path:
        """The released records (Parquet shards and their manifest)."""
        return self.root / "data"

    @property
    def rejected(self) -> Path:
        """Dropped records, each with its reason, and the quarantine of unreadable rows."""
        return self.root / "rejected"

    @property
    def quarantine(self) -> Path:
        return self.rejected / "quarantine.jsonl"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def work(self) -> Path:
        """Stage outputs and spill files: what a killed build resumes from."""
        return self.root / "work"

    def stage(self, index: int) -> Path:
        return self.work / f"stage-{index:02d}"

    @property
    def caches(self) -> Path:
        return self.root / "caches"

    @property
    def verdict_cache(self) -> Path:
        return self.caches / "verdicts.sqlite"

    @property
    def request_cache(self) -> Path:
        return self.caches / "requests.sqlite"

    @property
    def failures(self) -> Path:
        """Generation requests that failed after their retries, one JSON line each."""
        return self.root / "failures.jsonl"

    @property
    def audit(self) -> Path:
        return self.root / "audit"

    @property
    def curves(self) -> Path:
        return self.root / "scaling" / "curves.json"

    @property
    def card(self) -> Path:
        return self.root / "card"

    @property
    def recipe(self) -> Path:
        """The resolved recipe and its digest, written when the run starts."""
        return self.root / "recipe.json"

    @property
    def runlog(self) -> Path:
        return self.root / "runlog.jsonl"


def as_run(value: RunDir | Path | str | None) -> RunDir | None:
    """A run's paths from a RunDir or its root folder (None stays None: no run, nothing on disk)."""
    return value if value is None or isinstance(value, RunDir) else RunDir(Path(value))


class OwnershipError(ValueError):
    """A directory reasonledger will not write into or delete; the message says why and what to do."""


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of a directory reasonledger made, or None (no marker, or not one of ours)."""
    try:
        value = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and isinstance(value.get("kind"), str) else None


def write_marker(directory: Path, kind: str) -> None:
    marker = {"kind": kind, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": __version__}
    tmp = Path(directory) / f"{MARKER}.{uuid.uuid4().hex[:12]}.tmp"
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(marker, sort_keys=True) + "\n")
    os.replace(tmp, Path(directory) / MARKER)


def _real(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def contains(outer: Path | str, inner: Path | str) -> bool:
    """True when `inner` is `outer` or lies inside it (symlinks followed)."""
    outer, inner = _real(outer), _real(inner)
    return inner == outer or outer in inner.parents


def never_delete(path: Path) -> str | None:
    """Why `path` must never be deleted or replaced whatever its marker says, or None."""
    path = _real(path)
    if path.parent == path:
        return "it is the file system root"
    if contains(path, Path.home()):
        return "it is (or holds) your home directory"
    if (path / ".git").exists():
        return "it is a git checkout"
    try:
        if contains(path, Path.cwd()):
            return "it is (or holds) the current directory"
    except FileNotFoundError:  # the current directory was deleted: it cannot be this one
        pass
    return None


def check_apart(out: Path, inputs: Iterable[Path | str], option: str = "--out", inside_ok: bool = False) -> None:
    """Refuse an output that is, holds or (unless `inside_ok`) lies inside one of the inputs:
    writing it could delete or change them."""
    for source in inputs:
        if contains(out, source):
            raise OwnershipError(f"{option} {out} holds the input {source}; writing there could delete it. "
                                 f"Choose an {option} outside it")
        if not inside_ok and contains(source, out):
            raise OwnershipError(f"{option} {out} is inside the input {source}; writing there could change it. "
                                 f"Choose an {option} outside it")


def _foreign(directory: Path) -> str:
    """What a directory holds, said briefly (and why it is special, when it is)."""
    names = sorted(p.name for p in directory.iterdir())
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    reason = never_delete(directory) or (_OLD_RUN if _looks_like_old_run(directory) else None)
    return f"{len(names)} entr{'y' if len(names) == 1 else 'ies'}: {shown}" + (f"; {reason}" if reason else "")


_OLD_RUN = "it looks like a run made before run directories were marked: build it again into a new --out"


def _looks_like_old_run(directory: Path) -> bool:
    run = RunDir(directory)
    return run.recipe.is_file() and run.runlog.is_file()


def check_replaceable(out: Path, force: bool, option: str = "--out", kinds: Iterable[str] | None = None) -> bool:
    """Whether `out` exists and will be replaced. Absent and empty directories are free; an existing
    output needs `force` and a marker saying reasonledger made it (as one of `kinds`, when given);
    anything else is refused."""
    if not out.exists() and not out.is_symlink():
        return False
    if not out.is_dir():
        raise OwnershipError(f"{option} {out} exists and is not a directory; choose another {option}")
    if not any(out.iterdir()):
        return False
    marker = read_marker(out)
    if marker is None:
        raise OwnershipError(f"{option} {out} exists and was not made by reasonledger (no {MARKER} marker; "
                             f"{_foreign(out)}); nothing was changed. Choose a new or empty {option}")
    if kinds is not None and marker["kind"] not in kinds:
        raise OwnershipError(f"{option} {out} holds a reasonledger {marker['kind']} output, which this command "
                             f"does not replace; choose another {option}")
    if not force:
        raise OwnershipError(f"{option} {out} already holds an output; add --force to replace it, "
                             f"or choose another {option}")
    reason = never_delete(out)
    if reason:
        raise OwnershipError(f"{option} {out} will not be replaced: {reason}. Choose another {option}")
    return True


@contextmanager
def hold_lock(directory: Path, what: str = "build") -> Iterator[None]:
    """Hold the directory's lock file for the block. The lock is the kernel's (flock): it goes
    with the process, so a killed holder never leaves a stale lock behind."""
    try:  # never through a link: the lock file is truncated, and a planted link could point anywhere
        fd = os.open(Path(directory) / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise OwnershipError(f"{Path(directory) / LOCK}: cannot be opened as a lock file ({exc.strerror}); "
                             f"remove it if it is a link, or choose another --out") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = b""
        for _ in range(50):  # the holder writes its pid just after locking
            holder = os.pread(fd, 32, 0).strip()
            if holder:
                break
            time.sleep(0.01)
        os.close(fd)
        pid = holder.decode("ascii", "replace") or "unknown"
        raise OwnershipError(f"{directory} is in use by another {what} (pid {pid}); wait for it to end, "
                             f"or choose another --out") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _is_locked(directory: Path) -> bool:
    try:
        fd = os.open(directory / LOCK, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def claim_run_dir(run_dir: Path, kind: str = "build", force: bool = False) -> None:
    """Make `run_dir` a run directory (new, or empty), or check that it already is one of `kind`
    (and, for `force`, one that may be emptied), before anything is written into it."""
    reason = never_delete(run_dir) if force else None
    if reason:
        raise OwnershipError(f"--out {run_dir} will not be emptied: {reason}. Choose another --out")
    if not run_dir.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
    elif not run_dir.is_dir():
        raise OwnershipError(f"--out {run_dir} exists and is not a directory; choose another --out")
    if read_marker(run_dir) is None:
        if any(not p.name.startswith((MARKER, LOCK)) for p in run_dir.iterdir()):
            raise OwnershipError(f"--out {run_dir} exists and is not a reasonledger run directory (no {MARKER} "
                                 f"marker; {_foreign(run_dir)}); nothing was changed. Choose a new or empty --out")
        write_marker(run_dir, kind)
    check_run_dir(run_dir, kind)


def check_run_dir(run_dir: Path, kind: str = "build") -> None:
    """Check that reasonledger made `run_dir` (its marker says `kind`) and that it holds no links,
    before writing into it."""
    marker = read_marker(run_dir)
    if marker is None:
        raise OwnershipError(f"{run_dir} is not a reasonledger run directory (no {MARKER} marker); "
                             + (_OLD_RUN if _looks_like_old_run(run_dir) else "give the --out of `reasonledger build`"))
    if marker["kind"] != kind:
        raise OwnershipError(f"{run_dir} holds a reasonledger {marker['kind']} output, not a {kind} run; "
                             f"choose another directory")
    link = _first_link(run_dir)
    if link:
        raise OwnershipError(f"{run_dir} holds a link, {link} -> {os.readlink(link)}; a run directory holds "
                             f"none (writing through it would change files outside). Remove it, or choose another")


def _first_link(directory: Path) -> Path | None:
    """A symbolic link anywhere under `directory` (run directories from elsewhere may carry them)."""
    for root, dirs, files in os.walk(directory):
        for name in (*dirs, *files):
            if (Path(root) / name).is_symlink():
                return Path(root) / name
    return None


def clear_run_dir(run_dir: Path) -> None:
    """Empty a run directory for `--force`, keeping its marker and the lock its builder holds."""
    reason = never_delete(run_dir)
    if reason:
        raise OwnershipError(f"--out {run_dir} will not be emptied: {reason}. Choose another --out")
    if read_marker(run_dir) is None:
        raise OwnershipError(f"--out {run_dir} is not a reasonledger run directory; it will not be emptied")
    for entry in run_dir.iterdir():
        if entry.name in (MARKER, LOCK):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _remove_stale(out: Path) -> None:
    """Delete the staging siblings of `out` left by killed commands (ours, and no process holds them)."""
    if not out.parent.is_dir():
        return
    prefixes = tuple(f".{out.name}{staging}" for staging in _STAGING)
    for sibling in out.parent.iterdir():
        if sibling.name.startswith(prefixes) and sibling.is_dir() and not sibling.is_symlink() \
                and read_marker(sibling) is not None and not _is_locked(sibling):
            shutil.rmtree(sibling, ignore_errors=True)


@contextmanager
def staged_output(out: Path, kind: str, inputs: Iterable[Path | str] = (), force: bool = False,
                  option: str = "--out", inside_ok: bool = False, replaces: Iterable[str] | None = None) -> Iterator[Path]:
    """A fresh directory to write an output into; when the block ends without error it becomes
    `out` by rename (replacing an older output of ours, of a kind in `replaces` (default: `kind`),
    only with `force`). On error, or if the process is killed, `out` is left as it was."""
    out = _real(out)
    replaces = tuple(replaces or (kind,))
    check_apart(out, inputs, option, inside_ok)
    check_replaceable(out, force, option, replaces)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    tmp = out.parent / f".{out.name}{_STAGING[0]}{uuid.uuid4().hex[:12]}"
    tmp.mkdir()  # the usual permissions (umask), as the output will have them
    with hold_lock(tmp, kind):
        write_marker(tmp, kind)  # after locking: a marked staging directory is never taken for a stale one
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            replacing = check_replaceable(out, force, option, replaces)  # again: another command may have written it since
        except OwnershipError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if replacing:
            old = out.parent / f".{out.name}{_STAGING[1]}{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)  # over an empty directory too (POSIX rename)
        (out / LOCK).unlink()  # it guarded the staging directory; the output needs none


__all__ = ["LOCK", "MARKER", "OwnershipError", "RunDir", "as_run", "check_apart", "check_replaceable", "check_run_dir", "claim_run_dir",
           "clear_run_dir", "contains", "hold_lock", "never_delete", "read_marker", "staged_output", "write_marker"]
