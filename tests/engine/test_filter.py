"""The filter base: the keep/drop loop and its recorded reasons, written once for every filter."""

from reasonledger.engine.filter import Drop, Filter
from reasonledger.engine.step import StepContext
from reasonledger.records.model import Kind, Record


def _record(prompt: str, kind: Kind = Kind.prompt_answer) -> Record:
    behaviour = {"rollouts": [{"response": "x"}]} if kind == Kind.rollout_set else {}
    return Record(kind=kind, task={"prompt": prompt, "source": {"dataset": "unit"}}, behaviour=behaviour)


class ShortOnly(Filter):
    name = "short_only"
    kinds = frozenset({Kind.prompt_answer})

    def judge(self, record, ctx):
        text = str(record.task.prompt)
        return Drop("too_long", f"{len(text)} chars") if len(text) > 3 else None


class PairsAtOnce(Filter):
    name = "pairs_at_once"
    seen: list[int]

    def batch_size(self):
        return 2

    def judge_batch(self, records, ctx):
        self.seen.append(len(records))
        return [None if r.task.prompt == "keep" else Drop("other") for r in records]


def test_a_filter_keeps_in_order_and_drops_through_the_context_with_its_reason():
    ctx = StepContext(stage="stage-00", seed=0).for_step("00-short_only", 0)
    records = [_record("ab"), _record("abcdef"), _record("long rollout set", Kind.rollout_set), _record("abc")]
    kept = list(ShortOnly().process(iter(records), ctx))
    assert [r.task.prompt for r in kept] == ["ab", "long rollout set", "abc"]  # another kind passes unjudged
    (rejection,) = ctx.rejected
    assert (rejection.record.task.prompt, rejection.step, rejection.reason, rejection.detail) == \
        ("abcdef", "00-short_only", "too_long", "6 chars")
    assert ctx.mine.dropped == {"too_long": 1}


def test_a_batch_filter_judges_its_batches_and_keeps_the_order():
    step = PairsAtOnce()
    step.seen = []
    ctx = StepContext(stage="stage-00", seed=0).for_step("00-pairs_at_once", 0)
    kept = list(step.process(iter([_record("keep"), _record("drop"), _record("keep"), _record("x"), _record("keep")]), ctx))
    assert len(kept) == 3 and step.seen == [2, 2, 1]
    assert [r.reason for r in ctx.rejected] == ["other", "other"]
