import json

import pyarrow.parquet as pq
import pytest

from reasonledger.records.hf import dataset_to_records, load_hf_rows, records_to_dataset
from reasonledger.records.parquet import read_parquet_records, sha256_file, write_parquet_shards
from tests.records.test_model import ONE_OF_EACH


def test_parquet_shards_and_manifest(tmp_path):
    manifest = write_parquet_shards(ONE_OF_EACH * 3, tmp_path / "data", shard_rows=10)
    assert manifest["rows"] == 24 and [s["rows"] for s in manifest["shards"]] == [10, 10, 4]
    for shard in manifest["shards"]:
        path = tmp_path / "data" / shard["file"]
        assert sha256_file(path) == shard["sha256"] and pq.ParquetFile(path).metadata.num_rows == shard["rows"]
    assert json.loads((tmp_path / "data" / "manifest.json").read_text()) == manifest
    back = list(read_parquet_records(tmp_path / "data"))
    assert [r.model_dump() for r in back] == [r.model_dump() for r in ONE_OF_EACH * 3]
    again = write_parquet_shards(ONE_OF_EACH * 3, tmp_path / "again", shard_rows=10)
    assert [s["sha256"] for s in again["shards"]] == [s["sha256"] for s in manifest["shards"]]


def test_hugging_face_round_trip_and_load_from_disk(tmp_path):
    dataset = records_to_dataset(ONE_OF_EACH)
    assert len(dataset) == len(ONE_OF_EACH)
    dataset.save_to_disk(str(tmp_path / "ds"))
    loaded = load_hf_rows(str(tmp_path / "ds"))
    assert [r.model_dump() for r in dataset_to_records(loaded)] == [r.model_dump() for r in ONE_OF_EACH]


def test_offline_hub_load_names_the_dataset(monkeypatch):
    import datasets
    import huggingface_hub.constants

    # `datasets` reads the offline switch at import time, so set it where it is read.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RuntimeError, match="reasonledger-none/does-not-exist.*save_to_disk"):
        load_hf_rows("reasonledger-none/does-not-exist")
