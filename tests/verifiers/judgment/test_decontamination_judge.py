"""Decontamination's judge tier (issue 15): hits the relation rules leave unflagged are asked of a
same-problem judge, here a replay of recorded answers; its verdicts are recorded on the hits."""

import json

from reasonledger.quality.contamination import ContaminationConfig, ContaminationScan, load_benchmark
from reasonledger.records.model import Kind, Record
from reasonledger.verifiers.judgment.templates import load_template

SAME_TYPES = {"problem understanding", "numerical substitution", "digit expansion", "distraction insertion",
              "integer-decimal-fraction conversion"}


def _records(shared_data):
    rows = [json.loads(line) for line in (shared_data / "gsmplus" / "testmini.jsonl").read_text().splitlines()]
    picked = [r for r in rows if r["perturbation_type"] in ("critical thinking", "adding operation",
                                                            "problem understanding")][:150]
    records = [Record(kind=Kind.prompt_answer, task={"prompt": r["question"], "source": {
        "dataset": "gsm-plus", "split": "testmini", "row_id": str(n)}}) for n, r in enumerate(picked)]
    return records, {rec.id: r["perturbation_type"] for rec, r in zip(records, picked)}


def test_the_judge_tier_asks_only_the_ambiguous_band_and_its_replayed_verdicts_flag(shared_data, tmp_path, allow_judges):
    benchmark = load_benchmark(f"gsm8k:{shared_data / 'gsm8k' / 'test.jsonl'}")
    records, kind = _records(shared_data)
    rules_only = ContaminationScan([benchmark], ContaminationConfig(semantic=True))
    plain = rules_only.scan(records)
    band = [h for h in plain if not h["flagged"] and h["relation"] in ("derived", "template")]
    assert band, "no ambiguous hit to ask about"
    template = load_template("same_problem")
    text = dict(zip(benchmark.rows, benchmark.texts))
    prompts = {r.id: r.task.prompt for r in records}
    replay = tmp_path / "same_problem.jsonl"
    with replay.open("w") as out:
        for hit in band:
            user = template.render(reference=text[hit["benchmark_row"]], response=prompts[hit["record_id"]])[-1]["content"]
            same = kind[hit["record_id"]] in SAME_TYPES
            out.write(json.dumps({"prompt": user, "completions": [
                "Recorded.\nFinal Decision: " + ("SAME" if same else "DIFFERENT")]}) + "\n")
    judge = {"model": "recorded-judge", "backend": "replay", "backend_options": {"replay": [str(replay)]}}
    scan = ContaminationScan([benchmark], ContaminationConfig(semantic=True, judge=judge))
    hits = scan.scan(records)
    asked = [h for h in hits if "judge" in h]
    assert len(asked) == len(band) and scan.judge.client.calls == len(band)
    assert all(h["judge"]["request"] and h["judge"]["model"] == "recorded-judge" for h in asked)
    assert all(h["flagged"] == (kind[h["record_id"]] in SAME_TYPES) == h["judge"]["same"] for h in asked)
    assert [h["flagged"] for h in hits if "judge" not in h] == [h["flagged"] for h in plain if h not in band]
    result = scan.result()
    assert result["judge"]["asked"] == len(band) and result["judge"]["same"] == sum(h["judge"]["same"] for h in asked)
    assert result["flagged"] == rules_only.result()["flagged"] + len({h["record_id"] for h in asked if h["flagged"]}
                                                                     - set(rules_only.result()["flagged_ids"]))
