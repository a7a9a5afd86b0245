"""`band_filter`: keep prompts whose pass rate lies in [lo, hi]; drop the rest as `too_easy` or
`too_hard`, with the numbers and the conditioning in the drop detail.

With a handful of rollouts the point estimate is noisy, so the default rule reads the posterior
interval: `interval` drops a prompt only when its whole interval lies outside the band (confidently
too easy or too hard); `inside` keeps it only when its whole interval lies inside; `point` uses c/n.
The interval is the one `pass_rate` attached: its prior and level are the shared default
(`reasonledger.stats.beta.DEFAULT_POSTERIOR`) unless the recipe set them on `pass_rate`, and the card
shows which.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.engine.filter import Drop, Filter
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Kind, Record


class BandParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lo: float = Field(0.0, ge=0, le=1)
    hi: float = Field(1.0, ge=0, le=1)
    rule: Literal["interval", "inside", "point"] = "interval"

    @model_validator(mode="after")
    def _ordered(self) -> "BandParams":
        if self.lo > self.hi:
            raise ValueError(f"lo: {self.lo} is above hi {self.hi}")
        return self


def verdict_on_band(stats: dict[str, Any], lo: float, hi: float, rule: str) -> str | None:
    """None to keep, else `too_easy` or `too_hard`."""
    low, high = stats["interval"]
    rate = stats["rate"]
    if rule == "point":
        return "too_easy" if rate > hi else "too_hard" if rate < lo else None
    if rule == "interval":
        return "too_easy" if low > hi else "too_hard" if high < lo else None
    if low >= lo and high <= hi:
        return None
    # not inside: charge it to the side the estimate leans to
    return "too_easy" if (low + high) / 2 > (lo + hi) / 2 else "too_hard"


def describe(stats: dict[str, Any], lo: float, hi: float, rule: str) -> str:
    cond = stats.get("conditioning", {})
    low, high = stats["interval"]
    return (f"pass rate {stats['c']}/{stats['n']} ({stats['level']:.0%} interval {low:.2f}-{high:.2f}) outside "
            f"[{lo}, {hi}] by rule {rule}; policy {cond.get('policy')}, temperature {cond.get('temperature')}, "
            f"verifier {cond.get('verifier')}@{cond.get('verifier_version')}")


@register_step
class BandFilter(Filter):
    """Judges rollout sets only; records of other kinds pass."""
    name = "band_filter"
    Params = BandParams
    kinds = frozenset({Kind.rollout_set})

    def judge(self, record: Record, ctx: StepContext) -> Drop | None:
        p = self.params
        stats = record.meta.get("pass_rate")
        if not stats:
            return Drop("no_pass_rate", "no meta.pass_rate: run `pass_rate` before `band_filter`")
        reason = verdict_on_band(stats, p.lo, p.hi, p.rule)
        return Drop(reason, describe(stats, p.lo, p.hi, p.rule)) if reason else None
