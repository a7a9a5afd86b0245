"""The card counts a rubric's verdicts on its items under their target, and weighs them in passed and
failed only through the verdict on the whole response, as `stats` and the exports do."""

from __future__ import annotations

from reasonledger.cards.release import _verifier_groups
from reasonledger.cards.scan import scan
from reasonledger.records.model import Record


def _judged(whole: bool, items: dict[str, bool], on: str = "answer") -> list[dict]:
    prefix = "" if on == "answer" else f"{on}/"
    return [*({"verifier": "rubric", "version": "1.1.0", "config_hash": "h", "target": f"{prefix}rubric:{item}",
               "score": float(met), "passed": met} for item, met in items.items()),
            {"verifier": "rubric", "version": "1.1.0", "config_hash": "h", "target": on,
             "score": float(whole), "passed": whole}]


def test_items_are_counted_as_targets_and_weighed_only_through_the_whole() -> None:
    answer = Record(kind="prompt_answer", task={"prompt": "Explain.", "source": {"dataset": "unit", "row_id": "1"}},
                    behaviour={"response": "Because."},
                    verdicts=_judged(True, {"a1": True, "a2": False, "a3": False}))
    rollouts = Record(kind="rollout_set", task={"prompt": "Explain again.", "source": {"dataset": "unit", "row_id": "2"}},
                      behaviour={"rollouts": [{"response": "No."}]},
                      verdicts=_judged(False, {"a1": False}, on="rollout:0"))
    (group,) = _verifier_groups(scan([answer, rollouts]))
    assert (group["passed"], group["failed"]) == (1, 1)  # the answer passed, the rollout failed
    assert group["targets"] == {"answer": 1, "rollout": 1, "rollout/rubric": 1, "rubric": 3}
