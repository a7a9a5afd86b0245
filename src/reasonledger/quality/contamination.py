"""Contamination against benchmark sets: exact n-gram containment, then a semantic pass; each hit
names its relation to the benchmark item (`relations`) with the evidence that decided it.

The exact pass reads each record's whole text (prompt, reference, every response) and finds it
when it contains at least `min_containment` of a benchmark item's n-grams (digits zeroed): a hit
that also holds the item's quantities is `verbatim`, one with other quantities is decided like a
semantic one. The semantic pass embeds the record's prompt, shortlists benchmark items by cosine
(down to the rules' `same_meaning` where the quantities agree) and by the rare numbers the prompt
states (`Rarity.by_quantities`), and names the relation on specific evidence (rarity-weighted
shared terms, quantities, question, cosine).
The `drop` policy says which relations flag a record (default: verbatim, reworded, renumbered);
derived and template hits are reported, not flagged, unless the optional judge tier (`judge`, a model
asked whether two problems are the same, as the LMSYS LLM decontaminator does) says a hit of
`judge_band` is the same problem; its verdict is recorded on the hit. Records stream through in
batches; memory is the benchmark (its texts, 8 bytes per distinct n-gram of an item, and with the
semantic pass one float16 vector per item) plus the hits, and no step holds a matrix of every
record against every item: cosines are taken a slice of items at a time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from reasonledger.engine.pipeline import batches
from reasonledger.formats.spec import DataSpec, SpecError, open_records, parse_spec
from reasonledger.quality.ngrams import NgramIndex
from reasonledger.quality.relations import (
    DEFAULT_DROP,
    RELATIONS,
    Rarity,
    Relation,
    RelationRules,
    expressions_kept,
    quantities_kept,
    rank,
    stronger,
)
from reasonledger.quality.text import Normalisation, record_text
from reasonledger.records.model import Record, canonical_json, prompt_text
from reasonledger.records.quarantine import BadRow

SPAN_CHARS = 400
_ITEMS_PER_SLICE = 1 << 14  # benchmark items embedded, or widened to float32 for cosines, at once
_COSINES_PER_SLICE = 1 << 22  # (text, item) cosines held at once: 16 MiB of float32


class ContaminationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = Field(8, ge=1)
    lowercase: bool = True
    punctuation: bool = True
    digits_to_zero: bool = True
    min_containment: float = Field(0.5, gt=0, le=1)
    verbatim_containment: float = Field(0.8, gt=0, le=1)  # an n-gram hit this complete, with the item's numbers, is a copy
    semantic: bool = True
    shortlist: float = Field(0.80, ge=-1, le=1)
    top_k: int = Field(3, ge=1)
    # the second shortlist: items whose rare quantities the prompt states (`Rarity.by_quantities`), for
    # retellings whose every word changed; only those with all the item's quantities are classified
    quantity_shortlist: bool = True
    rare_quantity_bits: float = Field(3.0, ge=0)  # a quantity at most ~1/8 of the items state
    quantity_shortlist_bits: float = Field(4.0, ge=0)  # shared rare-quantity bits ...
    quantity_shortlist_share: float = Field(0.8, ge=0, le=1)  # ... and this share of the item's
    quantity_top_k: int = Field(10, ge=1)  # items kept per text, most shared bits first
    drop: list[Relation] = Field(default_factory=lambda: list(DEFAULT_DROP))  # relations that flag a record
    # the optional judge tier (verifiers/judgment/same_problem.py): a judge spec; hits of `judge_band` the
    # rules did not flag are asked of it, and a SAME flags the record (its verdict recorded on the hit)
    judge: dict[str, Any] | None = None
    judge_band: list[Relation] = Field(default_factory=lambda: ["derived", "template"])
    support_max: int = Field(RelationRules.support_max, ge=0)
    support_share: float = Field(RelationRules.support_share, gt=0, le=1)
    min_shared_bits: float = Field(RelationRules.min_shared_bits, ge=0)
    min_coverage: float = Field(RelationRules.min_coverage, ge=0, le=1)
    story_bits: float = Field(RelationRules.story_bits, ge=0)
    quantity_bits: float = Field(RelationRules.quantity_bits, ge=0)
    template_coverage: float = Field(RelationRules.template_coverage, ge=0, le=1)
    same_quantities: float = Field(RelationRules.same_quantities, ge=0, le=1)
    derived_bits: float = Field(RelationRules.derived_bits, ge=0)
    derived_quantities: float = Field(RelationRules.derived_quantities, ge=0, le=1)
    chain: int = Field(RelationRules.chain, ge=1)
    same_wording: float = Field(RelationRules.same_wording, ge=0, le=1)
    most_quantities: float = Field(RelationRules.most_quantities, ge=0, le=1)
    same_question: float = Field(RelationRules.same_question, ge=0, le=1)
    same_expressions: float = Field(RelationRules.same_expressions, ge=0, le=1)
    same_meaning: float = Field(RelationRules.same_meaning, ge=-1, le=1)
    dims: int = Field(256, ge=8, le=384)
    batch: int = Field(2048, ge=1)

    @property
    def normalisation(self) -> Normalisation:
        return Normalisation(self.lowercase, self.punctuation, self.digits_to_zero)

    @property
    def rules(self) -> RelationRules:
        return RelationRules(**{f.name: getattr(self, f.name) for f in fields(RelationRules)})


@dataclass
class Benchmark:
    name: str
    spec: str
    revision: str | None
    rows: list[str]
    texts: list[str]

    def digest(self) -> str:
        """sha256 of the items' texts in order (`json_digest` of the list, fed one text at a time so
        a large benchmark is never serialised whole): identifies it where no revision does."""
        digest = hashlib.sha256(b"[")
        for number, text in enumerate(self.texts):
            digest.update(((b"," if number else b"") + canonical_json(text).encode()))
        digest.update(b"]")
        return digest.hexdigest()


def load_benchmark(spec: DataSpec | str) -> Benchmark:
    """A benchmark's prompts through the importers; a row that cannot be read is an error, not a skip."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    rows, texts, revisions, datasets, bad = [], [], set(), set(), []
    for item in open_records(spec):
        if isinstance(item, BadRow):
            bad.append(item)
            continue
        source = item.task.source
        rows.append(source.row_id or str(len(rows)))
        texts.append(prompt_text(item.task))
        revisions.add(source.revision)
        datasets.add(f"{source.dataset}:{source.split}" if source.split else source.dataset)
    if bad:
        raise SpecError(f"benchmark {spec.text!r}: {len(bad)} row(s) could not be read; first: {bad[0].message()}")
    if not texts:
        raise SpecError(f"benchmark {spec.text!r} has no rows")
    revision = next(iter(revisions)) if len(revisions) == 1 else None
    name = spec.options.get("name") or (next(iter(datasets)) if len(datasets) == 1 else spec.name)
    return Benchmark(str(name), spec.text, revision, rows, texts)


