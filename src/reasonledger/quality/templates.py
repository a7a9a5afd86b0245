"""Shared instructions: shingles that many texts of one group (a task family, a source) hold.

Generated prompts repeat a long instruction around a short task; Jaccard over every shingle then
measures the instruction, and thousands of distinct tasks join one near-duplicate cluster. A
shingle held by at least `share` of a group's distinct texts is part of that group's template:
it is left out of the similarity (only what is specific to each task is compared) and the
template is reported on its own, with a digest of its shingles and its size.

Found from the shingles already made for MinHash, with no second pass over the records: each
(group, shingle) is one 64-bit key carrying the text's number in its low bits, and its document
frequency is the length of its run after one sort and dropping repeats; a line's shingle is
counted once numbered from the text's start and once from its end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from reasonledger.quality.ngrams import distinct, mix64

_GROUP_MIX = np.uint64(0xD6E8FEB86659FD93)


@dataclass
class Template:
    """The template of one group: `shingles` distinct shingles held by at least the threshold share
    of its `texts` distinct texts; `digest` identifies that shingle set (same words, same digest)."""

    group: int
    shingles: int
    texts: int
    holding: int  # distinct texts of the group holding at least one template shingle
    only_template: int  # distinct texts with nothing but template shingles
    digest: str


def template_shingles(views: list[np.ndarray], offsets: np.ndarray, groups: np.ndarray, share: float,
                      min_texts: int) -> tuple[np.ndarray, list[Template]]:
    """(mask over the shingles, True for a template shingle; the templates found, by group).

    Text i owns view[offsets[i]:offsets[i+1]] of every view (the same shingles, hashed in
    different ways: a shingle frequent in any view is template) and belongs to groups[i]; groups
    with fewer than `min_texts` texts with shingles have no template.
    """
    sizes = np.diff(offsets)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    with_shingles = np.bincount(groups[sizes > 0], minlength=int(groups.max(initial=-1)) + 1)
    needed = np.maximum(np.ceil(share * with_shingles), 2)
    needed[with_shingles < min_texts] = np.inf
    mask = _frequent(views[0], owner, groups, needed)
    for view in views[1:]:  # only where it hashes a shingle differently is there anything new to count
        differs = np.flatnonzero(view != views[0])
        mask[differs] |= _frequent(view[differs], owner[differs], groups, needed)
    return mask, _describe(views[0], owner, groups, sizes, mask, with_shingles)


def _frequent(flat: np.ndarray, owner: np.ndarray, groups: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """True where a shingle is held by at least `needed[group]` distinct texts of its group.

    Each (group, shingle) hash keeps its high bits and takes the text's number in its low bits, so
    one sort of plain integers lists every key's texts together, once each (no gathers of the
    shingles in sorted order); a collision needs the remaining high bits to agree."""
    bits = np.uint64(max(1, int(len(groups) - 1).bit_length()))
    low = np.uint64((1 << int(bits)) - 1)
    with np.errstate(over="ignore"):
        high = mix64(flat ^ ((groups[owner].astype(np.uint64) + np.uint64(1)) * _GROUP_MIX)) & ~low
    pairs = distinct(high | owner.astype(np.uint64))  # (key, text), each once
    keys = pairs & ~low
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, np.int64)
    frequency = np.diff(np.append(first, len(keys)))
    text = (pairs[first] & low).astype(np.int64)
    shared = keys[first][frequency >= needed[groups[text]]]  # sorted
    if not len(shared):
        return np.zeros(len(flat), bool)
    at = np.minimum(np.searchsorted(shared, high), len(shared) - 1)
    return shared[at] == high


def _describe(flat: np.ndarray, owner: np.ndarray, groups: np.ndarray, sizes: np.ndarray, mask: np.ndarray,
              with_shingles: np.ndarray) -> list[Template]:
    found = []
    held = np.bincount(owner[mask], minlength=len(sizes))
    element_group = groups[owner]
    for group in np.unique(element_group[mask]).tolist():
        mine = groups == group
        shared = np.unique(flat[mask & (element_group == group)])
        found.append(Template(group, len(shared), int(with_shingles[group]), int((held[mine] > 0).sum()),
                              int(((held == sizes) & (sizes > 0) & mine).sum()),
                              hashlib.blake2b(shared.astype("<u8").tobytes(), digest_size=8).hexdigest()))
    return found
