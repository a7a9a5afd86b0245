"""The judged-target vocabulary: one spelling of each target, the verdict on each rollout, the gold answer."""

import pytest

from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.targets import (
    Target, VerdictChoiceError, gold_answer, gold_candidate, rollout_index, rollout_target, rollout_verdicts,
    split_by_verdict, step_index, step_target, targets)


@pytest.mark.parametrize("text, parsed", [
    ("rollout:3", Target("rollout", 3)), ("step:0", Target("step", 0)), ("answer", Target("answer")),
    ("chosen", Target("chosen")), ("rollout:x", Target("rollout:x")), ("rollout:", Target("rollout:")),
    ("rollout:\u00b2", Target("rollout:\u00b2")),  # a digit to str.isdigit, not to int()
])
def test_a_target_is_parsed_and_written_back_the_same(text, parsed):
    assert Target.parse(text) == parsed
    assert str(parsed) == text


def test_only_a_rollout_target_has_a_rollout_index():
    assert rollout_target(7) == "rollout:7" and rollout_index("rollout:7") == 7
    assert rollout_index("step:7") is None and rollout_index("rollout:-1") is None and rollout_index("answer") is None
    assert step_target(2) == "step:2" and step_index("step:2") == 2
    assert step_index("rollout:2") is None and step_index("step:") is None and step_index("episode") is None


def _verdict(target: str, verifier: str, passed: bool) -> Verdict:
    return Verdict(verifier=verifier, version="1", config_hash="c", target=target, score=float(passed), passed=passed)


def _rollouts(verdicts: list[Verdict]) -> Record:
    return Record(kind=Kind.rollout_set, task={"prompt": "p", "reference": "4", "source": {"dataset": "unit"}},
                  behaviour={"rollouts": [{"response": "4"}, {"response": "5"}, {"response": "4"}]}, verdicts=verdicts)


def test_the_verdicts_of_one_verifier_are_read_never_mixed_with_anothers():
    record = _rollouts([_verdict("rollout:0", "math", True), _verdict("rollout:1", "math", False),
                        _verdict("answer", "exact", True), _verdict("rollout:2", "exact", True)])
    assert {j: v.verifier for j, v in rollout_verdicts(record).items()} == {2: "exact"}  # the last to judge
    math = rollout_verdicts(record, "math")
    assert split_by_verdict(math) == ([0], [1])
    assert [t for t, _ in targets(record)] == ["rollout:0", "rollout:1", "rollout:2"]


def test_strict_refuses_a_rollout_two_verifiers_judged_unless_one_is_named():
    twice = _rollouts([_verdict("rollout:0", "math", True), _verdict("rollout:1", "math", False),
                       _verdict("rollout:2", "math", True), _verdict("rollout:1", "exact", True)])
    assert {j: v.verifier for j, v in rollout_verdicts(twice).items()} == {1: "exact"}
    with pytest.raises(VerdictChoiceError, match="rollout 1 was judged by 'math' and 'exact'"):
        rollout_verdicts(twice, strict=True)
    assert split_by_verdict(rollout_verdicts(twice, "math", strict=True)) == ([0, 2], [1])
    # rollouts judged by one verifier each keep their own verdicts; the latest of one verifier counts
    apart = _rollouts([_verdict("rollout:0", "math", False), _verdict("rollout:1", "exact", True),
                       _verdict("rollout:0", "math", True)])
    assert {j: (v.verifier, v.passed) for j, v in rollout_verdicts(apart, strict=True).items()} == {
        0: ("math", True), 1: ("exact", True)}
    assert rollout_verdicts(_rollouts([_verdict("answer", "exact", True)]), strict=True) == {}


def test_the_gold_answer_comes_from_the_reference_then_the_example_then_the_shipped_solution():
    assert gold_answer({"answer": 4}) == "4" and gold_answer({"tests": []}) is None
    gym = Record(kind=Kind.prompt_answer, task={"prompt": "p", "source": {"dataset": "rg"},
                                                "reference": {"metadata": {"example_answer": "A or B"}}})
    assert gold_candidate(gym) == ("example_answer", "A or B")
