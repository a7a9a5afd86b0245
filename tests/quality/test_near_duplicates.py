"""Near-duplicates: recall on a synthetic mutation test, and every reported pair verified."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonledger.quality.minhash import (
    Clusters,
    NearDupConfig,
    jaccards,
    lsh_bands,
    near_duplicates,
    shingle_sets,
)


def shingles(text: str, config: NearDupConfig) -> set[tuple[object, ...]]:
    """Word n-grams within each line, and each line's whole word sequence with the line's number."""
    n, found = config.shingle, set()
    for number, line in enumerate(text.split("\n")):
        words = config.normalisation.words(line)
        found |= {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        found |= {(number, "whole line", *words)} if words else set()
    return found


def true_jaccard(a: str, b: str, config: NearDupConfig) -> float:
    x, y = shingles(a, config), shingles(b, config)
    return len(x & y) / len(x | y)


def mutated_corpus(seed: int = 7, originals: int = 1500, copies: int = 1500) -> tuple[list[str], list[tuple[int, int]]]:
    """Random texts, then copies with a random share of words replaced (Jaccard from ~0.4 to 1)."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(4000)]
    base = [[rng.choice(vocab) for _ in range(rng.randint(20, 90))] for _ in range(originals)]
    docs = [" ".join(words) for words in base]
    planted = []
    for _ in range(copies):
        source = rng.randrange(originals)
        rate = rng.uniform(0.0, 0.2)
        words = [rng.choice(vocab) if rng.random() < rate else w for w in base[source]]
        docs.append(" ".join(words))
        planted.append((source, len(docs) - 1))
    return docs, planted


def test_recall_on_pairs_at_or_above_the_threshold_and_every_pair_verified() -> None:
    config = NearDupConfig(threshold=0.8)
    docs, planted = mutated_corpus()
    found = near_duplicates(docs, config)
    reported = {(i, j): s for i, j, s in found.iter_pairs()}
    positives = [(i, j) for i, j in planted if true_jaccard(docs[i], docs[j], config) >= 0.8]
    assert len(positives) > 300  # the mutation rates put hundreds of pairs above the threshold
    recall = sum(pair in reported for pair in positives) / len(positives)
    assert recall >= 0.99, recall
    for (i, j), similarity in reported.items():
        exact = true_jaccard(docs[i], docs[j], config)
        assert abs(exact - similarity) < 1e-9 and exact >= 0.8


def test_bands_give_the_promised_probability_at_the_threshold() -> None:
    for threshold, perms in ((0.8, 128), (0.7, 256), (0.9, 64)):
        bands, rows = lsh_bands(threshold, perms)
        assert bands * rows <= perms
        assert 1 - (1 - threshold**rows) ** bands >= 0.99


def test_clusters_are_connected_components_rooted_at_the_earliest() -> None:
    clusters = Clusters()
    for a, b in ((5, 3), (3, 9), (7, 8)):
        clusters.union(a, b)
    assert clusters.groups() == [[3, 5, 9], [7, 8]]


def test_short_and_empty_texts() -> None:
    found = near_duplicates(["two words", "two words", "", "", "other"], NearDupConfig())
    assert [(i, j) for i, j, _ in found.iter_pairs()] == [(0, 1)]
    assert found.clusters == [[0, 1]] and found.verified_pairs() == 1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=12).map(" ".join), min_size=2, max_size=8),
       st.data())
def test_batched_jaccard_equals_set_jaccard(texts: list[str], data: st.DataObject) -> None:
    config = NearDupConfig(shingle=2)
    flat, offsets = shingle_sets(texts, config)
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, len(texts) - 1), st.integers(0, len(texts) - 1)),
                                        min_size=1, max_size=10)), np.int64)
    got = jaccards(flat, offsets, pairs, chunk=7)  # a tiny chunk exercises the batching
    for (i, j), value in zip(pairs.tolist(), got):
        a, b = set(flat[offsets[i]:offsets[i + 1]].tolist()), set(flat[offsets[j]:offsets[j + 1]].tolist())
        assert value == (len(a & b) / len(a | b) if a | b else 1.0)


