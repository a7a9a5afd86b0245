"""`pass_rate`: c of n rollouts verified correct, with a Beta posterior interval, and what it is
conditional on: policy and revision, n, temperature, max tokens, template, verifier and version.

A pass rate without its conditioning is not a property of the prompt: the same prompt is easy for
one policy at temperature 0.6 and hard for another at 1.0. The conditioning travels with it into
`meta.pass_rate`, and from there into the band filter's drop details and the card.
"""

from __future__ import annotations

from collections.abc import Iterator
from pydantic import BaseModel, ConfigDict, Field

from reasonledger.construct.derived import RolloutSetStep
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Record
from reasonledger.records.targets import conditioning, rollout_verdicts
from reasonledger.stats.beta import DEFAULT_POSTERIOR, beta_interval


class PassRateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verifier: str | None = Field(None, description="whose verdicts count (default: the last verifier that judged the rollouts)")
    prior: tuple[float, float] = Field(DEFAULT_POSTERIOR.prior, description="Beta prior (a, b); the shared default "
                                       "(reasonledger.stats.beta.DEFAULT_POSTERIOR) unless the recipe sets one")
    level: float = Field(DEFAULT_POSTERIOR.level, gt=0, lt=1)


@register_step
class PassRate(RolloutSetStep):
    """Attach `meta.pass_rate` = {c, n, rate, mean, interval, level, prior, conditioning} to each rollout set."""

    name = "pass_rate"
    Params = PassRateParams

    def each(self, record: Record, ctx: StepContext) -> Iterator[Record]:
        a, b = self.params.prior
        verdicts = rollout_verdicts(record, self.params.verifier)
        if not verdicts:
            ctx.drop(record, "unverified", "no verdict on any rollout: run `verify` before `pass_rate`")
            return
        total = len(record.behaviour.rollouts or [])
        if len(verdicts) < total:
            ctx.count("rollouts_unverified", total - len(verdicts))
        c, n = sum(v.passed for v in verdicts.values()), len(verdicts)
        lo, hi = beta_interval(c, n, (a, b), self.params.level)
        ctx.count("all_correct" if c == n else "all_wrong" if c == 0 else "mixed")
        stats = {"c": c, "n": n, "rate": c / n, "mean": (a + c) / (a + b + n),
                 "interval": [round(lo, 6), round(hi, 6)], "level": self.params.level, "prior": [a, b],
                 "conditioning": conditioning(record, next(iter(verdicts.values())), n)}
        yield record.model_copy(update={"meta": {**record.meta, "pass_rate": stats}})
