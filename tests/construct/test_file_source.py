"""A file source read shard by shard parses each row once per process, not once per shard; a glob
reads many files as one source."""

from __future__ import annotations

import pytest

from reasonledger.construct import file_source
from reasonledger.construct.file_source import FILE_STRIDE, FileSource
from reasonledger.records.model import Record


def _counting_importer(monkeypatch) -> list[int]:
    pulled = [0]
    real = file_source.import_file

    def counted(*args, **kwargs):
        for item in real(*args, **kwargs):
            pulled[0] += 1
            yield item

    monkeypatch.setattr(file_source, "import_file", counted)
    return pulled


def test_shards_in_file_order_read_the_file_once(shared_data, monkeypatch):
    pulled = _counting_importer(monkeypatch)
    path = shared_data / "gsm8k" / "test.jsonl"
    source = FileSource(path.parent, 0, path=str(path), format="gsm8k")
    whole = list(source.read(0, 10**9))
    shards = source.shards(100)  # counting the rows is a pass of its own
    pulled[0] = 0
    assert len(shards) == 14  # 1,319 GSM8K test problems
    in_shards = [item for start, stop in shards for item in FileSource(path.parent, 0, path=str(path), format="gsm8k").read(start, stop)]
    assert [r.id for r in in_shards] == [r.id for r in whole] and all(isinstance(r, Record) for r in whole)
    # reading every shard from the start of the file would pull 100 + 200 + ... = 10,319 rows
    assert pulled[0] <= len(whole) + 1


def test_a_worker_that_takes_every_other_shard_skips_the_rest(shared_data, monkeypatch):
    pulled = _counting_importer(monkeypatch)
    path = shared_data / "gsm8k" / "test.jsonl"
    source = FileSource(path.parent, 0, path=str(path), format="gsm8k")
    mine = source.shards(100)[::2]
    pulled[0] = 0
    got = [r.task.source.row_id for start, stop in mine for r in source.read(start, stop)]
    assert got == [str(i) for start, stop in mine for i in range(start, stop)]
    assert pulled[0] <= 1319 + 1
    # a shard before the open reader's position starts over from the file's beginning
    assert [r.task.source.row_id for r in source.read(0, 3)] == ["0", "1", "2"]


def test_a_glob_reads_its_files_in_order_and_no_shard_crosses_a_file(shared_data, tmp_path, monkeypatch):
    lines = (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()
    parts = [lines[:500], lines[500:501], lines[501:]]  # 500, 1 and 818 rows
    for i, part in enumerate(parts):
        (tmp_path / f"test-{i:05d}-of-00003.jsonl").write_text("\n".join(part) + "\n")
    (tmp_path / "notes.txt").write_text("not matched\n")
    source = FileSource(tmp_path, 0, path="test-*.jsonl", format="gsm8k")
    assert source.count() == 1319
    shards = source.shards(300)
    s = FILE_STRIDE
    assert shards == [(0, 300), (300, 500), (s, s + 1), (2 * s, 2 * s + 300), (2 * s + 300, 2 * s + 600), (2 * s + 600, 2 * s + 818)]
    pulled = _counting_importer(monkeypatch)
    # each shard task makes its own source, as a worker does: none counts rows, each file is parsed once
    prompts = [r.task.prompt for start, stop in shards for r in FileSource(tmp_path, 0, path="test-*.jsonl", format="gsm8k").read(start, stop)]
    assert pulled[0] == 1319
    assert prompts == [r.task.prompt for r in FileSource(shared_data / "gsm8k", 0, path="test.jsonl", format="gsm8k").read(0, 1319)]
    assert [r.task.prompt for r in source.read(499, 2 * s + 1)] == prompts[499:502]  # a range over three files
    described = source.describe()
    assert [(f["path"], f["rows"]) for f in described["files"]] == [
        ("test-00000-of-00003.jsonl", 500), ("test-00001-of-00003.jsonl", 1), ("test-00002-of-00003.jsonl", 818)]
    assert all(len(f["sha256"]) == 64 for f in described["files"])


def test_a_path_that_matches_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="path: no file matches"):
        FileSource(tmp_path, 0, path="train-*.parquet", format="parquet")
    with pytest.raises(ValueError, match="path: no such file"):
        FileSource(tmp_path, 0, path="train.jsonl", format="jsonl")
    with pytest.raises(ValueError, match="format: unknown 'jsnl'"):
        FileSource(tmp_path, 0, path="train.jsonl", format="jsnl")
