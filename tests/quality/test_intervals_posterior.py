"""One posterior-interval default for the audit's difficulty band, `pass_rate` and `band_filter`."""

from __future__ import annotations

import pytest
from scipy import stats

from reasonledger.construct.band import BandFilter, verdict_on_band
from reasonledger.construct.passrate import PassRate, PassRateParams
from reasonledger.engine.step import StepContext
from reasonledger.quality.audit import AuditConfig
from reasonledger.quality.difficulty import DifficultyAudit
from reasonledger.quality.outcomes import outcomes
from reasonledger.records.model import Record, Verdict
from reasonledger.stats.beta import DEFAULT_POSTERIOR, beta_interval, posteriors_used


def rollout_set(prompt: str, passed: list[bool]) -> Record:
    return Record(kind="rollout_set", task={"prompt": prompt, "reference": "4", "source": {"dataset": "toy"}},
                  behaviour={"rollouts": [{"response": "r", "meta": {"model": "m"}} for _ in passed]},
                  verdicts=[Verdict(verifier="exact", version="1", target=f"rollout:{j}", score=float(p), passed=p)
                            for j, p in enumerate(passed)])


def test_every_place_starts_from_the_same_default() -> None:
    assert PassRateParams().prior == DEFAULT_POSTERIOR.prior and PassRateParams().level == DEFAULT_POSTERIOR.level
    assert DifficultyAudit().prior == DEFAULT_POSTERIOR.prior and DifficultyAudit().level == DEFAULT_POSTERIOR.level
    assert AuditConfig().level == DEFAULT_POSTERIOR.level


@pytest.mark.parametrize("c, n", [(0, 1), (0, 4), (2, 4), (4, 4), (7, 16), (63, 64)])
def test_the_interval_is_the_jeffreys_posterior(c: int, n: int) -> None:
    a, b = DEFAULT_POSTERIOR.prior[0] + c, DEFAULT_POSTERIOR.prior[1] + n - c
    tail = (1 - DEFAULT_POSTERIOR.level) / 2
    assert beta_interval(c, n) == pytest.approx((stats.beta.ppf(tail, a, b), stats.beta.ppf(1 - tail, a, b)), abs=1e-12)


def test_audit_and_band_filter_agree_on_every_cell() -> None:
    """The audit's "confidently inside the band" and band_filter's `inside` rule read the same interval
    (they disagreed in 81 of 2,144 (k, n) cells when they had different priors and levels)."""
    records = [rollout_set(f"q{n}-{c}", [True] * c + [False] * (n - c)) for n in range(1, 25) for c in range(n + 1)]
    audit = DifficultyAudit(band=(0.25, 0.75))
    for record in records:
        audit.add(outcomes(record))
    by_prompt = {p["record_id"]: p for p in audit.result()["per_prompt"]}
    ctx = StepContext("s", 0, None, "01-pass_rate")
    for record in PassRate().process(iter(records), ctx):
        step_stats = record.meta["pass_rate"]
        audited = by_prompt[record.id]["interval"]
        assert audited == pytest.approx(step_stats["interval"], abs=1e-4)
        inside_by_audit = 0.25 <= audited[0] and audited[1] <= 0.75
        assert inside_by_audit == (verdict_on_band(step_stats, 0.25, 0.75, "inside") is None)


def test_the_audit_and_the_card_say_which_posterior_was_used() -> None:
    audit = DifficultyAudit()
    audit.add(outcomes(rollout_set("q", [True, False])))
    difficulty = audit.result()
    assert difficulty["posterior"]["prior"] == [0.5, 0.5] and not difficulty["posterior"]["overrides_default"]
    steps = [{"step": "pass_rate", "label": "03-pass_rate", "params": {"prior": [1, 1], "level": 0.95}},
             {"step": "band_filter", "params": {"lo": 0.2, "hi": 0.8}}]
    card = posteriors_used(steps, difficulty)
    used = card["step 03-pass_rate"]
    assert used["prior"] == [1.0, 1.0] and used["level"] == 0.95 and used["overrides_default"]
    assert used["default"] == DEFAULT_POSTERIOR.describe() == card["default"]
    assert card["overridden"] == ["step 03-pass_rate"] and card["audit difficulty"] == difficulty["posterior"]


def test_band_filter_reads_the_interval_pass_rate_attached() -> None:
    ctx = StepContext("s", 0, None, "01-pass_rate")
    (record,) = PassRate(prior=(1, 1), level=0.95).process(iter([rollout_set("q", [False] * 8)]), ctx)
    assert record.meta["pass_rate"]["interval"][1] == pytest.approx(beta_interval(0, 8, (1, 1), 0.95)[1], abs=1e-6)
    kept = list(BandFilter(lo=0.5, hi=1.0).process(iter([record]), StepContext("s", 1, None, "02-band_filter")))
    assert kept == []  # 0/8: the uniform 95% interval ends at 0.31, confidently too hard


def test_the_card_line_names_the_default_and_each_override() -> None:
    from reasonledger.stats.beta import describe_posteriors

    steps = [{"step": "pass_rate", "label": "03-pass_rate", "params": {"prior": [1, 1], "level": 0.95}}]
    line = describe_posteriors(posteriors_used(steps, None))
    assert line == ("default Beta(0.5, 0.5) (Jeffreys) at 90%; step 03-pass_rate: Beta(1, 1) (uniform) at 95% "
                    "(overrides the default)")
    assert describe_posteriors(None) == "unknown"
