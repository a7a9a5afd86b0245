"""Word and n-gram hashing in numpy, and exact n-gram containment of benchmark items in texts.

Containment, not overlap: the score of (training text, benchmark item) is the share of the
item's distinct n-grams found in the text, so an item copied into a long solution scores 1.0.

Speed comes from never touching a word in Python. Many texts are normalised to bytes and joined
(a NUL word marks each boundary); word boundaries, a polynomial hash of every word (prefix sums
over the bytes) and the hash of every n-gram (a random linear combination of word hashes) are a
handful of array operations. N-grams are looked up with one `searchsorted` in the benchmark's
sorted hashes, behind a bitmap that turns most misses away first. Hashes are 64-bit: a false
match needs a 64-bit collision, and a flag needs a share of an item's n-grams, not one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reasonledger.quality.text import Normalisation

_SEPARATOR = b" \x00 "
_BASE = np.uint64(0x9E3779B97F4A7C15)
_NUMBER = np.uint64(0x2545F4914F6CDD1D)  # the hash of every number word when digits map to zero
_BITMAP_BITS = 23
_PERIOD = 1024  # byte positions within a word cycle through this many powers of the base


def _mixed(hashes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        hashes ^= hashes >> np.uint64(29)
        hashes *= np.uint64(0xBF58476D1CE4E5B9)
        hashes ^= hashes >> np.uint64(32)
    return hashes


def _base_powers(count: int) -> np.ndarray:
    table = np.full(count, _BASE, np.uint64)
    table[0] = 1
    with np.errstate(over="ignore"):
        return np.multiply.accumulate(table, dtype=np.uint64)


_POWERS = _base_powers(_PERIOD)
# The word hash of "0" * k for k < 64 (index 0 unused).
with np.errstate(over="ignore"):
    _ZERO_RUNS = np.concatenate((np.zeros(1, np.uint64), _mixed(np.cumsum(np.uint64(ord("0") + 1) * _POWERS[:63]))))


@dataclass
class Words:
    """The words of a batch of texts: a 64-bit hash each, and which text each belongs to."""

    hashes: np.ndarray
    text: np.ndarray
    starts: np.ndarray  # byte offset of each word in the joined batch
    boundary: np.ndarray  # True for the separator words between texts


def hash_words(texts: Sequence[str], norm: Normalisation) -> Words:
    data = _SEPARATOR.join(map(norm.apply, texts))
    raw = np.frombuffer(data, np.uint8)
    word = (raw > 32) | (raw == 0)  # the byte table made space-like bytes spaces; NUL is the boundary
    edges = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    marks = np.zeros(len(raw), np.intp)
    marks[starts] = starts
    offset = np.arange(len(raw), dtype=np.intp) - np.maximum.accumulate(marks)  # position inside the word
    offset &= _PERIOD - 1
    with np.errstate(over="ignore"):
        values = raw.astype(np.uint64)
        values += np.uint64(1)
        values *= _POWERS[offset]
        prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum(values)))
        hashes = _mixed(prefix[ends] - prefix[starts])
    if norm.digits_to_zero:  # a word of zeros only (any length) is the one number word
        lengths = ends - starts
        short = lengths < len(_ZERO_RUNS)
        runs = np.zeros(len(hashes), bool)
        runs[short] = hashes[short] == _ZERO_RUNS[lengths[short]]
        hashes[runs] = _NUMBER
    boundary = raw[starts] == 0
    return Words(hashes, np.cumsum(boundary), starts, boundary)


def window_hashes(words: Words, n: int, multipliers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, valid) for every window of `n` consecutive words; windows across texts are invalid."""
    count = len(words.hashes) - n + 1
    if count <= 0:
        return np.empty(0, np.uint64), np.empty(0, bool)
    hashes = np.zeros(count, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            hashes += words.hashes[k:k + count] * multipliers[k]
    crossings = np.concatenate(([0], np.cumsum(words.boundary)))
    return hashes, (crossings[n:n + count] - crossings[:count]) == 0


def multipliers(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 2**62, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


@dataclass
class Match:
    text_index: int
    item: int
    matched: int
    score: float


class NgramIndex:
    """The n-grams of a fixed set of benchmark items; `match` finds the items contained in texts."""

    def __init__(self, texts: Sequence[str], n: int = 8, normalisation: Normalisation = Normalisation(),
                 seed: int = 0x5EED) -> None:
        self.n, self.norm = n, normalisation
        self.multipliers = multipliers(n, seed)
        words = hash_words(texts, normalisation)
        hashes, valid = window_hashes(words, n, self.multipliers)
        owner = words.text[: len(hashes)][valid]
        pairs = np.unique(np.stack([owner.astype(np.uint64), hashes[valid]], axis=1), axis=0)
        self.item_ngrams = np.bincount(pairs[:, 0].astype(np.int64), minlength=len(texts))
        self.too_short = np.flatnonzero(self.item_ngrams == 0).tolist()
        order = np.argsort(pairs[:, 1], kind="stable")
        flat, self.owners = pairs[order, 1], pairs[order, 0].astype(np.int64)
        # CSR: the unique hashes, and for each the slice of `owners` holding the items that contain it.
        self.hashes, starts = np.unique(flat, return_index=True)
        self.starts = np.append(starts, len(flat))
        self.bitmap = np.zeros(1 << _BITMAP_BITS, bool)
        self.bitmap[self._slot(self.hashes)] = True

    @staticmethod
    def _slot(hashes: np.ndarray) -> np.ndarray:
        return (hashes >> np.uint64(64 - _BITMAP_BITS)).astype(np.intp)

    def __len__(self) -> int:
        return len(self.item_ngrams)

    def item_hashes(self, item: int) -> np.ndarray:
        slots = np.searchsorted(self.starts, np.flatnonzero(self.owners == item), side="right") - 1
        return self.hashes[slots]

    def locate(self, text: str, item: int) -> tuple[int, int] | None:
        """The character span of `text` from the first to the last word of the item's n-grams in it."""
        words = hash_words([text], self.norm)
        hashes, valid = window_hashes(words, self.n, self.multipliers)
        hit = np.flatnonzero(valid & np.isin(hashes, self.item_hashes(item)))
        if not len(hit):
            return None
        data = self.norm.apply(text)
        first, last = int(words.starts[hit[0]]), int(words.starts[hit[-1] + self.n - 1])
        end = data.find(b" ", last)
        # Byte offsets of the normalised text map to characters of the original when it is ASCII.
        if text.isascii():
            return first, len(text) if end < 0 else end
        return 0, len(text)

    def match(self, texts: Sequence[str], min_score: float) -> list[Match]:
        """Every (text, item) whose containment score is at least `min_score`."""
        if not len(texts) or not len(self.hashes):
            return []
        words = hash_words(texts, self.norm)
        hashes, valid = window_hashes(words, self.n, self.multipliers)
        valid &= self.bitmap[self._slot(hashes)]
        positions = np.flatnonzero(valid)
        slot = np.searchsorted(self.hashes, hashes[positions])
        slot[slot == len(self.hashes)] = 0
        found = self.hashes[slot] == hashes[positions]
        if not found.any():
            return []
        pairs = np.unique(np.stack([words.text[positions[found]], slot[found]], axis=1), axis=0)
        sizes = self.starts[pairs[:, 1] + 1] - self.starts[pairs[:, 1]]
        offsets = np.repeat(self.starts[pairs[:, 1]] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        keys, counts = np.unique(np.stack([np.repeat(pairs[:, 0], sizes), self.owners[offsets]], axis=1),
                                 axis=0, return_counts=True)
        scores = counts / self.item_ngrams[keys[:, 1]]
        keep = scores >= min_score
        return [Match(int(t), int(i), int(c), float(s)) for (t, i), c, s in zip(keys[keep], counts[keep], scores[keep])]
