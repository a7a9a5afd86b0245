"""`reasonledger audit --judge-probes`: probe every judge a dataset's records name, and card it.

For each distinct judgment verifier (name and config) in the records' verification contracts, the
probes run against up to `limit` of its tasks' references: reference-equivalence and rubric judges
against the task's reference (with a failed rollout or response of the record as the real wrong
solution), pairwise judges against preference pairs (the chosen response as the baseline, the
rejected one as the worse answer to pad or reformat). Preference pairs also measure the pairwise
judge's agreement with their labels, in both orders; responses the records label (human, dataset or
programmatic verdicts) measure a reference judge's accuracy, kappa and error rates. Each judge gets a card (`card.py`) that says
whether it is safe as an RL reward. The records' judge configs are data: they run only as far as the
operator's config allows (`consent.py`, `limits.judgment`), like a row's in a build.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reasonledger.records.model import Kind, Record, canonical_json, prompt_text
from reasonledger.records.targets import ANSWER, rollout_index
from reasonledger.verifiers.judgment.agreement import PairOutcome, measure, measure_pointwise
from reasonledger.verifiers.judgment.base import JudgmentVerifier
from reasonledger.verifiers.judgment.card import card_markdown, judge_card
from reasonledger.verifiers.judgment.consent import check_judgment
from reasonledger.verifiers.judgment.gate import reference_answer
from reasonledger.verifiers.judgment.probes import ProbeItem, run_probes
from reasonledger.verifiers.registry import get_verifier, verifier_class


def _judged_response(record: Record, target: str) -> str | None:
    """The response a verdict on `target` judged: a rollout's, or the record's own for `answer`."""
    rollouts = record.behaviour.rollouts or []
    index = rollout_index(target)
    if index is not None:
        return rollouts[index].response if index < len(rollouts) else None
    return record.behaviour.response if target == ANSWER else None


def _wrong_solution(record: Record) -> str | None:
    for verdict in record.verdicts:
        if not verdict.passed:
            response = _judged_response(record, verdict.target)
            if response:
                return response
    return None


def _labelled(record: Record, reference: Any) -> list[tuple[Any, str, bool]]:
    """(reference, response, gold passed) for every response of the record a person, the dataset or a
    program (not a judge) labelled."""
    out = []
    for verdict in record.verdicts:
        if verdict.label_source not in ("human", "dataset", "programmatic"):
            continue
        response = _judged_response(record, verdict.target)
        if response is not None:
            out.append((reference, response, verdict.passed))
    return out


def _item(name: str, record: Record) -> ProbeItem | None:
    prompt = prompt_text(record.task)
    if name == "pairwise":
        if record.kind != Kind.preference_pair:
            return None
        return ProbeItem({"input": prompt, "baseline": record.behaviour.chosen}, worse=record.behaviour.rejected)
    reference = record.task.reference
    if name == "rubric":
        return ProbeItem(reference, wrong_solution=_wrong_solution(record))
    reference = dict(reference) if isinstance(reference, dict) else {"answer": reference}
    reference.setdefault("question", prompt)
    return ProbeItem(reference, reference_answer(reference), _wrong_solution(record))


def audit_judges(records: Iterable[Record], limit: int = 1_000) -> list[dict[str, Any]]:
    """A card for every judgment verifier the records name, from probes on up to `limit` of its tasks."""
    groups: dict[tuple[str, str], list[Record]] = {}
    generators: dict[tuple[str, str], Counter[str]] = {}
    for record in records:
        spec = record.task.verifier
        if spec is None or verifier_class(spec.name).family != "judgment":
            continue
        key = (spec.name, canonical_json(spec.config))
        group = groups.setdefault(key, [])
        if len(group) < limit:
            group.append(record)
            generators.setdefault(key, Counter()).update(e.model for e in record.lineage.events if e.model)
    cards = []
    for (name, config), group in groups.items():
        check_judgment(name, json.loads(config))
        verifier = get_verifier(name, **json.loads(config))
        if not isinstance(verifier, JudgmentVerifier):
            raise TypeError(f"verifier {name!r} says it is a judge but is no JudgmentVerifier: it has no client to probe")
        try:
            paired = [(record, item) for record in group if (item := _item(name, record)) is not None]
            items = [item for _, item in paired]
            agreement = None
            pairs = [r for r in group if r.kind == Kind.preference_pair] if name == "pairwise" else []
            if pairs:
                results = verifier.compare_many([(prompt_text(r.task), r.behaviour.chosen or "", r.behaviour.rejected or "")
                                                 for r in pairs])
                agreement = measure([PairOutcome("1", res.orders["ab"], res.orders["ba"],
                                                 (len(r.behaviour.chosen or ""), len(r.behaviour.rejected or "")))
                                     for r, res in zip(pairs, results)])
            labelled_on = "the audited preference pairs" if agreement else None
            labelled = [x for r, item in paired for x in _labelled(r, item.reference)] if name == "judge" else []
            if labelled:
                verdicts = verifier.verify_many([(ref, response) for ref, response, _ in labelled[:limit]])
                agreement = measure_pointwise([v.passed for v in verdicts], [g for _, _, g in labelled[:limit]],
                                              sum(v.evidence.get("reason") == "parse_failure" for v in verdicts))
                labelled_on = "the records' human, dataset and programmatic labels"
            generator = generators[(name, config)].most_common(1)[0][0] if generators[(name, config)] else None
            cards.append(judge_card(verifier, run_probes(verifier, items), agreement, generator, labelled_on))
        finally:
            verifier.close()
    return cards


def write_cards(cards: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Each card as `<id>-<config hash>.json` (what $REASONLEDGER_JUDGE_CARDS lists) and `.md`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for card in cards:
        stem = folder / f"{card['id']}-{card['config_hash']}"
        stem.with_suffix(".json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        stem.with_suffix(".md").write_text(card_markdown(card), encoding="utf-8")
        written.append(stem.with_suffix(".json"))
    return written


__all__ = ["audit_judges", "write_cards"]
