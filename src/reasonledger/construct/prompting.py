"""How a task becomes the prompt a model sees, and how a request body is assembled around it.

The template wraps the task's prompt text (`{prompt}` is replaced, nothing else is formatted, so
LaTeX braces survive). The rendered prompt is kept on every rollout set (`meta.generation`) so the
exports train on exactly what the model was asked, and replay finds it again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reasonledger.generation.protocol import GenerationRequest, GeneratorSpec, Sampling
from reasonledger.engine.pipeline import derived_seed
from reasonledger.records.model import Record, Task, prompt_text


class GenerationParams(BaseModel):
    """What every step with a model in the loop takes: the generator, sampling, template and seed."""

    model_config = ConfigDict(extra="forbid")
    generator: GeneratorSpec
    sampling: Sampling = Field(default_factory=Sampling)
    template: str = Field("{prompt}", description="the user message (chat) or prompt (completions); {prompt} is the task")
    system: str | None = None
    seed: int = 0
    send_seed: bool = Field(True, description="send a per-sample seed (servers that reject `seed` need false)")
    batch: int = Field(256, gt=0, description="records whose requests are in flight together")
    on_failure: Literal["drop", "stop"] = Field(
        "drop", description="drop: the record goes to rejected/ with reason generation_failed; stop: the build stops "
                            "after the batch (a resumed build re-sends only what failed)")

    @field_validator("template")
    @classmethod
    def _has_prompt(cls, value: str) -> str:
        if "{prompt}" not in value:
            raise ValueError("the template must contain {prompt}")
        return value


def render(task: Task, api: str, template: str, system: str | None) -> dict[str, Any]:
    """The prompt part of a request body: {"messages": [...]} for chat, {"prompt": "..."} for completions."""
    if api == "completions":
        return {"prompt": template.replace("{prompt}", prompt_text(task))}
    if isinstance(task.prompt, str):
        messages = [{"role": "user", "content": template.replace("{prompt}", task.prompt)}]
    else:
        messages = [m.model_dump() for m in task.prompt]
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=len(messages) - 1)
        messages[last_user] = {**messages[last_user], "content": template.replace("{prompt}", messages[last_user]["content"])}
    if system and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system})
    return {"messages": messages}


def payload(params: GenerationParams, model: str, prompt_body: dict[str, Any], n: int, seed: int | None) -> dict[str, Any]:
    """The full OpenAI body: model, prompt, sampling, n, seed, and the generator's extra fields."""
    body: dict[str, Any] = {"model": model, **prompt_body, **params.sampling.body(), **params.generator.extra_body}
    if n != 1:
        body["n"] = n
    if params.send_seed and seed is not None:
        body["seed"] = seed
    return body


def base_seed(params: GenerationParams, *parts: object, span: int = 1) -> int:
    """A seed that depends on the step's seed and what is sampled (not on shards); samples
    use base, base+1, ..., so `span` consecutive seeds stay below 2**31."""
    return derived_seed(params.seed, *parts) % (2**31 - span)


def sampling_record(params: GenerationParams, **more: Any) -> dict[str, Any]:
    """The sampling settings as lineage records them: everything that conditions the output."""
    return {**params.sampling.body(), "api": params.generator.api, "template": params.template,
            "system": params.system, "backend": params.generator.backend, **more}


def generation_meta(record: Record, api: str, prompt_body: dict[str, Any]) -> dict[str, Any]:
    return {**record.meta, "generation": {"api": api, "payload": prompt_body}}


def sample_requests(params: GenerationParams, model: str, prompt_body: dict[str, Any], seed: int, samples: int,
                    per_request: int = 1) -> list[GenerationRequest]:
    """Requests for samples 0..samples-1, `per_request` at a time; sample j is seeded seed + j."""
    api = params.generator.api
    return [GenerationRequest(api, payload(params, model, prompt_body, per_request, seed + first), first)
            for first in range(0, samples, per_request)]


def generator_versions(spec: GeneratorSpec) -> dict[str, str]:
    """What the run log can say about a generator before any worker has asked the server."""
    return {"backend": spec.backend, "model": spec.model or "served model",
            **({"revision": spec.revision} if spec.revision else {})}
