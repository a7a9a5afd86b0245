import hashlib

import pytest
from pydantic import ValidationError

from reasonledger.records import Kind, Record
from reasonledger.records.arrow import records_to_table, table_to_records

SOURCE = {"dataset": "unit", "license": "MIT"}

ONE_OF_EACH = [
    Record(kind="prompt_answer", task={"prompt": "1+1?", "reference": "2", "source": SOURCE, "verifier": {"name": "exact"}}),
    Record(kind="trace", task={"prompt": "1+1?", "reference": "2", "source": SOURCE}, behaviour={"trace": "1+1=2", "answer": "2"}),
    Record(kind="step_trace", task={"prompt": "1+1?", "source": SOURCE},
           behaviour={"steps": [{"text": "1+1=2", "label": 1.0, "label_source": "human"}]}),
    Record(kind="rollout_set", task={"prompt": "1+1?", "reference": {"answer": "2"}, "source": SOURCE},
           behaviour={"rollouts": [{"response": "2"}, {"response": "3", "meta": {"model": "m"}}]},
           verdicts=[{"verifier": "exact", "version": "1.0.0", "target": "rollout:0", "score": 1, "passed": True,
                      "evidence": {"extracted": "2"}}]),
    Record(kind="preference_pair", task={"prompt": [{"role": "user", "content": "1+1?"}], "source": SOURCE},
           behaviour={"chosen": "2", "rejected": "3"}, lineage={"parents": ["abc"]}),
    Record(kind="tool_trajectory", task={"prompt": "ls", "source": SOURCE},
           behaviour={"actions": [{"action": {"tool": "sh", "args": ["ls"]}, "observation": "a b", "ok": True},
                                  {"action": {"tool": "sh"}, "observation": "error", "ok": False}]}),
    Record(kind="episode", task={"prompt": "play", "source": SOURCE, "reference": {"env": "grid", "seed": 3}},
           behaviour={"actions": [{"action": "up", "state_diff": {"y": 1}}]}),
    Record(kind="judgment", task={"prompt": "rate", "source": SOURCE}, behaviour={"judgment": {"score": 7}},
           verdicts=[{"verifier": "rubric", "version": "0.1.0", "score": 0.7, "passed": True, "label_source": "judge"}],
           lineage={"events": [{"stage": "judge", "step": "rubric", "model": "m", "sampling": {"temperature": 0.0}, "seed": 1}]},
           meta={"anything": [1, 2]}),
]


def test_every_kind_round_trips_through_arrow():
    assert {r.kind for r in ONE_OF_EACH} == set(Kind)
    back = table_to_records(records_to_table(ONE_OF_EACH))
    assert [r.model_dump() for r in back] == [r.model_dump() for r in ONE_OF_EACH]


def test_id_is_a_stable_content_hash():
    record = ONE_OF_EACH[0]
    # The same content gives this id on every run and machine (sha256 over canonical JSON).
    expected = hashlib.sha256(b'{"behaviour":{},"kind":"prompt_answer","prompt":"1+1?","reference":"2"}').hexdigest()[:32]
    assert record.id == expected == "60d350998ba2b9bb0b0f7b9936663e2c"
    other_source = Record(kind="prompt_answer", task={"prompt": "1+1?", "reference": "2", "source": {"dataset": "x"}})
    assert other_source.id == record.id  # provenance is not content
    assert Record(kind="prompt_answer", task={"prompt": "1+2?", "reference": "2", "source": SOURCE}).id != record.id


def test_a_wrong_id_is_rejected():
    data = ONE_OF_EACH[1].model_dump()
    data["behaviour"]["trace"] = "tampered"
    with pytest.raises(ValidationError, match="does not match the content hash"):
        Record.model_validate(data)


def test_kind_needs_its_behaviour():
    with pytest.raises(ValidationError, match="needs behaviour.chosen, behaviour.rejected"):
        Record(kind="preference_pair", task={"prompt": "p", "source": SOURCE})


def test_unknown_fields_are_errors_not_silently_dropped():
    with pytest.raises(ValidationError, match="Extra inputs"):
        Record(kind="prompt_answer", task={"prompt": "p", "source": SOURCE, "answer": "x"})
