"""Verifier agreement: correctness is verifier-relative, so measure how much two verifiers differ.

Every pair of verifiers that judged the same (record, target) gets a 2x2 matrix and examples of
each disagreement. When one side is a stored label (human or the dataset authors' grader), the
other side's false-negative rate (fails what the label passes) and false-positive rate (passes
what the label fails) are estimated against it. A verifier can also be run here (`run`) on every
target, on the stated final answer or on the whole response, to compare it with stored labels.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from reasonledger.quality.consistency import stated_answer
from reasonledger.quality.outcomes import Outcome, verifier_key
from reasonledger.records.model import Record

_STORED = ("human", "judge", "consensus")


@dataclass
class AgreementAudit:
    """Collects verdicts per (record, target); `run` adds a live verifier's verdicts first."""

    run: str | None = None
    run_config: dict[str, Any] = field(default_factory=dict)
    run_input: str = "stated_answer"  # or "response"
    max_examples: int = 10
    verdicts: dict[tuple[str, str], dict[str, tuple[bool, str]]] = field(default_factory=lambda: defaultdict(dict))
    label_sources: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.verifier = None
        if self.run:
            from reasonledger.verifiers import get_verifier

            self.verifier = get_verifier(self.run, **self.run_config)
            self.run_key = verifier_key(self.verifier.id, self.verifier.version)

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        for row in outcomes:
            self.verdicts[(row.record_id, row.target)][row.verifier] = (row.passed, row.text)
            self.label_sources[row.verifier] = row.label_source
        if self.verifier is None:
            return
        texts = {row.target: row.text for row in outcomes}
        jobs = []
        for target, text in sorted(texts.items()):
            given = stated_answer(text)[0] if self.run_input == "stated_answer" else text
            jobs.append((target, text, given or ""))
        try:
            results = self.verifier.verify_many([(record.task.reference, given) for _, _, given in jobs])
        except (ValueError, TypeError) as exc:
            if len(self.errors) < self.max_examples:
                self.errors.append(f"{record.id}: {exc}")
            return
        for (target, text, _), verdict in zip(jobs, results):
            self.verdicts[(record.id, target)][self.run_key] = (verdict.passed, text)
            self.label_sources[self.run_key] = verdict.label_source

    def _stored_label(self, name: str) -> bool:
        """A label to measure against: human/judge/consensus verdicts, or any stored verdict when a
        verifier was run here (the stored ones are then what the live one is compared with)."""
        if self.label_sources.get(name) in _STORED:
            return True
        return self.verifier is not None and name != self.run_key

    def result(self) -> dict[str, Any]:
        pairs: dict[tuple[str, str], dict[str, Any]] = {}
        for (record_id, target), by_verifier in self.verdicts.items():
            for a, b in combinations(sorted(by_verifier), 2):
                entry = pairs.setdefault((a, b), {"both_pass": 0, "a_only": 0, "b_only": 0, "both_fail": 0,
                                                  "examples_a_only": [], "examples_b_only": []})
                pa, text = by_verifier[a]
                pb, _ = by_verifier[b]
                cell = "both_pass" if pa and pb else "a_only" if pa else "b_only" if pb else "both_fail"
                entry[cell] += 1
                if cell in ("a_only", "b_only") and len(entry[f"examples_{cell}"]) < self.max_examples:
                    entry[f"examples_{cell}"].append({"record_id": record_id, "target": target, "text_end": text[-300:],
                                                      "stated_answer": stated_answer(text)[0]})
        out = []
        for (a, b), entry in sorted(pairs.items()):
            total = entry["both_pass"] + entry["a_only"] + entry["b_only"] + entry["both_fail"]
            row = {"a": a, "b": b, "label_source_a": self.label_sources.get(a), "label_source_b": self.label_sources.get(b),
                   "compared": total, "agreement": round((entry["both_pass"] + entry["both_fail"]) / total, 4), **entry}
            reference, other = (a, b) if self._stored_label(a) and not self._stored_label(b) else \
                (b, a) if self._stored_label(b) and not self._stored_label(a) else (None, None)
            if reference:
                ref_pass = entry["both_pass"] + (entry["a_only"] if reference == a else entry["b_only"])
                ref_fail = entry["both_fail"] + (entry["b_only"] if reference == a else entry["a_only"])
                fn = entry["a_only"] if reference == a else entry["b_only"]
                fp = entry["b_only"] if reference == a else entry["a_only"]
                row["against_label"] = {"label": reference, "verifier": other,
                                        "false_negative_rate": round(fn / ref_pass, 4) if ref_pass else None,
                                        "false_positive_rate": round(fp / ref_fail, 4) if ref_fail else None,
                                        "false_negatives": fn, "false_positives": fp}
            out.append(row)
        return {
            "applicable": bool(out),
            "reason": None if out else "no (record, target) was judged by two verifiers; pass --run-verifier to run one",
            "ran": {"verifier": self.run_key, "config": self.run_config, "input": self.run_input,
                    "input_means": "the stated final answer (quality.consistency.stated_answer)" if self.run_input == "stated_answer"
                    else "the whole response"} if self.verifier else None,
            "errors": self.errors,
            "pairs": out,
            "flagged": sum(p["a_only"] + p["b_only"] for p in out),
        }
