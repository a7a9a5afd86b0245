"""Exact n-gram containment: checked against a plain-Python reference on random texts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonledger.quality.ngrams import NgramIndex
from reasonledger.quality.text import Normalisation

ITEM = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins with four."


def reference_scores(items: list[str], texts: list[str], n: int, norm: Normalisation) -> dict[tuple[int, int], float]:
    """Containment computed the slow, obvious way: sets of word tuples, numbers as one word."""
    def grams(text: str) -> set[tuple[bytes, ...]]:
        words = [b"0" if norm.is_number(w) else w for w in norm.words(text)]
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    scores = {}
    for t, text in enumerate(texts):
        have = grams(text)
        for i, item in enumerate(items):
            want = grams(item)
            if want:
                scores[(t, i)] = len(want & have) / len(want)
    return scores


def test_an_item_buried_in_a_long_solution_is_found_whole() -> None:
    filler = "Let us think step by step about a different matter entirely. " * 40
    index = NgramIndex([ITEM], n=8)
    [match] = index.match([filler + ITEM + " " + filler], min_score=0.5)
    assert match.score == 1.0 and match.item == 0
    text = filler + ITEM + " " + filler
    [(start, end), whole] = index.locate([text, "nothing here"], [0, 0])
    assert text[start:end] == ITEM.rstrip(".") and whole == (0, len("nothing here"))  # punctuation is not a word


def test_digits_to_zero_catches_a_copy_with_changed_numbers() -> None:
    changed = ITEM.replace("16", "22")
    assert NgramIndex([ITEM], n=8).match([changed], 0.9)
    assert not NgramIndex([ITEM], n=8, normalisation=Normalisation(digits_to_zero=False)).match([changed], 0.9)


def test_windows_never_span_two_texts() -> None:
    words = ITEM.split()
    halves = [" ".join(words[:9]), " ".join(words[9:])]
    assert NgramIndex([ITEM], n=8).match(halves, min_score=0.9) == []
    assert NgramIndex([ITEM], n=8).match([" ".join(halves)], min_score=0.9)


def test_items_shorter_than_n_are_reported() -> None:
    index = NgramIndex(["too short", ITEM], n=8)
    assert index.too_short == [0]


def test_an_index_built_in_slices_finds_and_locates_the_same() -> None:
    items = [f"item {k} says that {ITEM.lower()} and then {k} more" for k in range(9)] + [ITEM, "too short"]
    text = "Some preamble words here. " + ITEM + " And a tail."
    whole, sliced = NgramIndex(items, n=8), NgramIndex(items, n=8, slice_items=2)
    assert whole.keys.tolist() == sliced.keys.tolist() and whole.item_ngrams.tolist() == sliced.item_ngrams.tolist()
    assert whole.too_short == sliced.too_short == [10]
    matches = sliced.match([text], 0.5)
    assert [(m.item, m.score) for m in matches] == [(m.item, m.score) for m in whole.match([text], 0.5)]
    assert {m.item for m in matches if m.score == 1.0} == {9}
    [(start, end)] = sliced.locate([text], [9])
    assert text[start:end] == ITEM.rstrip(".")
    assert sliced.keys.dtype == np.uint64 and sliced.keys.nbytes == 8 * int(sliced.item_ngrams.sum())  # 8 bytes an n-gram


def test_unicode_text_is_normalised_before_matching() -> None:
    index = NgramIndex(["Ｃafé prices rise by 5 “percent” each year for ten years in a row now"], n=6)
    assert index.match(["café PRICES rise by 9 percent each year for ten years in a row now"], 1.0)


_word = st.sampled_from(["apple", "Pear", "7", "12", "fig,", "kiwi.", "plum", "é", "x", "STRASSE", "straße", "a\x00b",
                         "0007", "“q”", "averyveryverylongwordthatneedsseveralchunks", "x" * 70, "x" * 71])
_space = st.sampled_from([" ", "\t", "\n", "\u00a0", "  ", "\r\n"])
_text = st.lists(st.tuples(_word, _space), min_size=0, max_size=30).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=120, deadline=None)
@given(items=st.lists(_text, min_size=1, max_size=6), texts=st.lists(_text, min_size=1, max_size=4),
       n=st.integers(1, 4), digits=st.booleans(), slice_items=st.integers(1, 7))
def test_scores_equal_the_plain_python_reference(items: list[str], texts: list[str], n: int, digits: bool,
                                                 slice_items: int) -> None:
    norm = Normalisation(digits_to_zero=digits)
    index = NgramIndex(items, n, norm, slice_items=slice_items)  # built a few items at a time
    got = {(m.text_index, m.item): m.score for m in index.match(texts, min_score=1e-9)}
    want = {key: score for key, score in reference_scores(items, texts, n, norm).items() if score > 0}
    assert got.keys() == want.keys()
    for key, score in want.items():
        assert abs(got[key] - score) < 1e-12


def test_locating_many_items_that_share_their_n_grams_stays_linear() -> None:
    """Items that normalise alike (numbers map to 0) all match one text; locating each costs the
    text's length, not the text times every item sharing its n-grams."""
    items = [f"Question {k}: {ITEM}" for k in range(3000)]
    text = "Copied: " + items[0]
    index = NgramIndex(items, n=8)
    matches = index.match([text], 0.5)
    assert len(matches) == 3000 and {m.score for m in matches} == {1.0}
    spans = index.locate([text] * len(matches), [m.item for m in matches])
    assert set(spans) == {(text.index("Question"), len(text) - 1)}  # from the first word to the last, "." dropped
