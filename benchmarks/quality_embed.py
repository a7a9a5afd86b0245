"""Embedding throughput for the semantic contamination pass: the static distillation of MiniLM
that the audit uses, against running the MiniLM transformer itself (the same int8 ONNX file).

Texts: GSM8K test questions and ProcessBench solution steps. The static model is timed after its
table is cached (the one-off distillation time is printed when it had to be built); its word
cache (each distinct word is tokenized once) starts empty, and that first pass is printed too.
`--batch 256 64` times `encode` at each batch size in turn, `--runs` times, after the first pass, so
the sizes are compared on the same machine state (the default: `encode`'s own batch).

Run: .venv/bin/python benchmarks/quality_embed.py [--data ../shared/data] [--transformer-texts 256] [--runs 3]
     [--batch N ...]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import time
from pathlib import Path

import numpy as np

from reasonledger.quality.embed import StaticEmbedder, model_files

ROOT = Path(__file__).resolve().parents[1]


def texts(data: Path) -> list[str]:
    out = [json.loads(line)["question"] for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    for subset in ("math", "gsm8k"):
        out += [step for row in json.loads((data / "processbench" / f"{subset}.json").read_text()) for step in row["steps"]]
    return out


def transformer_rate(sample: list[str]) -> float:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model, tokenizer_path = model_files()
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    started = time.perf_counter()
    for first in range(0, len(sample), 32):
        encoded = tokenizer.encode_batch(sample[first:first + 32])
        ids = np.array([e.ids for e in encoded], np.int64)
        mask = np.array([e.attention_mask for e in encoded], np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--transformer-texts", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+",
                        default=[inspect.signature(StaticEmbedder.encode).parameters["batch"].default])
    args = parser.parse_args()
    corpus = texts(args.data)
    started = time.perf_counter()
    embedder = StaticEmbedder()
    print(f"static table ready in {time.perf_counter() - started:.1f} s (distilled once, then cached)")
    embedder.fit_idf(corpus[:1319])
    started = time.perf_counter()
    embedder.encode(corpus, batch=args.batch[0])
    first = len(corpus) / (time.perf_counter() - started)
    rates: dict[int, list[float]] = {size: [] for size in args.batch}
    for _ in range(args.runs):  # sizes alternated; the machine is shared: keep each size's least disturbed run
        for size in args.batch:
            started = time.perf_counter()
            embedder.encode(corpus, batch=size)
            rates[size].append(len(corpus) / (time.perf_counter() - started))
    words = sum(len(t.split()) for t in corpus) / len(corpus)
    print(f"static MiniLM (audit default), {len(corpus):,} texts ({words:.0f} words each), {os.cpu_count()} cores; "
          f"first pass (batch {args.batch[0]}), every word new to the word cache: {first:,.0f} texts/s")
    for size, seen in rates.items():
        print(f"  batch {size:4}: {max(seen):9,.0f} texts/s (runs: {' / '.join(f'{r:,.0f}' for r in seen)})")
    sample = corpus[: args.transformer_texts]
    rate = max(transformer_rate(sample) for _ in range(args.runs))
    print(f"MiniLM transformer, ONNX int8: {rate:9,.0f} texts/s over {len(sample):,} texts")


if __name__ == "__main__":
    main()
