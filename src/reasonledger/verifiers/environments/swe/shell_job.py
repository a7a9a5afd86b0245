"""The program shell_fs runs inside the code sandbox (as the candidate, in stdio mode); importing it does nothing.

stdin: JSON {"tree", "command", "timeout", "max_files", "max_bytes"}. It builds the tree under
./tree, makes itself non-dumpable (so the command's processes, under the same uid, cannot open its
/proc files or pipes), runs `/bin/sh -c command` there with its output going to files and no
inherited descriptor, waits (up to `timeout`), kills every process it can signal (so nothing the
command left running changes the tree afterwards), then walks the tree without following links and
prints one JSON line: {"exit_code", "timed_out", "stdout", "stderr", "tree"} or {"error": ...}.

Tree entries, by relative path: {"type": "dir"}, {"type": "file", "text": ...} (or "base64": ...
when not UTF-8, "executable": true when any x bit is set), {"type": "symlink", "target": ...},
{"type": "other"}.
"""

import base64
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.abspath("tree")
SHOW = 4000


def build(tree):
    os.mkdir(ROOT)
    for path in sorted(tree):
        entry = tree[path]
        full = os.path.join(ROOT, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        kind = entry["type"]
        if kind == "dir":
            os.makedirs(full, exist_ok=True)
        elif kind == "file":
            data = base64.b64decode(entry["base64"]) if "base64" in entry else entry.get("text", "").encode()
            with open(full, "wb") as f:
                f.write(data)
            if entry.get("executable"):
                os.chmod(full, 0o755)
        elif kind == "symlink":
            os.symlink(entry["target"], full)


def walk(max_files, max_bytes):
    out, total = {}, 0
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(ROOT, rel)) as entries:
            for e in entries:
                path = rel + "/" + e.name if rel else e.name
                if len(out) >= max_files:
                    raise OverflowError(f"more than {max_files} entries")
                st = e.stat(follow_symlinks=False)
                if e.is_symlink():
                    out[path] = {"type": "symlink", "target": os.readlink(e.path)}
                elif e.is_dir(follow_symlinks=False):
                    out[path] = {"type": "dir"}
                    stack.append(path)
                elif e.is_file(follow_symlinks=False):
                    total += st.st_size
                    if total > max_bytes:
                        raise OverflowError(f"more than {max_bytes} bytes of files")
                    fd = os.open(e.path, os.O_RDONLY | os.O_NOFOLLOW)
                    with os.fdopen(fd, "rb") as f:
                        data = f.read(max_bytes + 1)
                    try:
                        entry = {"type": "file", "text": data.decode("utf-8")}
                    except UnicodeDecodeError:
                        entry = {"type": "file", "base64": base64.b64encode(data).decode()}
                    if st.st_mode & 0o111:
                        entry["executable"] = True
                    out[path] = entry
                else:
                    out[path] = {"type": "other"}
    return dict(sorted(out.items()))


def tail(path):
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "replace")
    return text if len(text) <= SHOW else text[:SHOW] + f"... [{len(text) - SHOW} more characters]"


def main():
    job = json.loads(sys.stdin.read())
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    build(job["tree"])
    logs = tempfile.mkdtemp(prefix=".logs-", dir=os.getcwd())
    out_path, err_path = os.path.join(logs, "out"), os.path.join(logs, "err")
    timed_out, code = False, None
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(["/bin/sh", "-c", job["command"]], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, close_fds=True, start_new_session=True)
        try:
            code = proc.wait(timeout=job["timeout"])
        except subprocess.TimeoutExpired:
            timed_out = True
    try:
        os.kill(-1, signal.SIGKILL)  # every process this uid may signal but this one
    except ProcessLookupError:
        pass
    if timed_out:
        proc.wait()
    try:
        tree = walk(job["max_files"], job["max_bytes"])
    except OverflowError as exc:
        print(json.dumps({"error": f"the tree grew too large: {exc}"}))
        return
    except OSError as exc:
        print(json.dumps({"error": f"the tree cannot be read: {type(exc).__name__}: {exc}"}))
        return
    print(json.dumps({"exit_code": code, "timed_out": timed_out, "stdout": tail(out_path), "stderr": tail(err_path),
                      "tree": tree}))


if __name__ == "__main__":  # the sandbox runs it as __main__; an import does nothing
    main()
