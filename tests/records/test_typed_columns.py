"""The reference answer, prompt messages, response, rollouts and step labels are typed Arrow columns
that Arrow, `datasets` or DuckDB filter without json.loads; shards in the old layout (behaviour and
prompt messages as JSON text) are still read."""

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reasonledger.records.arrow import LAYOUT, RECORD_SCHEMA
from reasonledger.records.hf import dataset_to_records, records_to_dataset
from reasonledger.records.io import read_records
from reasonledger.records.model import SCHEMA_VERSION, canonical_json
from reasonledger.records.parquet import read_parquet_records, write_parquet_shards
from tests.records.test_model import ONE_OF_EACH


def test_behaviour_and_reference_are_typed_columns(tmp_path):
    write_parquet_shards(ONE_OF_EACH, tmp_path / "data")
    table = pq.read_table(tmp_path / "data" / "part-00000.parquet")
    assert table.schema.metadata[b"reasonledger.layout"] == str(LAYOUT).encode()
    assert table.schema.field("rollouts").type.value_type.field("response").type == pa.string()
    assert table.schema.field("steps").type.value_type.field("label").type == pa.float64()
    assert "behaviour_json" not in table.schema.names

    rows = {row["kind"]: row for row in table.to_pylist()}
    assert rows["prompt_answer"]["reference_answer"] == "2" and rows["rollout_set"]["reference_answer"] == "2"
    assert rows["episode"]["reference_answer"] is None  # an environment spec has no single answer
    assert [r["response"] for r in rows["rollout_set"]["rollouts"]] == ["2", "3"]
    assert json.loads(rows["rollout_set"]["rollouts"][1]["meta_json"]) == {"model": "m"}
    assert rows["step_trace"]["steps"] == [{"text": "1+1=2", "label": 1.0, "label_source": "human"}]
    assert (rows["trace"]["trace"], rows["trace"]["answer"]) == ("1+1=2", "2")
    assert (rows["preference_pair"]["chosen"], rows["preference_pair"]["rejected"]) == ("2", "3")
    assert rows["preference_pair"]["prompt_messages"] == [
        {"role": "user", "content": "1+1?", "tool_calls": None, "tool_call_id": None, "name": None}]

    # a filter in Arrow itself: records with a rollout answering "3"
    responses = pc.struct_field(pc.list_flatten(table["rollouts"]), "response")
    assert responses.to_pylist() == ["2", "3"]
    mask = pc.equal(table["reference_answer"], "2")
    assert sorted(table.filter(mask)["kind"].to_pylist()) == ["prompt_answer", "rollout_set", "trace"]

    # and in `datasets`: nested values arrive as Python lists and dicts
    dataset = records_to_dataset(ONE_OF_EACH)
    labelled = dataset.filter(lambda row: any(step["label"] == 1.0 for step in row["steps"] or []))
    assert labelled["kind"] == ["step_trace"]
    assert [r.model_dump() for r in dataset_to_records(dataset)] == [r.model_dump() for r in ONE_OF_EACH]


# The layout-1 row, written here as the code that wrote it did (behaviour and prompt messages as JSON).
_LAYOUT_1 = pa.schema([
    ("id", pa.string()), ("kind", pa.string()), ("schema_version", pa.int32()), ("prompt", pa.string()),
    ("prompt_messages_json", pa.string()), ("reference_json", pa.string()), ("domain", pa.string()),
    ("source", RECORD_SCHEMA.field("source").type), ("verifier", RECORD_SCHEMA.field("verifier").type),
    ("behaviour_json", pa.string()), ("verdicts", RECORD_SCHEMA.field("verdicts").type),
    ("parents", pa.list_(pa.string())), ("lineage_events", RECORD_SCHEMA.field("lineage_events").type),
    ("meta_json", pa.string()),
])


def _layout_1_row(record):
    data = record.model_dump(mode="json")
    task, verifier = data["task"], data["task"]["verifier"]
    return {
        "id": data["id"], "kind": data["kind"], "schema_version": 1,
        "prompt": task["prompt"] if isinstance(task["prompt"], str) else None,
        "prompt_messages_json": None if isinstance(task["prompt"], str) else canonical_json(task["prompt"]),
        "reference_json": canonical_json(task["reference"]), "domain": task["domain"], "source": task["source"],
        "verifier": verifier and {"name": verifier["name"], "version": verifier["version"],
                                  "config_json": canonical_json(verifier["config"])},
        "behaviour_json": canonical_json({k: v for k, v in data["behaviour"].items() if v is not None}),
        "verdicts": [{**{k: v for k, v in v.items() if k != "evidence"}, "evidence_json": canonical_json(v["evidence"])}
                     for v in data["verdicts"]],
        "parents": data["lineage"]["parents"],
        "lineage_events": [{**{k: v for k, v in e.items() if k != "sampling"},
                            "sampling_json": None if e["sampling"] is None else canonical_json(e["sampling"])}
                           for e in data["lineage"]["events"]],
        "meta_json": canonical_json(data["meta"]),
    }


def test_layout_1_shards_are_still_read_and_rewritten_in_the_current_layout(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    pq.write_table(pa.Table.from_pylist([_layout_1_row(r) for r in ONE_OF_EACH], schema=_LAYOUT_1), old / "part-00000.parquet")
    expected = [r.model_dump() | {"schema_version": 1} for r in ONE_OF_EACH]
    assert [r.model_dump() for r in read_parquet_records(old)] == expected
    assert [r.model_dump() for r in read_records(old)] == expected  # the bounded reader of handed-in files too
    again = write_parquet_shards(read_parquet_records(old), tmp_path / "new")
    rewritten = list(read_parquet_records(tmp_path / "new"))
    assert [r.id for r in rewritten] == [r.id for r in ONE_OF_EACH] and again["schema_version"] == SCHEMA_VERSION == 3
    assert {r.schema_version for r in rewritten} == {SCHEMA_VERSION}
    assert "rollouts" in pq.read_schema(tmp_path / "new" / "part-00000.parquet").names
