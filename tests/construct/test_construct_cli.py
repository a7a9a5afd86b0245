"""`reasonledger construct serve` answers a recipe's requests from a replay file over HTTP, and the
optional vLLM backend says clearly what to do when vLLM is not installed."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from reasonledger.generation.protocol import GeneratorSpec
from reasonledger.construct.rollouts import Rollouts
from reasonledger.engine.step import StepContext

from .conftest import prompt_record

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "examples" / "data" / "replay_rollouts.jsonl"
TEMPLATE = "{prompt}\nThink step by step, then give the final answer in <answer></answer> tags."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_from_a_replay_file(tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "reasonledger.cli", "construct", "serve", str(FIXTURE),
                               "--port", str(port), "--model", "hand-written"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert b"serving 8 prompts" in server.stderr.readline()
        record = prompt_record("What is 15% of 80?", "12")
        step = Rollouts(n=4, template=TEMPLATE, generator={"endpoint": f"http://127.0.0.1:{port}/v1"})
        (rollout_set,) = step.process(iter([record]), StepContext("s", 0, str(tmp_path), "00-rollouts"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    responses = sorted(r.response for r in rollout_set.behaviour.rollouts)
    assert len(responses) == 4 and any("0.15 * 80 = 12" in r for r in responses)
    assert rollout_set.lineage.events[-1].model == "hand-written"


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_says_what_to_do():
    from reasonledger.generation.backends import make_backend

    with pytest.raises(ValueError, match="pip install vllm"):
        make_backend(GeneratorSpec(backend="vllm", model="Qwen/Qwen2.5-0.5B-Instruct"))
