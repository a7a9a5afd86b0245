"""Shared instructions: shingles that many texts of one group (a task family, a source) hold.

Generated prompts repeat a long instruction around a short task; Jaccard over every shingle then
measures the instruction, and thousands of distinct tasks join one near-duplicate cluster. A
shingle held by at least `share` of a group's distinct texts is part of that group's template:
it is left out of the similarity (only what is specific to each task is compared) and the
template is reported on its own, with a digest of its shingles and its size.

Found from the shingles already made for MinHash, with no second pass over the records: each
(group, shingle) is one 64-bit key, and its document frequency is the number of distinct texts in
its run of equal keys after one stable sort (the texts are in order within a run, so repeats are
adjacent); a line's shingle is counted once numbered from the text's start and once from its end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from reasonledger.quality.ngrams import mix64

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
    mask = np.zeros(len(views[0]), bool)
    for view in views:
        mask |= _frequent(view, owner, groups, needed)
    return mask, _describe(views[0], owner, groups, sizes, mask, with_shingles)


def _frequent(flat: np.ndarray, owner: np.ndarray, groups: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """True where a shingle is held by at least `needed[group]` distinct texts of its group."""
    group_of = groups[owner].astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = mix64(flat ^ ((group_of + np.uint64(1)) * _GROUP_MIX))
    order = np.argsort(keys, kind="stable")  # stable: each run of equal keys lists its texts in order
    ordered, texts = keys[order], owner[order]
    new_key = np.concatenate(([True], ordered[1:] != ordered[:-1])) if len(ordered) else np.zeros(0, bool)
    new_text = new_key | np.concatenate(([True], texts[1:] != texts[:-1])) if len(ordered) else new_key
    run = np.cumsum(new_key) - 1
    frequency = np.bincount(run, weights=new_text, minlength=int(new_key.sum())).astype(np.int64)
    in_template = frequency >= needed[groups[texts[new_key]]]
    mask = np.empty(len(flat), bool)
    mask[order] = in_template[run]
    return mask


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
