"""Word and n-gram hashing in numpy, and exact n-gram containment of benchmark items in texts.

Containment, not overlap: the score of (training text, benchmark item) is the share of the
item's distinct n-grams found in the text, so an item copied into a long solution scores 1.0.

Speed comes from never touching a word in Python bytecode. Many texts are normalised to bytes
and joined (a NUL word marks each boundary); word boundaries, a 64-bit hash of every word (its
bytes read eight at a time as integers and mixed; the same in every process and run) and the
hash of every n-gram (a random linear combination of word hashes) are a handful of array
operations. N-grams are looked up with `searchsorted` in the benchmark's sorted keys, behind a
bitmap that turns most misses away first.

The index is one sorted uint64 array, 8 bytes per distinct (item, n-gram): the n-gram's hash with
its low bits replaced by the item's number, so the items holding an n-gram are one run of keys.
It is built a slice of items at a time, so a benchmark of a million items never holds more than
one slice's words at once. A false match needs a collision of the remaining 64 - log2(items) bits
(44 for a million items), and a flag needs a share of an item's n-grams, not one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any

import numpy as np

from reasonledger.quality.text import Normalisation

_NUMBER = np.uint64(0x2545F4914F6CDD1D)  # the hash of every number word when digits map to zero
_BITMAP_BITS = 23
_GROUP_BYTES = 1 << 20  # texts are hashed in groups of about this many bytes


def mix64(hashes: np.ndarray) -> np.ndarray:
    """A bijective 64-bit mixer (splitmix64-like), elementwise and in place."""
    with np.errstate(over="ignore"):
        hashes ^= hashes >> np.uint64(29)
        hashes *= np.uint64(0xBF58476D1CE4E5B9)
        hashes ^= hashes >> np.uint64(32)
    return hashes


def distinct(values: np.ndarray, counts: bool = False) -> Any:
    """Sorted distinct values (and how often each occurs); sorting beats numpy's hash-based
    `unique` on large 64-bit arrays by an order of magnitude."""
    ordered = np.sort(values)
    first = np.concatenate(([True], ordered[1:] != ordered[:-1])) if len(ordered) else np.zeros(0, bool)
    if not counts:
        return ordered[first]
    return ordered[first], np.diff(np.append(np.flatnonzero(first), len(ordered)))


_LONG_WORD = 64  # longer words are hashed one by one with blake2b
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], np.uint64)  # mask of k bytes


@dataclass
class Words:
    """The words of a batch of texts: a 64-bit hash each, and which text each belongs to."""

    hashes: np.ndarray
    text: np.ndarray
    boundary: np.ndarray  # True for the separator words between texts


_WORD = re.compile(rb"\S+")  # what `bytes.split` calls a word


def _hash_joined(data: bytes, digits_to_zero: bool) -> tuple[np.ndarray, np.ndarray]:
    """(word hashes, boundary flags) of normalised texts joined by the separator.

    Each word is read 8 bytes at a time straight out of the buffer (an unaligned uint64 view at
    every byte offset), the bytes past its end masked off; the chunks are chained through a
    bijective mixer after the length, so distinct words get distinct hashes except for 64-bit
    collisions. Words longer than 8 bytes take one more round per 8 bytes, up to 64 bytes; the rare
    longer ones get a blake2b digest each.
    """
    raw = np.frombuffer(data, np.uint8)
    word = (raw > 32) | (raw == 0)  # the byte table made space-like bytes spaces; NUL is the boundary
    change = np.flatnonzero(word[1:] != word[:-1]) + 1
    if len(raw) and word[0]:
        change = np.concatenate(([0], change))
    if len(raw) and word[-1]:
        change = np.concatenate((change, [len(raw)]))
    starts, ends = change[0::2], change[1::2]
    lengths = ends - starts
    padded = np.frombuffer(data + bytes(8), np.uint8)
    at_every_byte = np.ndarray((len(raw),), np.dtype("<u8"), padded, 0, (1,))  # unaligned view
    multiplier = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        hashes = lengths.astype(np.uint64) * multiplier
        hashes += at_every_byte[starts] & _LOW_BYTES[np.minimum(lengths, 8)]
        mix64(hashes)
        todo, offset = np.flatnonzero((lengths > 8) & (lengths <= _LONG_WORD)), 8
        while len(todo):
            left = lengths[todo] - offset
            chunk = at_every_byte[starts[todo] + offset] & _LOW_BYTES[np.minimum(left, 8)]
            hashes[todo] = mix64(hashes[todo] * multiplier + chunk)
            todo, offset = todo[left > 8], offset + 8
    for index in np.flatnonzero(lengths > _LONG_WORD).tolist():  # rare: one digest each
        digest = hashlib.blake2b(data[starts[index]:ends[index]], digest_size=8).digest()
        hashes[index] = np.uint64(int.from_bytes(digest, "little"))
    if digits_to_zero:  # a word of zeros only (any length) is the one number word
        maybe = np.flatnonzero((raw[starts] == ord("0")) & (lengths < len(_ZERO_RUNS)))
        hashes[maybe[hashes[maybe] == _ZERO_RUNS[lengths[maybe]]]] = _NUMBER
    return hashes, raw[starts] == 0


# The word hash of "0" * k for 0 < k < 64 (index 0 unused).
_ZERO_RUNS = np.concatenate((np.zeros(1, np.uint64), _hash_joined(b" ".join(b"0" * k for k in range(1, 64)), False)[0]))


def hash_words(texts: Sequence[str], norm: Normalisation) -> Words:
    """The words of `texts`, hashed in groups of about 1 MiB (arrays that stay in cache)."""
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
    cuts = [0]
    while cuts[-1] < len(texts):  # each group takes at least one text
        cuts.append(max(cuts[-1] + 1, int(np.searchsorted(ends, (ends[cuts[-1] - 1] if cuts[-1] else 0) + _GROUP_BYTES, "right"))))
    hashes, boundaries = [], []
    for first, last in pairwise(cuts) if len(texts) else [(0, 0)]:
        if hashes:  # the boundary between two groups
            hashes.append(np.zeros(1, np.uint64))
            boundaries.append(np.ones(1, bool))
        h, b = _hash_joined(norm.join(texts[first:last]), norm.digits_to_zero)
        hashes.append(h)
        boundaries.append(b)
    boundary = np.concatenate(boundaries)
    return Words(np.concatenate(hashes), np.cumsum(boundary), boundary)


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


def ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated aranges: starts[k] .. starts[k] + sizes[k] - 1 for every k."""
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())


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

    def __init__(self, texts: Sequence[str], n: int = 8, normalisation: Normalisation | None = None,
                 seed: int = 0x5EED, slice_items: int = 4096) -> None:
        self.n, self.norm = n, normalisation or Normalisation()
        self.multipliers = multipliers(n, seed)
        self.item_bits = max(1, (len(texts) - 1).bit_length())
        self.low = np.uint64((1 << self.item_bits) - 1)
        self.item_ngrams = np.zeros(len(texts), np.int32)
        self.bitmap = np.zeros(1 << _BITMAP_BITS, bool)
        parts = []
        for first in range(0, len(texts), slice_items):
            keys = self._keys(texts[first:first + slice_items], first)
            self.item_ngrams[first:first + slice_items] = np.bincount(
                (keys & self.low).astype(np.int64) - first, minlength=min(slice_items, len(texts) - first))
            self.bitmap[self._slot(keys)] = True
            parts.append(keys)
        self.keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        del parts
        self.keys.sort()
        self.too_short = np.flatnonzero(self.item_ngrams == 0).tolist()

    def _keys(self, texts: Sequence[str], first: int) -> np.ndarray:
        """The distinct keys (n-gram hash, item number in the low bits) of items first, first+1, ..."""
        words = hash_words(texts, self.norm)
        hashes, valid = window_hashes(words, self.n, self.multipliers)
        owner = words.text[: len(hashes)][valid].astype(np.uint64) + np.uint64(first)
        return distinct((hashes[valid] & ~self.low) | owner)

    @staticmethod
    def _slot(hashes: np.ndarray) -> np.ndarray:
        return (hashes >> np.uint64(64 - _BITMAP_BITS)).astype(np.intp)

    def _windows(self, texts: Sequence[str]) -> tuple[Words, np.ndarray, np.ndarray, np.ndarray]:
        """(words, positions of the windows that are benchmark n-grams, and for each the run of
        keys [lo, hi) holding its items)."""
        words = hash_words(texts, self.norm)
        hashes, valid = window_hashes(words, self.n, self.multipliers)
        hashes &= ~self.low
        valid &= self.bitmap[self._slot(hashes)]
        positions = np.flatnonzero(valid)
        wanted = hashes[positions]
        lo = np.searchsorted(self.keys, wanted)
        hi = np.searchsorted(self.keys, wanted | self.low, "right")
        found = hi > lo
        return words, positions[found], lo[found], hi[found]

    def locate(self, texts: Sequence[str], items: Sequence[int]) -> list[tuple[int, int]]:
        """For each (text, item), the character span of the text from the first to the last word of
        the item's n-grams in it (the whole text when it is not ASCII, since normalised bytes then
        map to characters only loosely, or when the item is not found). Each window of the text is
        looked up as the key it would have in that item, so the cost is the text's length, however
        many other items share its n-grams."""
        words = hash_words(texts, self.norm)
        hashes, valid = window_hashes(words, self.n, self.multipliers)
        hashes &= ~self.low
        first_word = np.searchsorted(words.text, np.arange(len(texts))) + (np.arange(len(texts)) > 0)
        spans = []
        for index, (text, item) in enumerate(zip(texts, items)):
            start = first_word[index]
            stop = max(start, (first_word[index + 1] - 1 if index + 1 < len(texts) else len(words.hashes)) - self.n + 1)
            wanted = hashes[start:stop] | np.uint64(item)
            at = np.minimum(np.searchsorted(self.keys, wanted), max(len(self.keys) - 1, 0))
            hit = np.flatnonzero(valid[start:stop] & (self.keys[at] == wanted)) if len(self.keys) else []
            if not len(hit) or not text.isascii():
                spans.append((0, len(text)))
                continue
            last = int(hit[-1]) + self.n - 1
            found = list(islice(_WORD.finditer(self.norm.apply(text)), last + 1))
            spans.append((found[int(hit[0])].start(), found[last].end()))
        return spans

    def contains_any(self, texts: Sequence[str]) -> np.ndarray:
        """For each text, whether it shares at least one n-gram with any benchmark item."""
        flags = np.zeros(len(texts), bool)
        if len(texts) and len(self.keys):
            words, positions, *_ = self._windows(texts)
            flags[words.text[positions]] = True
        return flags

    def match(self, texts: Sequence[str], min_score: float) -> list[Match]:
        """Every (text, item) whose containment score is at least `min_score`."""
        if not len(texts) or not len(self.keys):
            return []
        words, positions, lo, hi = self._windows(texts)
        if not len(positions):
            return []
        # each distinct n-gram of a text once: a run of keys is one n-gram
        width = np.int64(len(self.keys))
        pairs = distinct(words.text[positions].astype(np.int64) * width + lo.astype(np.int64))
        texts_of, lo = pairs // width, pairs % width
        hi = np.searchsorted(self.keys, self.keys[lo] | self.low, "right")
        owners = (self.keys[ranges(lo, hi - lo)] & self.low).astype(np.int64)
        items = np.int64(len(self.item_ngrams))
        combined, counts = distinct(np.repeat(texts_of, hi - lo) * items + owners, counts=True)
        keys = np.stack([combined // items, combined % items], axis=1)
        scores = counts / self.item_ngrams[keys[:, 1]]
        keep = np.flatnonzero(scores >= min_score)
        return [Match(int(keys[k, 0]), int(keys[k, 1]), int(counts[k]), float(scores[k])) for k in keep]
