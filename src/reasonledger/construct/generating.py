"""The base of every construction step with a model in the loop: one generator client per worker
process, built in `setup` from the step's `generator` params, its replay files read from the recipe's
folder and checked when the recipe loads."""

from __future__ import annotations

from reasonledger.engine.step import Step, StepContext
from reasonledger.generation.generator import Generator
from reasonledger.generation.protocol import GeneratorSpec


def with_replay_files(step: Step, spec: GeneratorSpec, field: str = "generator") -> GeneratorSpec:
    """`spec` with its replay files read from the recipe's folder (never outside it unless the user
    allows), each checked to exist; `field` names the spec in the error."""
    files = []
    for path in spec.replay:
        resolved = step.resolve(path, f"{field}.replay")
        if not resolved.is_file():
            raise ValueError(f"{field}.replay: no such file {resolved}")
        files.append(str(resolved))
    return spec.model_copy(update={"replay": files})


class GeneratingStep(Step):
    """A step whose params hold a `generator`: one client per worker process (`setup`), whose
    request cache, rate limits and connections serve every shard; its replay files are checked
    when the recipe loads."""

    generator: Generator | None = None

    def check_at_load(self) -> None:
        with_replay_files(self, self.params.generator)  # type: ignore[attr-defined]

    def setup(self, ctx: StepContext) -> None:
        ctx.count_setup("generator_clients")
        self.generator = Generator(with_replay_files(self, self.params.generator), ctx.run, ctx.step)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.generator is not None:
            self.generator.close()
            self.generator = None

    def client(self, ctx: StepContext) -> Generator:
        """The worker's generator client (set up here when the step runs outside a build, as in a test)."""
        if self.generator is None:
            GeneratingStep.setup(self, ctx)
        assert self.generator is not None
        return self.generator

