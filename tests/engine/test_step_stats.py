"""A step's stats are structured: drops by reason, plain counts, and counts broken down by a named
dimension; the card's one-name-each spelling is made from them, never parsed back."""

from __future__ import annotations

from collections import Counter

from reasonledger.engine.step import StepContext, StepStats, flat_counts
from reasonledger.records.model import Record


def _record(n: int) -> Record:
    return Record(kind="prompt_answer", task={"prompt": f"p{n}", "source": {"dataset": "unit"}})


def test_a_step_tallies_by_dimension_and_the_stats_of_two_shards_add_up():
    shards = []
    for relations in (["verbatim", "reworded"], ["verbatim"]):
        ctx = StepContext("stage-00", 0, step="00-decontaminate")
        for n, relation in enumerate(relations):
            ctx.tally("relation", relation)
            ctx.count("checked")
            ctx.drop(_record(n), "contaminated")
        shards.append(StepStats.from_json(ctx.mine.to_json()))  # as a shard marker carries them
    total = StepStats()
    for stats in shards:
        total.add(stats)
    assert total.by == {"relation": Counter({"verbatim": 2, "reworded": 1})}
    assert total.counts == Counter({"checked": 3}) and total.dropped == Counter({"contaminated": 3})
    assert total.to_json()["by"] == {"relation": {"reworded": 1, "verbatim": 2}}


def test_the_flat_spelling_names_each_broken_down_count_by_its_dimension():
    by = {"requests": {"sent": 2, "failed": 1}, "requests.failed": {"http_500": 1}, "tokens": {"prompt": 7}}
    assert flat_counts({"cost_usd": 0.5}, by) == {"cost_usd": 0.5, "requests.failed": 1, "requests.failed.http_500": 1,
                                                 "requests.sent": 2, "tokens.prompt": 7}
    assert flat_counts({}, {}) == {}
