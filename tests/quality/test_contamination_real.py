"""Contamination on the real benchmarks in ../shared/data (skips when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasonledger.quality.contamination import (
    ContaminationConfig,
    ContaminationScan,
    load_benchmark,
)
from reasonledger.quality.embed import EmbedderUnavailable
from reasonledger.formats.spec import open_records
from reasonledger.records.model import Kind, Record

FIXTURES = Path(__file__).parent / "fixtures"


def records_of(spec: str) -> list[Record]:
    return [r for r in open_records(spec) if isinstance(r, Record)]


def prompts(texts: list[str]) -> list[Record]:
    return [Record(kind=Kind.prompt_answer, task={"prompt": t, "source": {"dataset": "fixture", "row_id": str(i)}})
            for i, t in enumerate(texts)]


def scanner(benchmark: str, **config: object) -> ContaminationScan:
    try:
        return ContaminationScan([load_benchmark(benchmark)], ContaminationConfig(**config))
    except EmbedderUnavailable as exc:
        pytest.skip(f"semantic pass unavailable: {exc}")


def test_every_processbench_gsm8k_problem_is_flagged_against_gsm8k_test(shared_data: Path) -> None:
    scan = scanner(f"gsm8k:{shared_data}/gsm8k/test.jsonl")
    problems = records_of(f"processbench:{shared_data}/processbench/gsm8k.json")
    assert len(problems) == 400
    scan.scan(problems)
    result = scan.result()
    assert result["flagged"] == 400 and result["by_benchmark"] == {"openai/gsm8k:test": 400}
    assert set(result["flagged_ids"]) == {r.id for r in problems}
    hit = next(h for h in result["hits"] if h["method"] == "ngram")
    assert hit["score"] >= 0.5 and hit["matched_span"]["text"] and hit["benchmark_row"].isdigit()


def test_gsm8k_test_is_not_flagged_against_mbpp(shared_data: Path) -> None:
    scan = scanner(f"jsonl:{shared_data}/mbpp/mbpp.jsonl?prompt_field=text&name=mbpp")
    scan.scan(records_of(f"gsm8k:{shared_data}/gsm8k/test.jsonl"))
    result = scan.result()
    assert result["flagged"] == 0 and result["by_benchmark"] == {"mbpp": 0}


def test_paraphrases_need_the_semantic_pass_and_same_topic_problems_are_not_flagged(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "paraphrases.jsonl").read_text().splitlines()]
    benchmark = f"gsm8k:{shared_data}/gsm8k/test.jsonl"
    flagged = {}
    for kind in ("paraphrase", "numbers_changed", "same_topic"):
        scan = scanner(benchmark)
        records = prompts([r[kind] for r in rows])
        origin = {record.id: str(row["row"]) for record, row in zip(records, rows)}
        scan.scan(records)
        hits = scan.result()["hits"]
        flagged[kind] = {h["record_id"] for h in hits if h["benchmark_row"] == origin[h["record_id"]]}
        if kind == "paraphrase":
            assert {h["method"] for h in hits} == {"semantic"}  # n-grams catch none of them
    assert len(flagged["paraphrase"]) == 10
    assert len(flagged["numbers_changed"]) == 10
    assert flagged["same_topic"] == set()


def test_thirteen_grams_without_digit_mapping_miss_what_eight_grams_with_it_catch(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "paraphrases.jsonl").read_text().splitlines()]
    benchmark = f"gsm8k:{shared_data}/gsm8k/test.jsonl"
    changed = prompts([r["numbers_changed"] for r in rows])
    strict = scanner(benchmark, n=13, digits_to_zero=False, semantic=False)
    strict.scan(changed)
    loose = scanner(benchmark, n=8, digits_to_zero=True, semantic=False)
    loose.scan(changed)
    assert strict.result()["flagged"] <= 3 and loose.result()["flagged"] == 10


def test_find_reports_hits_without_keeping_them_and_scan_keeps_them(shared_data: Path) -> None:
    """The decontaminate step uses `find`, so a long build does not pile up every hit it dropped."""
    scan = scanner(f"gsm8k:{shared_data}/gsm8k/test.jsonl", semantic=False)
    problems = records_of(f"processbench:{shared_data}/processbench/gsm8k.json")[:20]
    found = scan.find(problems)
    assert {h["record_id"] for h in found} == {r.id for r in problems}
    assert scan.hits == [] and scan.result()["flagged"] == 0
    assert scan.scan(problems) == found and scan.result()["flagged"] == 20
