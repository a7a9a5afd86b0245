"""The static MiniLM embedder: word-cached tokenization equals whole-text WordPiece."""

from __future__ import annotations

import numpy as np
import pytest

from reasonledger.quality.embed import EmbedderUnavailable, StaticEmbedder

TEXTS = ["Janet’s ducks lay 16 eggs per day.", "Ｃafé “quoted” naïve 中文字 x²+y² ≥ 3", "", "  \t ",
         "A robe takes 2 bolts of blue fiber and half that much white fiber.", "def f(x):\n    return x**2  # square"]


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    try:
        return StaticEmbedder()
    except EmbedderUnavailable as exc:
        pytest.skip(str(exc))


def test_word_cache_gives_the_ids_of_whole_text_tokenization(embedder: StaticEmbedder) -> None:
    whole = [e.ids for e in embedder.tokenizer.encode_batch(TEXTS, add_special_tokens=False)]
    for _ in range(2):  # and again, from the cache
        flat, lengths = embedder._ids(TEXTS)
        assert lengths.tolist() == [len(ids) for ids in whole]
        assert flat.tolist() == [i for ids in whole for i in ids]


def test_vectors_are_unit_or_zero_and_idf_separates_topics(embedder: StaticEmbedder) -> None:
    embedder.fit_idf(TEXTS)
    vectors = embedder.encode(TEXTS)
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[[0, 1, 4, 5]], 1, atol=1e-5) and norms[2] == norms[3] == 0
    a, b, c = embedder.encode(["A robe needs 2 bolts of blue fibre and half as much white fibre.",
                               "A robe takes 2 bolts of blue fiber and half that much white fiber.",
                               "def f(x): return x squared"])
    assert a @ b > 0.8 > a @ c