def test_exact_copies_are_grouped_and_every_copy_is_reported() -> None:
    base = "Natalia sold clips to 48 of her friends in April and half as many in May"
    near = base.replace("April", "March")  # Jaccard 11/19 with base: a near duplicate, not a copy
    texts = [base, "unrelated words here entirely", base.upper(), near, base + "!", near, "", ""]
    found = near_duplicates(texts, NearDupConfig(threshold=0.55))
    assert found.clusters == [[0, 2, 3, 4, 5]]  # copies (case, punctuation) and the near one's copy too
    assert found.duplicate_of.tolist() == [0, 1, 0, 3, 0, 3, 6, 6]
    assert found.copies.tolist() == [2, 4, 5]  # the empty texts have no words: never duplicates
    assert [(i, j) for i, j, _ in found.pairs] == [(0, 3)]  # one pair between distinct texts
    assert list(found.iter_pairs()) == [(0, 2, 1.0), (0, 3, 11 / 19), (0, 4, 1.0), (3, 5, 1.0)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1499), min_size=1, max_size=60))
def test_copies_change_nothing_but_the_members(picks: list[int]) -> None:
    """Clustering texts with copies equals clustering the distinct texts and adding each copy to
    its first text's cluster (a first text alone gets a cluster once it has a copy)."""
    docs, _ = mutated_corpus(originals=300, copies=1200)
    texts = [docs[p] for p in picks] + docs[:50]
    config = NearDupConfig()
    found = near_duplicates(texts, config)
    firsts = sorted({texts.index(t) for t in texts})
    alone = near_duplicates([texts[i] for i in firsts], config)
    members: dict[int, list[int]] = {}
    for cluster in alone.clusters:
        for k in cluster:
            members[firsts[k]] = [firsts[m] for m in cluster]
    want: dict[int, set[int]] = {}
    for index, text in enumerate(texts):
        first = texts.index(text)
        root = min(members.get(first, [first]))
        want.setdefault(root, set()).add(index)
    for cluster in alone.clusters:
        want.setdefault(firsts[cluster[0]], set()).update(firsts[m] for m in cluster)
    assert found.clusters == sorted(sorted(g) for g in want.values() if len(g) > 1)
    assert len(found.pairs) == len(alone.pairs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "\n"]), max_size=14).map(" ".join), min_size=2, max_size=6))
def test_line_shingles_equal_the_reference_definition(texts: list[str]) -> None:
    """Multi-line texts: the hashed shingle sets have the Jaccard of `shingles` above."""
    config = NearDupConfig(shingle=2)
    flat, offsets = shingle_sets(texts, config)
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], np.int64)
    for (i, j), value in zip(pairs.tolist(), jaccards(flat, offsets, pairs)):
        a, b = shingles(texts[i], config), shingles(texts[j], config)
        assert value == pytest.approx(len(a & b) / len(a | b) if a | b else 1.0)


def test_shingling_in_batches_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from reasonledger.quality import minhash

    texts = ["a b c\nd e", "", "x y", "one two three four\n\nfive"] * 3
    whole = minhash.shingles(texts, NearDupConfig())
    monkeypatch.setattr(minhash, "_TEXTS_PER_BATCH", 5)  # 12 texts: batches of 5, 5 and 2
    for got, want in zip(minhash.shingles(texts, NearDupConfig()), whole):
        assert got.tolist() == want.tolist()


def test_the_signature_floor_drops_only_pairs_exact_verification_rejects(monkeypatch) -> None:
    """Candidates whose signatures agree too little are not verified: with the floor off (every
    candidate verified) the same pairs and clusters come out. The floor is the binomial tail."""
    from math import comb

    import reasonledger.quality.minhash as minhash

    floor = minhash.agreement_floor(0.8, 128)
    below = sum(comb(128, k) * 0.8**k * 0.2 ** (128 - k) for k in range(floor))
    assert below <= 1e-12 < below + comb(128, floor) * 0.8**floor * 0.2 ** (128 - floor)
    docs, _ = mutated_corpus(originals=600, copies=900)
    config = NearDupConfig(threshold=0.8)
    screened = near_duplicates(docs, config)
    monkeypatch.setattr(minhash, "agreement_floor", lambda threshold, num_perm: 0)
    everything = near_duplicates(docs, config)
    assert screened.pairs == everything.pairs and screened.clusters == everything.clusters
    assert len(screened.pairs) > 100
