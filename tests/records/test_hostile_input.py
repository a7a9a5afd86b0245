"""Hostile input: each bad row is quarantined with its file and line, memory stays bounded, nothing raises
a traceback, and the good rows around a bad one stay readable."""

import gzip
import json
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reasonledger.records.io import read_records
from reasonledger.records.importers import import_file
from reasonledger.records.model import Record
from reasonledger.records.parquet import write_parquet_shards
from reasonledger.records.quarantine import BadRow, Quarantine, TooManyBadRows

GOOD = Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "unit"}})


def _row(**changes) -> dict:
    row = GOOD.model_dump(mode="json")
    del row["id"]
    for dotted, value in changes.items():
        node = row
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return row


def _split(items):
    good = [i for i in items if isinstance(i, Record)]
    bad = {i.line: i for i in items if isinstance(i, BadRow)}
    return good, bad


def _jsonl(tmp_path, lines, name="rows.jsonl"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- canonical content --------------------------------------------------------------------------

NON_FINITE = [
    ("task.reference", "NaN", "task.reference"),
    ("task.reference", '{"x": [1, Infinity]}', "task.reference.x.1"),
    ("meta", '{"score": -Infinity}', "meta.score"),
    ("verdicts", '[{"verifier": "v", "version": "1", "score": 1, "passed": true, "evidence": {"r": NaN}}]',
     "verdicts.0.evidence.r"),
    ("verdicts", '[{"verifier": "v", "version": "1", "score": NaN, "passed": true}]', "verdicts.0.score"),
    ("behaviour", '{"steps": [{"text": "a", "label": Infinity}]}', "behaviour.steps.0.label"),
    ("task.verifier", '{"name": "math", "config": {"tol": NaN}}', "task.verifier.config.tol"),
]


@pytest.mark.parametrize("field, literal, where", NON_FINITE)
def test_non_finite_numbers_are_refused_with_line_and_path(tmp_path, field, literal, where):
    placeholder = "__HOLE__"
    bad = json.dumps(_row(**{field: placeholder})).replace(f'"{placeholder}"', literal)
    if field == "behaviour":
        bad = bad.replace('"kind": "prompt_answer"', '"kind": "step_trace"')
    good = json.dumps(_row())
    path = _jsonl(tmp_path, [good, bad, good])
    good_rows, bad_rows = _split(list(read_records(path)))
    assert len(good_rows) == 2 and list(bad_rows) == [2]
    assert where in bad_rows[2].reason and "finite" in bad_rows[2].reason


def test_nan_never_reaches_storage_and_good_rows_stay_readable(tmp_path):
    """The reported failure: NaN passed validate/import and then every later read failed on the id."""
    from typer.testing import CliRunner

    from reasonledger.cli import app
    bad = json.dumps(_row()).replace('"reference": "4"', '"reference": NaN')
    source = _jsonl(tmp_path, [json.dumps(_row()), bad, json.dumps(_row(**{"task.prompt": "3+3?"}))])
    runner = CliRunner()
    validated = runner.invoke(app, ["validate", str(source), "--quarantine", str(tmp_path / "q")])
    assert validated.exit_code == 3 and "rows.jsonl:2: record: task.reference: nan" in validated.output
    imported = runner.invoke(app, ["import", str(source), "--format", "records", "--out", str(tmp_path / "out")])
    assert imported.exit_code == 3, imported.output
    again = list(read_records(tmp_path / "out"))
    assert len(again) == 2 and all(isinstance(r, Record) for r in again)


def test_records_built_in_code_cannot_hold_nan_either():
    with pytest.raises(ValueError, match="meta.x.0: nan is not a finite number"):
        Record(kind="prompt_answer", task={"prompt": "p", "source": {"dataset": "d"}}, meta={"x": [float("nan")]})
    with pytest.raises(ValueError, match="task.reference: inf"):
        Record(kind="prompt_answer", task={"prompt": "p", "reference": float("inf"), "source": {"dataset": "d"}})


def test_id_is_taken_over_what_storage_writes(tmp_path):
    """A reference that is not plain JSON (a datetime from a Parquet column) hashes as it is stored."""
    import datetime

    record = Record(kind="prompt_answer", task={"prompt": "p", "reference": datetime.datetime(2024, 1, 2, 3, 4),
                                                "source": {"dataset": "d"}})
    write_parquet_shards([record], tmp_path / "data")
    (back,) = list(read_records(tmp_path / "data"))
    assert isinstance(back, Record) and back.id == record.id and back.task.reference == "2024-01-02T03:04:00"


def test_duplicate_keys_are_reported_not_resolved(tmp_path):
    text = json.dumps(_row())
    dup_top = text.replace('"kind": "prompt_answer"', '"kind": "prompt_answer", "kind": "trace"')
    dup_nested = text.replace('"prompt": "2+2?"', '"prompt": "2+2?", "prompt": "rm -rf"')
    path = _jsonl(tmp_path, [text, dup_top, dup_nested])
    good, bad = _split(list(read_records(path)))
    assert len(good) == 1
    assert bad[2].reason == "duplicate key 'kind'" and bad[3].reason == "duplicate key 'prompt'"
    mapped = _jsonl(tmp_path, ['{"q": "a", "a": "1"}', '{"q": "a", "q": "b", "a": "1"}'], "mapped.jsonl")
    good, bad = _split(list(import_file(mapped, "jsonl", prompt_field="q", answer_field="a")))
    assert len(good) == 1 and bad[2].reason == "duplicate key 'q'"


def test_deep_nesting_and_lone_surrogates_are_bad_rows(tmp_path):
    deep = '{"kind": "prompt_answer", "task": {"prompt": "p", "source": {"dataset": "d"}, "reference": ' \
        + "[" * 50_000 + "]" * 50_000 + "}}"
    just_over = json.dumps(_row()).replace('"reference": "4"', '"reference": ' + "[" * 101 + "]" * 101)
    surrogate = json.dumps(_row()).replace('"2+2?"', '"2+2? \\ud800"')
    surrogate_key = json.dumps(_row(meta={})).replace('"meta": {}', '"meta": {"\\udfff": 1}')
    pair = json.dumps(_row()).replace('"2+2?"', '"2+2? \\ud83d\\ude00"')  # a valid pair is fine
    path = _jsonl(tmp_path, [deep, just_over, surrogate, surrogate_key, pair])
    good, bad = _split(list(read_records(path)))
    assert [g.task.prompt for g in good] == ["2+2? \U0001F600"]
    assert "nested more than 100 levels" in bad[1].reason and "nested more than 100 levels" in bad[2].reason
    assert "task.prompt: holds a lone surrogate \\ud800" in bad[3].reason
    assert "lone surrogate \\udfff" in bad[4].reason
    quarantine = Quarantine(tmp_path / "q")
    with quarantine:
        for row in bad.values():
            quarantine.add(row)
    lines = (tmp_path / "q" / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["line"] for x in lines] == [1, 2, 3, 4]


# --- bounded input ------------------------------------------------------------------------------

_PEAK = textwrap.dedent("""
    import resource, sys, json
    from reasonledger.records.io import read_records
    from reasonledger.records.quarantine import BadRow, Quarantine
    bad = []
    with Quarantine(sys.argv[2]) as q:
        for item in read_records(sys.argv[1]):
            if isinstance(item, BadRow):
                q.add(item)
                bad.append((item.line, item.reason))
            else:
                bad.append((None, item.task.prompt))
    print(json.dumps({"items": bad, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def _peak(path, quarantine):
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path), str(quarantine)], capture_output=True,
                          text=True, check=True, timeout=600)
    return json.loads(done.stdout)


def test_a_gzip_of_one_line_of_hundreds_of_megabytes_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    size = 400 * 1024 * 1024
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(json.dumps(_row()).encode() + b"\n")
        out.write(b'{"pad": "')
        block = b" " * (4 * 1024 * 1024)
        for _ in range(size // len(block)):
            out.write(block)
        out.write(b'"}\n')
        out.write(json.dumps(_row(**{"task.prompt": "after"})).encode() + b"\n")
    assert path.stat().st_size < 2 * 1024 * 1024
    result = _peak(path, tmp_path / "q")
    assert result["peak_mb"] < 600, result["peak_mb"]
    assert [line for line, _ in result["items"]] == [None, 2, None]
    assert result["items"][2][1] == "after"
    entry = json.loads((tmp_path / "q" / "quarantine.jsonl").read_text())
    assert entry["line"] == 2 and f"line is {size + 11:,} bytes" in entry["reason"]
    assert entry["raw_bytes"] == 256 * 1024 * 1024 and entry["raw_truncated_from"] == size + 11
    blob = tmp_path / "q" / entry["raw_file"]
    assert blob.stat().st_size == entry["raw_bytes"]
    with blob.open("rb") as handle:
        assert handle.read(9) == b'{"pad": "'


def test_bad_rows_stop_at_the_cap_with_a_clear_message(tmp_path):
    path = tmp_path / "empty-objects.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(20):
            out.write(b"{}\n" * 100_000)  # two million rows that are not records
    seen = []
    with pytest.raises(TooManyBadRows, match="more than 1,000 bad rows.*raise --max-bad-rows"):
        for item in read_records(path, max_bad_rows=1000):
            seen.append(item)
    assert len(seen) == 1000 and seen[-1].line == 1000
    with pytest.raises(TooManyBadRows, match="mapped.jsonl:4"):
        list(import_file(_jsonl(tmp_path, ["{}"] * 5, "mapped.jsonl"), "jsonl", max_bad_rows=3))


def test_a_file_of_nothing_but_newlines_ends_at_the_cap(tmp_path):
    path = tmp_path / "newlines.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(10):
            out.write(b"\n" * 1_000_000)
    with pytest.raises(TooManyBadRows, match=r"newlines.jsonl.gz:20,?001"):
        list(read_records(path, max_bad_rows=20))
    first = next(iter(read_records(path)))
    assert isinstance(first, BadRow) and first.reason.startswith("lines 1-1,000 are all blank")
    few = _jsonl(tmp_path, [json.dumps(_row()), "", "", json.dumps(_row())])
    good, bad = _split(list(read_records(few)))
    assert len(good) == 2 and not bad


# --- quarantine ---------------------------------------------------------------------------------

def test_the_same_bad_row_is_quarantined_once_across_runs(tmp_path):
    path = _jsonl(tmp_path, [json.dumps(_row()), "not json", "{}"])
    for _ in range(3):
        with Quarantine(tmp_path / "q") as quarantine:
            for item in read_records(path):
                if isinstance(item, BadRow):
                    quarantine.add(item)
        assert quarantine.count == 2
    lines = (tmp_path / "q" / "quarantine.jsonl").read_text().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [2, 3]
    with Quarantine(tmp_path / "q") as quarantine:
        quarantine.add(BadRow(str(path), 2, "another reason"))
    assert len((tmp_path / "q" / "quarantine.jsonl").read_text().splitlines()) == 3
