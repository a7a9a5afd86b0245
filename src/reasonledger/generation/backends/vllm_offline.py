"""vLLM in process (optional extra): the whole batch goes to `LLM.generate` / `LLM.chat` at once.

The model is loaded once per worker process, so a recipe using this backend should run with
`workers: 1` (one process owns the GPUs). vLLM is imported only here, and only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reasonledger.generation.backends import Backend, Done
from reasonledger.generation.protocol import Choice, GenerationRequest, GeneratorSpec, Response

SAMPLING_KEYS = ("n", "temperature", "top_p", "top_k", "min_p", "max_tokens", "stop", "seed",
                 "presence_penalty", "frequency_penalty", "repetition_penalty")


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        try:
            import vllm
        except ImportError as exc:
            raise ValueError("backend vllm: vLLM is not installed here (`pip install vllm` on a machine with a GPU), "
                             f"or use the openai backend against a vLLM server ({exc})") from None
        self._vllm = vllm
        self.llm = vllm.LLM(model=spec.model, revision=spec.revision, **spec.vllm)

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "vllm": self._vllm.__version__}

    def _params(self, payload: dict[str, Any]) -> Any:
        return self._vllm.SamplingParams(**{k: payload[k] for k in SAMPLING_KEYS if k in payload})

    def run(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        chats = [i for i, r in enumerate(requests) if r.api == "chat"]
        texts = [i for i, r in enumerate(requests) if r.api == "completions"]
        outputs: dict[int, Any] = {}
        for continuing in (False, True):
            group = [i for i in chats if _continues(requests[i]) == continuing]
            if group:
                results = self.llm.chat([requests[i].payload["messages"] for i in group],
                                        [self._params(requests[i].payload) for i in group], use_tqdm=False,
                                        add_generation_prompt=not continuing, continue_final_message=continuing)
                outputs.update(zip(group, results))
        if texts:
            results = self.llm.generate([requests[i].payload["prompt"] for i in texts],
                                        [self._params(requests[i].payload) for i in texts], use_tqdm=False)
            outputs.update(zip(texts, results))
        for index in sorted(outputs):
            result = outputs[index]
            choices = [Choice(o.text, o.finish_reason) for o in result.outputs]
            done(index, Response(choices, self.model, len(result.prompt_token_ids or []),
                                 sum(len(o.token_ids) for o in result.outputs)))

    def close(self) -> None:
        del self.llm


def _continues(request: GenerationRequest) -> bool:
    messages = request.payload.get("messages") or []
    return bool(messages) and messages[-1].get("role") == "assistant"
