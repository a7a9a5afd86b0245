"""A file source read shard by shard parses each row once per process, not once per shard."""

from __future__ import annotations

from reasonledger.construct import sources
from reasonledger.construct.sources import FileSource
from reasonledger.records.model import Record


def _counting_importer(monkeypatch) -> list[int]:
    pulled = [0]
    real = sources.import_file

    def counted(*args, **kwargs):
        for item in real(*args, **kwargs):
            pulled[0] += 1
            yield item

    monkeypatch.setattr(sources, "import_file", counted)
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
