"""Audits on hostile shapes stay bounded: many copies of one prompt, and a large benchmark.

Each case runs in a child process that resets its peak RSS (VmHWM) before the audit and reports
the peak minus the RSS it started from, so the figure is what the audit itself held. The bounds
sit well above what the code needs and well below what the old code took.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reasonledger.quality.embed import EmbedderUnavailable


COPIES = 50_000
_LETTERS = random.Random(9)
VOCAB = ["".join(_LETTERS.choices("abcdefghijklmnopqrstuvwxyz", k=_LETTERS.randint(3, 8))) for _ in range(5000)]

_DUPS = textwrap.dedent("""
    import json, random, sys
    from pathlib import Path
    from reasonledger.quality.audit import AuditConfig, Auditor
    from reasonledger.records.model import Record

    kind, count = sys.argv[1], int(sys.argv[2])
    prompt = "Natalia sold clips to 48 of her friends in April, and then half as many in May. How many in all?"
    rng = random.Random(3)
    vocab = [f"word{i}" for i in range(20000)]

    def record(number):
        text = "".join((prompt[:30], prompt[30:])) if kind == "identical" else " ".join(rng.choices(vocab, k=18))
        return Record(kind="prompt_answer", task={"prompt": text, "source": {"dataset": "d", "row_id": str(number)}})

    config = AuditConfig(sections=["near_duplicates", "exact_duplicates"], embedding_map=False)
    warm = Auditor(config)
    warm.add_many(record(n) for n in range(50))
    warm.finish()
    status = lambda key: int(next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key)).split()[1])
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
    base = status("VmRSS:")
    auditor = Auditor(config)
    auditor.add_many(record(n) for n in range(count))
    result = auditor.finish()["near_duplicates"]
    print(json.dumps({"kib": status("VmHWM:") - base, "flagged": result["flagged"],
                      "clusters": result["clusters"], "members": sum(map(len, result["cluster_examples"])),
                      "verified_pairs": result["verified_pairs"], "listed": len(result["pairs"])}))
""")


_AGAINST = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from reasonledger.quality.audit import AuditConfig, Auditor
    from reasonledger.records.model import Record

    path, semantic = sys.argv[1], sys.argv[2] == "on"
    status = lambda key: int(next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key)).split()[1])
    quoted = json.loads(Path(path).open().readline())["question"]
    texts = ["What is the capital of France?", "Solve: " + quoted, "Reverse a list in Python."]
    Path("/proc/self/clear_refs").write_text("5")
    base = status("VmRSS:")
    auditor = Auditor(AuditConfig(sections=["contamination"], against=[f"jsonl:{path}?prompt_field=question&name=bench"],
                                  contamination={"semantic": semantic}))
    auditor.add_many(Record(kind="prompt_answer", task={"prompt": t, "source": {"dataset": "d", "row_id": str(n)}})
                     for n, t in enumerate(texts))
    result = auditor.finish()["contamination"]
    print(json.dumps({"kib": status("VmHWM:") - base, "flagged_ids": result["flagged_ids"],
                      "items": result["benchmarks"]["bench"]["items"]}))
""")


def _child(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_copies_of_one_prompt_cost_less_than_distinct_prompts() -> None:
    same = _child(_DUPS, "identical", str(COPIES))
    assert same["flagged"] == COPIES - 1 and same["clusters"] == 1
    assert same["members"] == COPIES  # every copy is still reported, in the one cluster
    assert same["verified_pairs"] == COPIES - 1 and same["listed"] == 1000
    distinct = _child(_DUPS, "distinct", str(COPIES))
    assert distinct["flagged"] == 0
    # The old code took ~57 KB per copy (2.8 GB here); grouped copies cost a few hundred bytes
    # each (the record id kept for the report), less than distinct prompts do.
    assert same["kib"] < COPIES * 2, same
    assert same["kib"] <= distinct["kib"] + 16 * 1024, (same, distinct)


ITEMS = 100_000


def test_a_large_benchmark_costs_a_bounded_amount_per_item(tmp_path: Path) -> None:
    """3 records against 100,000 benchmark items: the old index took 4.9 KB an item here (2.8 GB
    for a million shorter ones); now the items' own text plus 8 bytes per distinct n-gram and
    bounded transients."""
    rng = random.Random(5)
    path = tmp_path / "bench.jsonl"
    with path.open("w") as handle:
        for number in range(ITEMS):
            words = " ".join(rng.choice(VOCAB) for _ in range(40))
            handle.write(json.dumps({"question": f"Item {number}: {words}?"}) + "\n")
    result = _child(_AGAINST, str(path), "off")
    assert result["items"] == ITEMS and len(result["flagged_ids"]) == 1
    item_bytes = path.stat().st_size / ITEMS
    assert result["kib"] * 1024 / ITEMS < item_bytes + 1500, (result["kib"], item_bytes)
    try:
        from reasonledger.quality.embed import model_files

        model_files()
    except EmbedderUnavailable as exc:
        pytest.skip(f"semantic pass unavailable: {exc}")
    # The semantic pass adds a float16 vector per item (512 bytes), the embedding table and
    # bounded batches: 3.1 KB an item in all here (3.7-4.0 KB when `encode` gathered token rows
    # for 256 texts at a time; widening every vector to float32 at once would add 1 KB an item).
    semantic = _child(_AGAINST, str(path), "on")
    assert semantic["flagged_ids"] == result["flagged_ids"]
    assert semantic["kib"] * 1024 / ITEMS < item_bytes + 3500, (semantic["kib"], item_bytes)
