"""Whether data may run a model judge: the operator's `limits.judgment`, a door rather than a limit.

A judge call sends text the data chose (model output, dataset rows) to a model, at the operator's
cost. So a row, a recipe step or a recorded verdict may name a judgment verifier (`judge`, `rubric`,
`pairwise`, a recipe's decontamination judge) only when the operator's config file says so::

    limits:
      judgment: {allow: true, max_calls: 20000, backends: [openai], models: [gpt-4o-mini]}

`allow` opens the door (default closed), `max_calls` bounds the judge requests of a run and is
required with it (`budget.py` counts them), `backends` are those data may use (default `openai`, the
operator's endpoint; `replay` would read files a row names, `vllm` load a model), `models` those
data may name (default any). A refusal is `JudgmentNotAllowed`, a `ValueError`, so a step quarantines
the row as it does any row whose verifier cannot be built, and a recipe fails when it loads
(`verifiers/policy.py` calls `check_judgment` for every config data supplies). Judges the operator
builds in code, or sets in the config file (the math fallback), need no consent; `max_calls` bounds
them too.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reasonledger.userconfig import UserConfigError, config_path, load_user_config

JUDGMENT = "judgment"  # the `limits:` section of the model judges (a family, not one verifier)


class JudgmentLimits(BaseModel):
    """`limits.judgment` of the operator's config file: whether data may name a model judge at all,
    how many judge requests a run may send, and which backends and models it may use."""

    model_config = ConfigDict(extra="forbid")
    allow: bool = Field(False, description="true: rows, recipes and recorded verdicts may name a model judge")
    max_calls: int | None = Field(None, ge=0, description="the most judge requests one run may send (cached "
                                  "answers are free); required with allow: true")
    backends: list[str] = Field(default_factory=lambda: ["openai"], description="generation backends a judge "
                                "named by data may use (replay reads files, vllm loads a model)")
    models: list[str] = Field(default_factory=list, description="judge models data may name; empty: any")

    @model_validator(mode="after")
    def _bounded(self) -> "JudgmentLimits":
        if self.allow and self.max_calls is None:
            raise ValueError("allow: true needs max_calls, the most judge requests one run may send")
        return self


def judgment_section(values: Any) -> JudgmentLimits:
    """`values` checked as a `limits.judgment` section; UserConfigError naming the bad key otherwise."""
    try:
        limits = JudgmentLimits.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise UserConfigError(f"limits.{JUDGMENT}{'.' + where if where else ''}: {error['msg']}") from None
    from reasonledger.generation.protocol import BACKENDS

    unknown = [b for b in limits.backends if b not in BACKENDS]
    if unknown:
        raise UserConfigError(f"limits.{JUDGMENT}.backends: no generation backend is called {unknown[0]!r}; "
                              f"known: {', '.join(BACKENDS.names())}")
    return limits


def judgment_limits() -> JudgmentLimits:
    """The operator's `limits.judgment` (closed, with no bound on calls, when the config file sets none)."""
    return judgment_section(load_user_config().limits.get(JUDGMENT, {}))


class JudgmentNotAllowed(ValueError):
    """Data (a row, a recipe, a recorded verdict) names a model judge the operator has not allowed."""


def _is_judgment(verifier_name: str) -> bool:
    from reasonledger.verifiers.registry import verifier_class

    try:
        return verifier_class(verifier_name).family == "judgment"
    except KeyError:
        return False


def judgment_refusal(verifier_name: str, config: dict) -> str | None:
    """Why the operator's config does not let data run this model judge with `config`; None when it
    does, or when `verifier_name` is not a model judge. The first sentence says what to do."""
    return judge_refusal(f"the {verifier_name} verifier", config) if _is_judgment(verifier_name) else None


def judge_refusal(what: str, config: dict) -> str | None:
    """`judgment_refusal` for a model judge data configures outside the verifier registry (the
    decontamination judge of a recipe's step): `what` names it in the message."""
    limits = judgment_limits()
    where = config_path() or "~/.config/reasonledger/config.yaml"
    backend, model = config.get("backend", "openai"), config.get("model")
    asks = f"{what} (a model judge: backend {backend}, model {model})"
    if not limits.allow:
        return (f"model judge not allowed: add `limits: {{judgment: {{allow: true, max_calls: N}}}}` to {where} "
                f"to let data run {asks}; a judge sends model output and dataset rows to a model at your cost, so "
                f"rows and recipes cannot switch it on")
    if backend not in limits.backends:
        return (f"judge backend {backend!r} not allowed: add it to limits.judgment.backends in {where} (allowed: "
                f"{', '.join(limits.backends) or 'none'}) to let data run {asks}")
    if limits.models and model not in limits.models:
        return (f"judge model {model!r} not allowed: add it to limits.judgment.models in {where} (allowed: "
                f"{', '.join(limits.models)}) to let data run {asks}")
    return None


def check_judgment(verifier_name: str, config: dict) -> None:
    """Raise JudgmentNotAllowed when data may not run this model judge (see `judgment_refusal`)."""
    why = judgment_refusal(verifier_name, config)
    if why is not None:
        raise JudgmentNotAllowed(why)


__all__ = ["JUDGMENT", "JudgmentLimits", "JudgmentNotAllowed", "check_judgment", "judge_refusal", "judgment_limits",
           "judgment_refusal", "judgment_section"]
