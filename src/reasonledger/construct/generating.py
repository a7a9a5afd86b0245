"""The base of every construction step with a model in the loop: one generator client per worker
process, built in `setup` from the step's `generator` params, its replay files read from the recipe's
folder and checked when the recipe loads."""

from __future__ import annotations

from pathlib import Path

from reasonledger.engine.step import Step, StepContext
from reasonledger.generation.generator import Generator
from reasonledger.generation.protocol import GeneratorSpec


def replay_files(step: Step) -> list[Path]:
    """A step's replay files, read from the recipe's folder (never outside it unless the user allows)."""
    files = []
    for path in step.params.generator.replay:  # type: ignore[attr-defined]
        resolved = step.resolve(path, "generator.replay")
        if not resolved.is_file():
            raise ValueError(f"generator.replay: no such file {resolved}")
        files.append(resolved)
    return files


class GeneratingStep(Step):
    """A step whose params hold a `generator`: one client per worker process (`setup`), whose
    request cache, rate limits and connections serve every shard; its replay files are checked
    when the recipe loads."""

    generator: Generator | None = None

    def check_at_load(self) -> None:
        replay_files(self)

    def setup(self, ctx: StepContext) -> None:
        ctx.count_setup("generator_clients")
        self.generator = open_generator(self, ctx)

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


def open_generator(step: Step, ctx: StepContext) -> Generator:
    """The generator of a step's `generator` params, with replay files read from the recipe's folder."""
    spec: GeneratorSpec = step.params.generator  # type: ignore[attr-defined]
    spec = spec.model_copy(update={"replay": [str(path) for path in replay_files(step)]})
    return Generator(spec, ctx.run, ctx.step)
