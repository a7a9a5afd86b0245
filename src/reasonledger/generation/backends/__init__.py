"""Generator backends behind one factory: OpenAI-compatible HTTP, replay of recorded completions,
vLLM in process, and scripted fakes for tests. A backend answers a list of requests, reporting each
outcome as it lands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import ClassVar

from reasonledger.generation.protocol import BACKENDS, GenerationRequest, GeneratorSpec, Outcome

# done(index, outcome) is called once per request, as soon as its outcome is known.
Done = Callable[[int, Outcome], None]


class Backend:
    """Base class: `model` (the resolved name), `describe()`, `run(requests, done)`, `close()`.

    `events` counts what happened on the wire (retries, 429s, timeouts) for the run log.
    """

    name: ClassVar[str]
    # Whether answers are worth caching: a replay file is its own cache.
    cacheable: ClassVar[bool] = True

    def __init__(self, spec: GeneratorSpec) -> None:
        self.spec = spec
        self.events: Counter[str] = Counter()

    @property
    def model(self) -> str:
        if not self.spec.model:
            raise ValueError(f"the {self.name} backend needs `model`")
        return self.spec.model

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "model": self.model, **({"revision": self.spec.revision} if self.spec.revision else {})}

    def run(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections, event loops or GPU memory."""


def make_backend(spec: GeneratorSpec) -> Backend:
    """The backend named by `spec.backend` (the `generation backend` registry), imported only when
    used (vLLM is an optional extra)."""
    backend: type[Backend] = BACKENDS[spec.backend]
    return backend(spec)