@dataclass
class ContaminationScan:
    """Benchmarks indexed once; `scan` flags the records of each batch; `result` is the audit section."""

    benchmarks: Sequence[Benchmark]
    config: ContaminationConfig = field(default_factory=ContaminationConfig)

    def __post_init__(self) -> None:
        self.first_item = np.cumsum([0] + [len(b.texts) for b in self.benchmarks])  # benchmark b owns [first[b], first[b+1])
        self.texts = [t for bench in self.benchmarks for t in bench.texts]
        self.index = NgramIndex(self.texts, self.config.n, self.config.normalisation)
        self.rarity = Rarity(self.texts)
        self.rules = self.config.rules
        self.embedder = None
        if self.config.semantic:
            from reasonledger.quality.embed import StaticEmbedder

            self.embedder = StaticEmbedder(self.config.dims)
            self.embedder.fit_idf(self.texts)
            self.vectors = np.empty((len(self.texts), self.config.dims), np.float16)  # half the bytes; cosines to 1e-3
            for first in range(0, len(self.texts), _ITEMS_PER_SLICE):
                self.vectors[first:first + _ITEMS_PER_SLICE] = self.embedder.encode(self.texts[first:first + _ITEMS_PER_SLICE])
        self.hits: list[dict[str, Any]] = []
        self.flagged: dict[str, set[str]] = {b.name: set() for b in self.benchmarks}
        self.strongest: dict[str, str] = {}  # record id -> its strongest relation to any item
        self.counts: Counter[str] = Counter()
        self.rejected_examples: list[dict[str, Any]] = []
        self.judge: Any = None
        if self.config.judge is not None:
            from reasonledger.verifiers.judgment.same_problem import SameProblemJudge

            self.judge = SameProblemJudge(**self.config.judge)
            self.item_text = {(b.name, row): text for b in self.benchmarks for row, text in zip(b.rows, b.texts)}

    def owner(self, item: int) -> tuple[int, int]:
        """(benchmark, row within it) of an item."""
        bench = int(np.searchsorted(self.first_item, item, "right")) - 1
        return bench, item - int(self.first_item[bench])

    def _hit(self, record: Record, item: int, relation: str, method: str, score: float, span: dict[str, Any],
             **evidence: Any) -> dict[str, Any]:
        bench_index, row = self.owner(item)
        bench = self.benchmarks[bench_index]
        return {"record_id": record.id, "benchmark": bench.name, "benchmark_row": bench.rows[row],
                "relation": relation, "flagged": relation in self.config.drop,
                "method": method, "score": round(score, 4), "matched_span": span, **evidence}

    def scan(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        """The hits in one batch of records, also kept (with the flagged ids) for `result`."""
        found = self.find(records)
        for hit in found:
            if hit["flagged"]:
                self.flagged[hit["benchmark"]].add(hit["record_id"])
            self.strongest[hit["record_id"]] = stronger(self.strongest.get(hit["record_id"]), hit["relation"])
        self.hits += found
        return found

    def find(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        """The hits in one batch of records, not kept: for a step that drops them and moves on, so
        its memory stays the index however many records stream through."""
        found: list[dict[str, Any]] = []
        texts = [record_text(r) for r in records]
        seen: set[tuple[int, int]] = set()
        matches = self.index.match(texts, self.config.min_containment)
        spans = self.index.locate([texts[m.text_index] for m in matches], [m.item for m in matches])
        for match, (start, end) in zip(matches, spans):
            seen.add((match.text_index, match.item))
            text, record = texts[match.text_index], records[match.text_index]
            # record_text starts with the prompt: a match starting in it is judged on the prompt (a worked
            # reference after it holds other numbers), one reaching past it on its span too, the stronger kept
            prompt = prompt_text(record.task)
            wheres = ([prompt] if start < len(prompt) else []) + ([text[start:end]] if end > len(prompt) else [])
            relation, evidence = min((self._ngram_relation(match.item, match.score, where) for where in wheres),
                                     key=lambda found: rank(found[0]))
            if relation is None:
                continue
            found.append(self._hit(record, match.item, relation, "ngram", match.score,
                                   {"start": start, "end": end, "text": text[start:end][:SPAN_CHARS]},
                                   matched_ngrams=match.matched, item_ngrams=int(self.index.item_ngrams[match.item]),
                                   evidence=evidence))
        if self.embedder is not None:
            found += self._semantic(records, seen)
        if self.judge is not None:
            self._ask_judge(found, records)
        self.counts["records"] += len(records)
        return found

    def _ask_judge(self, found: list[dict[str, Any]], records: Sequence[Record]) -> None:
        """The judge tier: each hit in the ambiguous band that the rules did not flag is asked of the
        judge (benchmark item against the record's prompt, one batch); SAME flags it."""
        band = [h for h in found if not h["flagged"] and h["relation"] in self.config.judge_band]
        prompts = {r.id: prompt_text(r.task) for r in records}
        asked = [(self.item_text[(h["benchmark"], h["benchmark_row"])], prompts[h["record_id"]]) for h in band]
        for hit, verdict in zip(band, self.judge.verify_many(asked) if asked else []):
            keep = ("model", "revision", "template", "template_sha256", "request", "label", "reason")
            hit["judge"] = {"same": verdict.passed, **{k: verdict.evidence.get(k) for k in keep}}
            hit["flagged"] = verdict.passed
            self.counts["judge_asked"] += 1
            self.counts["judge_same"] += verdict.passed

    def _ngram_relation(self, item: int, containment: float, where: str) -> tuple[str | None, dict[str, Any]]:
        """The relation of an n-gram hit, judged on `where` (the prompt, or the matched span when the
        match lies past it): nearly all the item's n-grams (`verbatim_containment`) with all its
        quantities and formulas is verbatim, however common its words; anything less (the n-grams
        zero every digit) is what the relation rules find."""
        if containment >= self.config.verbatim_containment:
            kept, item_count, where_count = quantities_kept(self.texts[item], where)
            formulas = expressions_kept(self.texts[item], where) if kept == 1.0 else 0.0
            if kept == 1.0 and formulas in (None, 1.0):
                return "verbatim", {"quantities_kept": kept, "quantities": [item_count, where_count],
                                    "formulas_kept": formulas, "decided_by": "the item's n-grams with all its quantities and formulas"}
        return self.rules.classify(self.rarity, self.texts[item], where)

    def _shortlist(self, queries: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, item, cosine) of each text's `top_k` closest items at or above `floor`, per
        text closest first. Items are taken a slice at a time; each text keeps its `top_k` so far,
        and a slice passes only cosines at or above the text's k-th so far (nothing lower can make
        its top k; found by a partition when too many would pass), so memory is one slice's cosines
        plus `top_k` per text and the cost does not grow with how many items pass the floor."""
        k, step = self.config.top_k, max(1, min(_ITEMS_PER_SLICE, _COSINES_PER_SLICE // max(1, len(queries))))
        kept = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
        least = np.full(len(queries), floor, np.float32)  # each text's k-th closest so far, or the floor
        for first in range(0, len(self.vectors), step):
            block = queries @ self.vectors[first:first + step].astype(np.float32).T
            passing = block >= least[:, None]
            if block.shape[1] > k and np.count_nonzero(passing) > 4 * k * len(queries):
                np.maximum(least, np.partition(block, block.shape[1] - k, axis=1)[:, block.shape[1] - k], out=least)
                passing = block >= least[:, None]
            rows, items = np.nonzero(passing)
            kept = _top(*(np.concatenate(pair) for pair in zip(kept, (rows, items + first, block[rows, items]))), k)
            position = np.arange(len(kept[0])) - np.searchsorted(kept[0], kept[0])
            full = position == k - 1
            least[kept[0][full]] = np.maximum(least[kept[0][full]], kept[2][full])
        return kept

    def _quantities_agree(self, item: int, prompt: str) -> bool:
        """Whether `prompt` keeps the item's quantities as the rules' reworded-on-quantities cases need
        (`same_quantities` of them, as many within one): a multiset compare."""
        kept, count, stated = quantities_kept(self.texts[item], prompt)
        return count >= 2 and abs(stated - count) <= 1 and kept >= self.rules.same_quantities

    def _by_quantities(self, prompts: Sequence[str], queries: np.ndarray,
                       taken: set[tuple[int, int]]) -> list[tuple[int, int, float]]:
        """(text, item, cosine) from the second shortlist: items whose rare quantities a prompt states
        (`Rarity.by_quantities`), kept when their quantities agree (`_quantities_agree`) at a cosine
        the relation rules can use (`same_meaning`): the pairs the rules could name reworded on
        quantities, so the rest cost one lookup each."""
        config, found = self.config, []
        for text_index, prompt in enumerate(prompts):
            candidates = self.rarity.by_quantities(prompt, config.rare_quantity_bits, config.quantity_shortlist_bits,
                                                   config.quantity_shortlist_share, config.quantity_top_k)
            for item in candidates:
                if (text_index, item) in taken or not self._quantities_agree(item, prompt):
                    continue
                cosine = float(queries[text_index] @ self.vectors[item].astype(np.float32))
                if cosine >= self.rules.same_meaning:
                    found.append((text_index, item, cosine))
        return found

    def _semantic(self, records: Sequence[Record], seen: set[tuple[int, int]]) -> list[dict[str, Any]]:
        """Shortlisted pairs by cosine (at `shortlist`, or down to `same_meaning` when the quantities
        agree) and by rare quantities, each named by the relation rules."""
        prompts = [prompt_text(r.task) for r in records]
        queries = self.embedder.encode(prompts)
        by_numbers = self.config.quantity_shortlist
        floor = min(self.config.shortlist, self.rules.same_meaning) if by_numbers else self.config.shortlist
        pairs = []
        for t, i, c in zip(*(x.tolist() for x in self._shortlist(queries, floor))):
            if (t, i) in seen:
                continue
            if c >= self.config.shortlist:
                pairs.append((t, i, c, "semantic"))
            elif self._quantities_agree(i, prompts[t]):
                pairs.append((t, i, c, "quantities"))
        if by_numbers:
            pairs += [(*pair, "quantities") for pair in self._by_quantities(prompts, queries,
                                                                            seen | {(t, i) for t, i, *_ in pairs})]
        found = []
        for text_index, item, cosine, method in pairs:
            self.counts[f"{method}_shortlisted"] += 1
            relation, evidence = self.rules.classify(self.rarity, self.texts[item], prompts[text_index], cosine)
            if relation is None:
                self.counts["semantic_unrelated"] += 1
                if len(self.rejected_examples) < 5:
                    bench_index, row = self.owner(item)
                    self.rejected_examples.append({"record_id": records[text_index].id, "benchmark": self.benchmarks[bench_index].name,
                                                   "benchmark_row": self.benchmarks[bench_index].rows[row],
                                                   "cosine": round(cosine, 4), "evidence": evidence})
                continue
            span = {"start": 0, "end": len(prompts[text_index]), "text": prompts[text_index][:SPAN_CHARS]}
            found.append(self._hit(records[text_index], item, relation, method, cosine, span, evidence=evidence))
        return found

    def scan_all(self, records: Iterable[Record]) -> Iterator[tuple[list[Record], set[str]]]:
        """Each batch with the ids flagged in it, for steps that pass records on."""
        for batch in batches(records, self.config.batch):
            yield batch, {hit["record_id"] for hit in self.scan(batch) if hit["flagged"]}

    def result(self) -> dict[str, Any]:
        flagged_ids = sorted(set().union(*self.flagged.values())) if self.flagged else []
        methods = Counter(hit["method"] for hit in self.hits if hit["flagged"])
        relations = Counter(self.strongest.values())
        return {
            "method": "ngram containment" + (" + semantic shortlist" if self.embedder else "")
                      + ", each hit's relation decided on rarity-weighted shared terms, quantities and question",
            "records_checked": self.counts["records"],
            "policy": {"drop": list(self.config.drop), "report": [r for r in RELATIONS if r not in self.config.drop]},
            "flagged": len(flagged_ids),
            "by_relation": {r: relations.get(r, 0) for r in RELATIONS},
            "by_benchmark": {name: len(ids) for name, ids in self.flagged.items()},
            "benchmarks": {b.name: {"name": b.name, "spec": b.spec, "revision": b.revision, "items": len(b.texts),
                                    "items_too_short_for_ngrams": sum(1 for i in self.index.too_short if self.owner(i)[0] == n),
                                    "flagged": len(self.flagged[b.name])}
                           for n, b in enumerate(self.benchmarks)},
            "hits_by_method": dict(sorted(methods.items())),
            "judge": {"band": list(self.config.judge_band), "asked": self.counts["judge_asked"],
                      "same": self.counts["judge_same"], "model": self.judge.spec.model,
                      "template_sha256": self.judge.template.sha256} if self.judge is not None else None,
            "semantic": {"shortlisted": self.counts["semantic_shortlisted"],
                         "shortlisted_by_quantities": self.counts["quantities_shortlisted"],
                         "unrelated": self.counts["semantic_unrelated"],
                         "rejected_examples": self.rejected_examples,
                         "embedder": self.embedder.describe() if self.embedder else None} if self.config.semantic else None,
            "flagged_ids": flagged_ids,
            "hits": self.hits,
        }

    def describe(self) -> dict[str, Any]:
        return {**self.config.model_dump(), "normalisation": self.config.normalisation.describe(),
                "score": "share of the benchmark item's distinct n-grams found in the record's whole text",
                "semantic_text": "the record's prompt", "ngram_text": "prompt, reference and every behaviour text",
                "relations": "verbatim: an n-gram hit of at least verbatim_containment holding all the item's "
                             "quantities and formulas, or the same text up to formatting; otherwise the relation rules "
                             "(quality/relations.py) weigh the shared terms (numbers masked) in bits of rarity among the "
                             "benchmark's distinct items, their support (other items holding support_share of those bits), "
                             "the item's quantities and formulas kept and its question: the item's quantities over a "
                             "specific story, or all of them and no other at same_meaning cosine -> reworded; its wording and "
                             "question with other quantities -> renumbered; "
                             "its story with another question -> derived; other formulas or a common phrasing -> template",
                "evidence": "each hit's `evidence` holds the figures that decided it and `decided_by` says which rule"}


def _top(rows: np.ndarray, items: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `k` highest cosines of each text, per text closest first (ties: the earlier item)."""
    order = np.lexsort((items, -sims, rows))
    rows, items, sims = rows[order], items[order], sims[order]
    top = (np.arange(len(rows)) - np.searchsorted(rows, rows)) < k  # position within its text
    return rows[top].astype(np.int64), items[top].astype(np.int64), sims[top]
