"""Fault injection: `reasonledger import` and `reasonledger verify` are SIGKILLed at random points
(a fixed seed), alternately anywhere in the run and while the output is being written. After
every kill the input must be byte-identical and the output either absent or complete (every shard
matching its manifest); the next run must finish and leave no staging behind. Never partial.
Most runs replace an earlier output with --force; every third writes a new one."""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from reasonledger.engine.rundir import read_marker
from reasonledger.records.parquet import sha256_file

SEED = 20261205
KILLS = 5  # per command
IMPORT_ROWS, VERIFY_ROWS = 1000, 300


def _rows(path: Path, n: int) -> None:
    with path.open("w") as handle:
        for i in range(n):
            answer = i * 7 % 1000
            handle.write(json.dumps({"q": f"What is {i} * 7 mod 1000?", "a": str(answer),
                                     "r": f"The answer is \\boxed{{{answer if i % 3 else answer + 1}}}"}) + "\n")


def _command(file: Path, out: Path) -> list[str]:
    return ["import", str(file), "--format", "jsonl", "--prompt-field", "q", "--answer-field", "a",
            "--response-field", "r", "--verifier", "math", "--out", str(out)]


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reasonledger.cli", *args, "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _tree(path: Path) -> dict[str, str]:
    if path.is_file():
        return {path.name: sha256_file(path)}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*"))
            if p.is_file()}


def _staging(out: Path) -> set[str]:
    return {p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")}


def _state(out: Path, rows: int) -> str:
    """'absent' or 'complete'; anything else fails the test."""
    if not out.exists():
        return "absent"
    manifest_path = out / "data" / "manifest.json"
    assert read_marker(out) is not None and manifest_path.is_file(), f"{out} exists but is not a finished output"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["rows"] == rows, f"{out} holds {manifest['rows']} of {rows} rows"
    for shard in manifest["shards"]:
        assert sha256_file(out / "data" / shard["file"]) == shard["sha256"], f"{shard['file']} does not match its manifest"
    return "complete"


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had already finished: a kill after the end
    process.wait()


def _exercise(args: list[str], source: Path, out: Path, rows: int, rng: random.Random) -> dict[str, int]:
    before = _tree(source)
    # An unkilled run first: how long a run takes, and when it starts writing its output.
    started, writing = time.monotonic(), None
    process = _start(args)
    while process.poll() is None:
        if writing is None and _staging(out):
            writing = time.monotonic() - started
        time.sleep(0.002)
    total = time.monotonic() - started
    assert process.returncode == 0 and _state(out, rows) == "complete"
    seen = {"absent": 0, "complete": 0, "mid_write": 0}
    for kill in range(KILLS):
        if kill % 3 == 2:  # a first run into a new --out, not a replacement
            shutil.rmtree(out, ignore_errors=True)
        stale = _staging(out)
        process = _start([*args, "--force"])
        began = time.monotonic()
        if kill % 2:  # while writing: once this run's own staging directory exists
            while not (_staging(out) - stale) and process.poll() is None:
                time.sleep(0.002)
            began, delay = time.monotonic(), rng.uniform(0, max(total - (writing or 0), 0.05))
        else:
            delay = rng.uniform(0, total)
        while time.monotonic() - began < delay and process.poll() is None:
            time.sleep(0.002)
        if process.poll() is None and _staging(out) - stale:
            seen["mid_write"] += 1
        _kill(process)
        assert _tree(source) == before, f"kill {kill} changed the input"
        seen[_state(out, rows)] += 1
    assert _start([*args, "--force"]).wait(timeout=300) == 0, "the run after the kills failed"
    assert _state(out, rows) == "complete" and not _staging(out), "staging left behind after a finished run"
    assert _tree(source) == before
    return seen


def test_killed_import_and_verify_never_harm_the_input_nor_leave_a_partial_output(tmp_path):
    rng = random.Random(SEED)
    file = tmp_path / "rows.jsonl"
    _rows(file, IMPORT_ROWS)
    imported = _exercise(_command(file, tmp_path / "imported"), file, tmp_path / "imported", IMPORT_ROWS, rng)

    small = tmp_path / "small.jsonl"
    _rows(small, VERIFY_ROWS)
    dataset = tmp_path / "dataset"
    assert _start(_command(small, dataset)).wait(timeout=300) == 0
    verified = _exercise(["verify", str(dataset), "--out", str(tmp_path / "verified")], dataset,
                         tmp_path / "verified", VERIFY_ROWS, rng)
    for name, seen in (("import", imported), ("verify", verified)):
        assert seen["mid_write"] >= 1, f"no {name} kill landed while the output was written: {seen}"
