"""Reading a file source shard by shard: every shard parsed from the file's start (the old
`FileSource.read`) against continuing the reader the last shard left open (now).

The file is GSM8K test (../shared/data) repeated with the questions numbered until it has --rows
rows. Three readings of the same shards: one process taking every shard in order; one of two
workers taking every other shard (what each local worker does); the old pattern, simulated by
dropping the open reader before each shard.

    .venv/bin/python benchmarks/scaling_file_source.py [--rows 50000] [--shard-rows 500]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reasonledger.construct import file_source  # noqa: E402
from reasonledger.construct.file_source import FileSource  # noqa: E402

GSM8K = Path(os.environ.get("REASONLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data")) / "gsm8k" / "test.jsonl"


def _write(path: Path, rows: int) -> None:
    base = [json.loads(line) for line in GSM8K.read_text().splitlines()]
    with path.open("w") as f:
        for i in range(rows):
            row = base[i % len(base)]
            f.write(json.dumps({"question": f"({i}) {row['question']}", "answer": row["answer"]}) + "\n")


def _read(path: Path, shards: list[tuple[int, int]], fresh_each_shard: bool) -> tuple[float, int]:
    file_source._OPEN_READERS.clear()
    t0, n = time.perf_counter(), 0
    for start, stop in shards:
        if fresh_each_shard:
            file_source._OPEN_READERS.clear()
        n += sum(1 for _ in FileSource(path.parent, 0, path=str(path), format="gsm8k").read(start, stop))
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--shard-rows", type=int, default=500)
    a = ap.parse_args()
    if not GSM8K.exists():
        sys.exit(f"GSM8K test not found at {GSM8K} (set REASONLEDGER_SHARED_DATA)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gsm8k_big.jsonl"
        _write(path, a.rows)
        shards = FileSource(path.parent, 0, path=str(path), format="gsm8k").shards(a.shard_rows)
        out = {"rows": a.rows, "shards": len(shards), "load_before": os.getloadavg()[0]}
        out["one_process_in_order_s"], n1 = _read(path, shards, False)
        out["one_of_two_workers_s"], n2 = _read(path, shards[::2], False)
        out["old_every_shard_from_start_s"], n3 = _read(path, shards, True)
        assert n1 == n3 == a.rows and n2 == sum(b - s for s, b in shards[::2])
        out["old_over_new"] = out["old_every_shard_from_start_s"] / out["one_process_in_order_s"]
        out["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}, indent=1))


if __name__ == "__main__":
    main()
