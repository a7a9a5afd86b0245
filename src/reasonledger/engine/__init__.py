"""The engine: steps, pipelines, recipes, executors, the run log, resume."""

from reasonledger.engine.source import Source, register_source
from reasonledger.engine.step import Step, StepContext, register_step

__all__ = ["Source", "Step", "StepContext", "register_source", "register_step"]
