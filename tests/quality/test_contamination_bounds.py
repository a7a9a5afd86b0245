"""Contamination on large benchmarks: the same answers with memory bounded per item."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reasonledger.quality import contamination
from reasonledger.quality.contamination import Benchmark, ContaminationConfig, ContaminationScan, load_benchmark
from reasonledger.quality.embed import EmbedderUnavailable
from reasonledger.records.model import Kind, Record, json_digest

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_streamed_digest_is_the_digest_of_the_whole_list() -> None:
    texts = ["Janet’s ducks lay 16 eggs", 'a "quoted" \\ line\nnext', "", "ünïcode ✓"]
    assert Benchmark("b", "spec", None, ["0", "1", "2", "3"], texts).digest() == json_digest(texts, 64)


def test_cosines_taken_a_slice_of_items_at_a_time_shortlist_the_same(shared_data: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "paraphrases.jsonl").read_text().splitlines()]
    records = [Record(kind=Kind.prompt_answer, task={"prompt": r[kind], "source": {"dataset": "fixture", "row_id": f"{kind}{n}"}})
               for n, r in enumerate(rows) for kind in ("paraphrase", "numbers_changed", "same_topic")]
    try:
        scan = ContaminationScan([load_benchmark(f"gsm8k:{shared_data}/gsm8k/test.jsonl")],
                                 ContaminationConfig(shortlist=0.6, top_k=4))
    except EmbedderUnavailable as exc:
        pytest.skip(f"semantic pass unavailable: {exc}")
    prompts = [r.task.prompt for r in records]
    queries = scan.embedder.encode(prompts)
    whole = [x.tolist() for x in scan._shortlist(queries, scan.config.shortlist)]
    monkeypatch.setattr(contamination, "_COSINES_PER_SLICE", 7 * len(prompts))  # slices of 7 items
    sliced = [x.tolist() for x in scan._shortlist(queries, scan.config.shortlist)]
    assert len(whole[0]) > len(records)  # several items per text
    assert sliced[:2] == whole[:2] and sliced[2] == pytest.approx(whole[2])

    # every item passes a shortlist of -1, so the kept list is cut back many times on the way
    scan.config = ContaminationConfig(shortlist=-1, top_k=4)
    got = [x.tolist() for x in scan._shortlist(queries, scan.config.shortlist)]
    sims = queries @ scan.vectors.astype(np.float32).T
    want = [(row, item) for row in range(len(prompts)) for item in np.argsort(-sims[row], kind="stable")[:4].tolist()]
    assert list(zip(got[0], got[1])) == want
