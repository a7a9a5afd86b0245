"""Near-duplicates: MinHash signatures in numpy, LSH banding, every candidate verified by exact Jaccard.

Shingles are word n-grams hashed once (`ngrams.hash_words`); the permutations are the
multiply-shift universal family h(x) = (a*x + b) >> 32 on 64-bit words, evaluated for a whole
batch of documents as one matrix and reduced per document with `minimum.reduceat`. LSH only
proposes pairs: a pair is reported when the Jaccard similarity of the two shingle sets, computed
exactly, reaches the threshold. Clusters are the connected components of the verified pairs.
A candidate whose signatures agree in fewer positions than a pair at the threshold would show
but with probability 1e-12 (`agreement_floor`) is not verified: its Jaccard is far below the
threshold, and this adds nothing that matters to LSH's own 1% miss at the threshold. Candidates
grow faster than the records where many prompts share a sub-template (most of them near 0.2-0.5),
and screening them this way keeps exact verification to the plausible ones.

Shingles do not span lines, and each line is also one shingle with its number (`by_line`), so a
grid or a table is compared row by row in place. Shingles that many texts of one group (a task
family) share are that group's template (`templates.py`): they are left out of the similarity and
reported apart, so distinct tasks under one long instruction are not near-duplicates.

Exact duplicates (the same words after normalisation) are grouped first, by a hash of the
normalised text (`DistinctTexts`), and only one text per group is shingled and clustered: 100,000
copies of one prompt cost about what one does (plus 8 bytes each), instead of flooding one LSH
bucket with pairs. Every copy is still reported, in its group's cluster.
"""

from __future__ import annotations

import hashlib
import heapq
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import comb
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from reasonledger.quality.ngrams import (
    distinct,
    hash_words,
    mix64,
    multipliers,
    ranges,
    window_hashes,
)
from reasonledger.quality.templates import Template, template_shingles
from reasonledger.quality.text import Normalisation

_CELLS_PER_BATCH = 1 << 22  # shingles x permutations evaluated at once (32 MiB of uint64)
_TEXTS_PER_BATCH = 4096  # texts shingled at once


class NearDupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: float = Field(0.8, gt=0, le=1)
    num_perm: int = Field(128, ge=8, le=1024)
    shingle: int = Field(3, ge=1)
    text: str = Field("prompt", pattern="^(prompt|record)$")
    lowercase: bool = True
    punctuation: bool = True
    digits_to_zero: bool = False
    max_bucket: int = Field(100, ge=2)
    seed: int = 1
    by_line: bool = True  # shingles stay within a line and carry its number
    templates: bool = True  # leave each group's shared shingles out of the similarity
    template_share: float = Field(0.3, gt=0, le=1)  # a shingle in this share of a group's texts is template
    template_min_texts: int = Field(20, ge=2)  # smaller groups are not searched for a template

    @property
    def normalisation(self) -> Normalisation:
        return Normalisation(self.lowercase, self.punctuation, self.digits_to_zero)


@lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int, recall_at_threshold: float = 0.99) -> tuple[int, int]:
    """(bands, rows): of the choices that make a pair at exactly the threshold a candidate with
    probability `recall_at_threshold` or more (more above it), the one proposing the fewest pairs
    below it; verification then removes those at the cost of one exact Jaccard each."""
    grid, step = np.linspace(0, 1, 1001, retstep=True)
    below = grid[grid < threshold]
    best = (float("inf"), num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands < recall_at_threshold:
            continue
        false_positive_area = (1 - (1 - below**rows) ** bands).sum() * step
        if false_positive_area < best[0]:
            best = (false_positive_area, bands, rows)
    return best[1], best[2]


@lru_cache(maxsize=64)
def agreement_floor(threshold: float, num_perm: int, miss: float = 1e-12) -> int:
    """The fewest agreeing signature positions to verify a candidate: a pair at exactly the
    threshold agrees in each position with probability `threshold`, so in fewer than this many
    with probability `miss` or less (the binomial tail; more similar pairs, less)."""
    total = 0.0
    for k in range(num_perm + 1):
        total += comb(num_perm, k) * threshold**k * (1 - threshold) ** (num_perm - k)
        if total > miss:
            return k
    return num_perm


def agreements(sigs: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """For each pair, the number of signature positions where its two texts agree."""
    out = np.empty(len(pairs), np.int64)
    for first in range(0, len(pairs), chunk):
        part = pairs[first:first + chunk]
        out[first:first + len(part)] = (sigs[part[:, 0]] == sigs[part[:, 1]]).sum(axis=1)
    return out


def shingle_sets(texts: Sequence[str], config: NearDupConfig) -> tuple[np.ndarray, np.ndarray]:
    """(flat shingle hashes, offsets): text i owns flat[offsets[i]:offsets[i+1]], in text order and
    possibly repeated (MinHash does not care; `jaccards` drops repeats)."""
    flat, _, offsets = shingles(texts, config)
    return flat, offsets


def shingles(texts: Sequence[str], config: NearDupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat, from_end, offsets): the shingles compared (`shingle_sets`) and the same shingles
    with each line numbered from the text's end instead of its start.

    Word n-grams are made within units: lines with `by_line`, else whole texts. A unit shorter
    than the shingle has one shingle, its whole word sequence; a unit without words none. With
    `by_line` every line with words also has its whole word sequence as a shingle, with the line's
    number mixed in, so two grids whose rows share their word n-grams (0 0 1) differ by where those
    rows and columns are. Templates are counted on both numberings: an instruction after a task
    of one or two lines is the same instruction (`from_end`), and so is one before it (`flat`).
    Made `_TEXTS_PER_BATCH` texts at a time, so every array of a batch stays small.
    """
    parts = [_shingles(texts[first:first + _TEXTS_PER_BATCH], config) for first in range(0, len(texts), _TEXTS_PER_BATCH)]
    if not parts:
        return np.empty(0, np.uint64), np.empty(0, np.uint64), np.zeros(1, np.int64)
    starts = np.cumsum([0] + [len(flat) for flat, _, _ in parts[:-1]])
    offsets = np.concatenate([[0]] + [o[1:] + start for (_, _, o), start in zip(parts, starts)])
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), offsets


def _shingles(texts: Sequence[str], config: NearDupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if config.by_line:
        lines = [text.split("\n") for text in texts]
        units = [line for parts in lines for line in parts]
        unit_text = np.repeat(np.arange(len(texts)), [len(parts) for parts in lines])
        unit_line = np.concatenate([np.arange(len(parts)) for parts in lines]) if lines else np.zeros(0, np.int64)
    else:
        units, unit_text, unit_line = list(texts), np.arange(len(texts)), None
    words = hash_words(units, config.normalisation)
    mult = multipliers(config.shingle, config.seed)
    hashes, valid = window_hashes(words, config.shingle, mult)
    owner, flat = words.text[: len(hashes)][valid], hashes[valid]
    from_end = flat
    whole = np.ones(len(units), bool) if config.by_line else np.bincount(owner, minlength=len(units)) == 0
    word_owner, word_hash = words.text[~words.boundary], words.hashes[~words.boundary]
    take = whole[word_owner]  # whole-unit shingles
    if take.any():
        unit_owner, unit_hash = word_owner[take], word_hash[take]
        starts = np.flatnonzero(np.concatenate(([True], unit_owner[1:] != unit_owner[:-1])))
        position = np.arange(len(unit_owner)) - np.repeat(starts, np.diff(np.append(starts, len(unit_owner))))
        with np.errstate(over="ignore"):
            extra = np.add.reduceat(mix64(unit_hash ^ (position.astype(np.uint64) * mult[0])), starts, dtype=np.uint64)
            numbered = [extra, extra]
            if unit_line is not None:  # numbered from the start, and from the end
                line = unit_line[unit_owner[starts]]
                last = np.repeat(np.cumsum(np.bincount(unit_text, minlength=len(texts))) - 1, np.bincount(unit_text, minlength=len(texts)))
                for k, number in enumerate((line, last[unit_owner[starts]] - unit_owner[starts] + 2**32)):
                    numbered[k] = mix64(extra ^ (number.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
        owner = np.concatenate([owner, unit_owner[starts]])
        order = np.argsort(owner, kind="stable")
        owner, flat, from_end = owner[order], np.concatenate([flat, numbered[0]])[order], np.concatenate([from_end, numbered[1]])[order]
    owner = unit_text[owner]
    return flat, from_end, np.searchsorted(owner, np.arange(len(texts) + 1))


def signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(texts x num_perm) uint32 MinHash signatures; a text with no shingles gets all 0xFFFFFFFF."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    count = len(offsets) - 1
    out = np.full((count, num_perm), np.iinfo(np.uint32).max, np.uint32)
    sizes = np.diff(offsets)
    buffer = np.empty((num_perm, max(_CELLS_PER_BATCH // num_perm, int(sizes.max(initial=0)))), np.uint64)
    first = 0
    while first < count:
        last, cells = first, 0
        while last < count and (cells == 0 or cells + sizes[last] * num_perm <= _CELLS_PER_BATCH):
            cells += sizes[last] * num_perm
            last += 1
        chunk = flat[offsets[first]:offsets[last]]
        if len(chunk):
            # permutations x shingles, so each reduction runs over contiguous memory
            values = np.multiply(a[:, None], chunk[None, :], out=buffer[:, : len(chunk)])
            np.add(values, b[:, None], out=values)
            np.right_shift(values, np.uint64(32), out=values)
            present = np.flatnonzero(sizes[first:last])
            starts = offsets[first:last][present] - offsets[first]
            out[first + present] = np.minimum.reduceat(values, starts, axis=1).T
        first = last
    return out


_TAG_BITS = 21


def _tagged_distinct(values: np.ndarray, tags: np.ndarray) -> np.ndarray:
    """Sorted distinct keys of (tag, shingle), the tag in the low bits: equal keys mean the same
    shingle under the same tag, except for a collision of the other 43 bits within one pair."""
    with np.errstate(over="ignore"):
        keys = mix64(values ^ (tags.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
    return distinct((keys << np.uint64(_TAG_BITS)) | tags.astype(np.uint64))


def jaccards(flat: np.ndarray, offsets: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """Jaccard similarity of each pair's distinct shingles: both sides keyed by (pair, shingle),
    repeats dropped, and keys present on both sides counted per pair (sorting, never hashing)."""
    out = np.empty(len(pairs))
    sizes = np.diff(offsets)
    low = np.uint64((1 << _TAG_BITS) - 1)
    first = 0
    while first < len(pairs):
        budget = np.cumsum(sizes[pairs[first:first + (1 << _TAG_BITS) - 1, 0]] + sizes[pairs[first:first + (1 << _TAG_BITS) - 1, 1]])
        last = first + max(1, int(np.searchsorted(budget, chunk)))
        count = last - first
        sides = []
        for column in (0, 1):
            docs = pairs[first:last, column]
            tags = np.repeat(np.arange(count), sizes[docs])
            sides.append(_tagged_distinct(flat[ranges(offsets[docs], sizes[docs])], tags))
        both = np.sort(np.concatenate(sides), kind="stable")  # two sorted runs: timsort merges them
        common = np.bincount((both[1:][both[1:] == both[:-1]] & low).astype(np.int64), minlength=count)
        union = sum(np.bincount((side & low).astype(np.int64), minlength=count) for side in sides) - common
        out[first:last] = np.where(union > 0, common / np.maximum(union, 1), 1.0)
        first = last
    return out


def candidate_pairs(sigs: np.ndarray, bands: int, rows: int, max_bucket: int) -> tuple[np.ndarray, int]:
    """Unique (i, j), i < j, sharing a band. Within a bucket every member is paired with every
    later one, except that in a bucket over `max_bucket` only the first `max_bucket` members are
    paired with the rest (such buckets are counted, so a report can say so)."""
    mult = multipliers(rows, 7)
    found = np.empty(0, np.int64)  # distinct so far: a pair proposed by many bands is held once
    pending: list[np.ndarray] = []  # proposals not yet merged into `found`: merged when they outgrow it
    oversized = 0
    present = np.flatnonzero(sigs[:, 0] != np.iinfo(np.uint32).max)
    count = np.int64(len(sigs))
    for band in range(bands):
        with np.errstate(over="ignore"):
            keys = (sigs[present, band * rows:(band + 1) * rows].astype(np.uint64) * mult).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        members = present[order]
        starts = np.flatnonzero(np.diff(keys[order], prepend=keys[order][:1] + np.uint64(1)))
        sizes = np.diff(np.append(starts, len(keys)))
        oversized += int((sizes > max_bucket).sum())
        position = np.arange(len(keys)) - np.repeat(starts, sizes)
        partners = np.where(position < max_bucket, np.repeat(sizes, sizes) - position - 1, 0)
        left = np.repeat(members, partners)
        right = members[ranges(np.arange(len(keys)) + 1, partners)]
        pending.append(np.minimum(left, right) * count + np.maximum(left, right))
        if sum(map(len, pending)) > max(len(found), 1 << 20):
            found, pending = distinct(np.concatenate([found, *pending])), []
    found = distinct(np.concatenate([found, *pending]))
    return np.stack([found // count, found % count], axis=1), oversized


@dataclass
class Clusters:
    """Union-find over verified pairs."""

    parent: dict[int, int] = field(default_factory=dict)

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        self.parent.setdefault(x, x)
        self.parent.setdefault(y, y)
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)  # the earliest text is every cluster's root

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = {}
        for x in self.parent:
            members.setdefault(self.find(x), []).append(x)
        return sorted(sorted(g) for g in members.values() if len(g) > 1)


class DistinctTexts:
    """Texts added one at a time; a text with the same normalised words as an earlier one is kept
    only as the number of that earlier text (8 bytes), so duplicates cost no shingles, signatures
    or pairs. `label` (e.g. a record id) is kept for the first text of each group only; `source`
    (e.g. a task family) names the texts a template is searched among."""

    def __init__(self, normalisation: Normalisation) -> None:
        self.norm = normalisation
        self.texts: list[str] = []  # the first text of each group
        self.labels: list[object] = []
        self.first = array("q")  # for each group, the index (in adding order) of its first text
        self.group = array("q")  # for each text added, its group
        self.source = array("q")  # for each group, the number of its first text's source
        self.sources: dict[str, int] = {}
        self._seen: dict[bytes, int] = {}

    def add(self, text: str, label: object = None, source: str = "") -> int:
        """Add one text; returns its group."""
        words = self.norm.apply(text).split()
        key = hashlib.blake2b(b" ".join(words), digest_size=16).digest()
        group = self._seen.get(key)
        if group is None:
            group = self._seen[key] = len(self.texts)
            self.texts.append(text)
            self.labels.append(label)
            self.first.append(len(self.group))
            self.source.append(self.sources.setdefault(source, len(self.sources)))
        self.group.append(group)
        return group

    def source_names(self) -> list[str]:
        return list(self.sources)

    def __len__(self) -> int:
        return len(self.group)

    def label(self, index: int) -> object:
        """The label of the first text of `index`'s group."""
        return self.labels[self.group[index]]


@dataclass
class NearDuplicates:
    """By text index. `pairs`: verified pairs between texts whose normalised words differ (each
    group represented by its first text). `duplicate_of[i]`: the first text with the same
    normalised words as text i (i itself for a first). `copies`: the texts with at least one word
    that repeat an earlier text. `clusters`: every member, copies included. `templates`: the
    shared shingles left out of the similarity, one per source that has them; `template_texts[k]`
    the distinct texts (by their number in `DistinctTexts`) of template k's source holding any."""

    pairs: list[tuple[int, int, float]]
    clusters: list[list[int]]
    candidates: int
    oversized_buckets: int
    bands: int
    rows: int
    duplicate_of: np.ndarray
    copies: np.ndarray
    templates: list[Template] = field(default_factory=list)
    template_texts: list[np.ndarray] = field(default_factory=list)

    def verified_pairs(self) -> int:
        """The pairs between distinct texts plus one Jaccard-1 pair per copy."""
        return len(self.pairs) + len(self.copies)

    def iter_pairs(self) -> Iterator[tuple[int, int, float]]:
        """Every verified pair in (first, second) order: the pairs between distinct texts and one
        (first text, copy, 1.0) per copy, made as they are read."""
        copies = self.copies[np.lexsort((self.copies, self.duplicate_of[self.copies]))]
        return heapq.merge(self.pairs, ((int(self.duplicate_of[c]), int(c), 1.0) for c in copies))

    def template_members(self, k: int) -> np.ndarray:
        """Every text (copies included) holding template k's shingles, in order."""
        firsts = np.unique(self.duplicate_of)
        return np.flatnonzero(np.isin(self.duplicate_of, firsts[self.template_texts[k]]))


def _expand(distinct: DistinctTexts, sizes: np.ndarray, pairs: list[tuple[int, int, float]],
            groups: list[list[int]]) -> tuple[list[tuple[int, int, float]], list[list[int]], np.ndarray, np.ndarray]:
    """Pairs and clusters over groups turned into pairs and clusters over every text added."""
    first = np.frombuffer(distinct.first, np.int64) if len(distinct.first) else np.zeros(0, np.int64)
    group = np.frombuffer(distinct.group, np.int64) if len(distinct.group) else np.zeros(0, np.int64)
    cluster = np.full(len(first), -1, np.int64)
    for number, members in enumerate(groups):
        cluster[members] = number
    counts = np.bincount(group, minlength=len(first))
    alone = np.flatnonzero((cluster < 0) & (counts > 1) & (sizes > 0))  # copies of a text near nothing else
    cluster[alone] = len(groups) + np.arange(len(alone))
    of_text = cluster[group]
    texts = np.flatnonzero(of_text >= 0)
    texts = texts[np.argsort(of_text[texts], kind="stable")]
    bounds = np.flatnonzero(np.diff(of_text[texts])) + 1
    clusters = sorted(part.tolist() for part in np.split(texts, bounds) if len(part))
    duplicate_of = first[group]
    copies = np.flatnonzero((duplicate_of != np.arange(len(group))) & (sizes[group] > 0))
    return [(int(first[i]), int(first[j]), s) for i, j, s in pairs], clusters, duplicate_of, copies


def near_duplicates(texts: Iterable[str] | DistinctTexts, config: NearDupConfig | None = None) -> NearDuplicates:
    """Verified near-duplicate pairs (Jaccard >= threshold) and their clusters, by text index."""
    config = config or NearDupConfig()
    distinct = texts if isinstance(texts, DistinctTexts) else DistinctTexts(config.normalisation)
    if distinct is not texts:
        for text in texts:
            distinct.add(text)
    flat, from_end, offsets = shingles(distinct.texts, config)
    sizes = np.diff(offsets)  # before templates: a text of template words only still has copies
    templates, template_texts = [], []
    if config.templates and len(flat):
        sources = np.frombuffer(distinct.source, np.int64)
        shared, templates = template_shingles([flat, from_end], offsets, sources, config.template_share,
                                              config.template_min_texts)
        owner = np.repeat(np.arange(len(sizes)), sizes)
        holding = np.flatnonzero(np.bincount(owner[shared], minlength=len(sizes)))
        template_texts = [holding[sources[holding] == t.group] for t in templates]
        kept = np.bincount(owner[~shared], minlength=len(sizes))
        flat, offsets = flat[~shared], np.concatenate(([0], np.cumsum(kept)))
    sigs = signatures(flat, offsets, config.num_perm, config.seed)
    bands, rows = lsh_bands(config.threshold, config.num_perm)
    candidates, oversized = candidate_pairs(sigs, bands, rows, config.max_bucket)
    plausible = candidates[agreements(sigs, candidates) >= agreement_floor(config.threshold, config.num_perm)]
    del sigs
    similarity = jaccards(flat, offsets, plausible)
    keep = similarity >= config.threshold
    clusters = Clusters()
    verified = [(int(i), int(j), float(s)) for (i, j), s in zip(plausible[keep], similarity[keep])]
    for i, j, _ in verified:
        clusters.union(i, j)
    pairs, groups, duplicate_of, copies = _expand(distinct, sizes, verified, clusters.groups())
    return NearDuplicates(pairs, groups, len(candidates), oversized, bands, rows, duplicate_of, copies,
                          templates, template_texts)


def describe(config: NearDupConfig) -> dict[str, Any]:
    bands, rows = lsh_bands(config.threshold, config.num_perm)
    return {**config.model_dump(), "bands": bands, "rows": rows, "normalisation": config.normalisation.describe(),
            "shingles": f"word {config.shingle}-grams" + (" within a line, and each line's words with its number"
                                                          if config.by_line else ""),
            "templates": (f"a shingle held by at least {config.template_share:.0%} of a source's distinct prompts (sources "
                          f"of {config.template_min_texts} or more) is that source's template and left out of the "
                          "similarity") if config.templates else "not searched",
            "verification": "exact Jaccard of the shingle sets" + (" outside the templates" if config.templates else "")}
