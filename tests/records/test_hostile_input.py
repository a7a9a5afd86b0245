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
from reasonledger.formats.importers import import_file
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
    ("lineage", '{"events": [{"stage": "s", "step": "x", "sampling": {"t": NaN}}]}', "lineage.events.0.sampling.t"),
    ("task.reference", "1e999", "task.reference"),
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
    import sys, json
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
    # VmHWM, not ru_maxrss: the latter keeps the parent's size from before the exec
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"items": bad, "peak_mb": peak / 1024}))
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
    with pytest.raises(TooManyBadRows, match=r"newlines.jsonl.gz:2,?001"):
        list(read_records(path, max_bad_rows=20))
    first = next(iter(read_records(path)))
    assert isinstance(first, BadRow) and first.reason.startswith("lines 1-100 are all blank")
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


# --- Parquet and Hugging Face folders -----------------------------------------------------------

def _record_rows(n=3):
    from reasonledger.records.arrow import records_to_table
    return records_to_table([GOOD] * n).to_pylist()


def test_bad_parquet_rows_are_bad_rows_with_their_row_number(tmp_path):
    from reasonledger.records.arrow import RECORD_SCHEMA
    rows = _record_rows(8)
    rows[1]["scaffold_json"] = "{not json"
    rows[6]["meta_json"] = '{"a": 1, "a": 2}'
    rows[2]["kind"] = "poem"
    rows[3]["source"] = None
    rows[4]["verdicts"] = [{"verifier": "v", "version": "1", "score": float("nan"), "passed": True,
                         "evidence_json": "{}"}]
    rows[5]["reference_json"] = '{"a": ' * 5000 + "1" + "}" * 5000
    pq.write_table(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), tmp_path / "bad.parquet")
    good, bad = _split(list(read_records(tmp_path / "bad.parquet")))
    assert len(good) == 2 and sorted(bad) == [2, 3, 4, 5, 6, 7]
    assert "duplicate key 'a'" in bad[7].reason and "nested more than 100 levels" in bad[6].reason
    assert "bad.parquet" in bad[2].file and "JSONDecodeError" in bad[2].reason
    assert "kind" in bad[3].reason
    assert "verdicts.0.score: Input should be a finite number" in bad[5].reason
    wrong_types = pa.table({"id": ["x"], "kind": [1], "behaviour_json": [2], "verdicts": ["v"], "source": ["s"],
                            "prompt": [None], "prompt_messages_json": ["[]"]})
    pq.write_table(wrong_types, tmp_path / "types.parquet")
    (only,) = list(read_records(tmp_path / "types.parquet"))
    assert isinstance(only, BadRow) and only.line == 1


def test_a_file_that_is_not_parquet_and_a_hostile_manifest(tmp_path):
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    (only,) = list(read_records(tmp_path / "junk.parquet"))
    assert isinstance(only, BadRow) and only.line == 0 and "not a readable Parquet file" in only.reason
    data = tmp_path / "run" / "data"
    write_parquet_shards([GOOD], data)
    outside = tmp_path / "outside.parquet"
    outside.write_bytes((data / "part-00000.parquet").read_bytes())
    for name in ("../../outside.parquet", str(outside)):
        (data / "manifest.json").write_text(json.dumps({"shards": [{"file": name}]}))
        with pytest.raises(ValueError, match="not a file inside"):
            list(read_records(data))
    (data / "manifest.json").write_text("{garbled")
    with pytest.raises(ValueError, match="not a reasonledger manifest"):
        list(read_records(data))


_HUGE = 400 * 1024 * 1024


def _huge_cell_file(path, row_group_size, rows=3):
    """Written in a child process so that building the 400 MB cell does not inflate this one."""
    script = textwrap.dedent(f"""
        import pyarrow as pa, pyarrow.parquet as pq
        from reasonledger.records.arrow import RECORD_SCHEMA, records_to_table
        from reasonledger.records.model import Record
        good = Record(kind="prompt_answer", task={{"prompt": "2+2?", "reference": "4", "source": {{"dataset": "unit"}}}})
        rows = records_to_table([good] * {rows}).to_pylist()
        rows[1]["meta_json"] = '{{"pad": "' + " " * {_HUGE} + '"}}'
        pq.write_table(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), {str(path)!r}, compression="zstd",
                       row_group_size={row_group_size})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)


@pytest.mark.parametrize("row_group_size, rows", [(1, 3), (3, 3), (1000, 1000)])
def test_a_parquet_cell_of_hundreds_of_megabytes_costs_bounded_memory(tmp_path, row_group_size, rows):
    path = tmp_path / "huge.parquet"
    _huge_cell_file(path, row_group_size, rows)
    assert path.stat().st_size < 1024 * 1024
    result = _peak(path, tmp_path / "q")
    assert result["peak_mb"] < 600, result["peak_mb"]
    lines = [line for line, _ in result["items"]]
    if row_group_size == 1:
        assert lines == [None, 2, None]
    else:  # one row group whose chunk certainly holds an oversized cell, or expands 20,000 to 1: not decoded
        assert lines == list(range(1, rows + 1))
    assert all("'meta_json' holds" in reason for line, reason in result["items"] if line)


def test_a_parquet_cell_over_the_limit_is_quarantined_with_its_row_and_kept(tmp_path):
    from reasonledger.records.arrow import RECORD_SCHEMA
    rows = _record_rows(200)
    rows[150]["meta_json"] = json.dumps({"pad": "x" * 300_000})
    pq.write_table(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), tmp_path / "cell.parquet")
    good, bad = _split(list(read_records(tmp_path / "cell.parquet", max_line_bytes=100_000)))
    assert len(good) == 199 and list(bad) == [151]
    assert bad[151].reason.startswith("cell 'meta_json' (300,0")
    assert "bytes) over the 100,000-byte limit per cell; the cell 'meta_json' is kept" in bad[151].reason
    with Quarantine(tmp_path / "q") as quarantine:
        quarantine.add(bad[151])
    entry = json.loads((tmp_path / "q" / "quarantine.jsonl").read_text())
    assert json.loads((tmp_path / "q" / entry["raw_file"]).read_text())["pad"] == "x" * 300_000
    assert json.loads(entry["raw"])["id"] == GOOD.id  # the row's other cells


def test_mapped_parquet_rows_with_bad_cells(tmp_path):
    table = pa.table({"q": ["a", None, "c", "d"], "a": ["1", "2", "3", "4" * 200_000]})
    pq.write_table(table, tmp_path / "tasks.parquet")
    good, bad = _split(list(import_file(tmp_path / "tasks.parquet", "parquet", prompt_field="q", answer_field="a")))
    assert [g.task.prompt for g in good] == ["a", "c", "d"] and list(bad) == [2]
    good, bad = _split(list(import_file(tmp_path / "tasks.parquet", "parquet", prompt_field="q", answer_field="a",
                                        max_bad_rows=5)))
    assert list(bad) == [2]


def _saved_dataset(tmp_path):
    from reasonledger.records.hf import records_to_dataset
    folder = tmp_path / "ds"
    records_to_dataset([GOOD]).save_to_disk(str(folder))
    return folder


@pytest.mark.parametrize("tamper, message", [
    (lambda f: (f / "state.json").unlink(), "no state.json"),
    (lambda f: (f / "state.json").write_text("{garbled"), "not readable JSON"),
    (lambda f: (f / "dataset_info.json").write_text("[]"), "expected a JSON dict"),
    (lambda f: (f / "state.json").write_text(json.dumps({"_data_files": [{"filename": "../secret.arrow"}]})),
     "not a file inside"),
    (lambda f: (f / "state.json").write_text(json.dumps({"_data_files": [{"filename": "/etc/passwd"}]})),
     "not a file inside"),
    (lambda f: (f / "state.json").write_text(json.dumps({"_data_files": "x"})), "expected '_data_files'"),
])
def test_malformed_saved_datasets_are_refused_before_reading(tmp_path, tamper, message):
    pytest.importorskip("datasets")
    from reasonledger.records.hf import HFLoadError, load_hf_rows
    folder = _saved_dataset(tmp_path)
    tamper(folder)
    with pytest.raises(HFLoadError, match=message):
        load_hf_rows(str(folder))


def test_a_dataset_dict_naming_a_split_outside_is_refused_and_bad_rows_are_bad_rows(tmp_path):
    pytest.importorskip("datasets")
    from reasonledger.records.hf import HFLoadError, dataset_to_records, load_hf_rows
    folder = _saved_dataset(tmp_path)
    top = tmp_path / "dict"
    top.mkdir()
    (top / "dataset_dict.json").write_text(json.dumps({"splits": ["../ds"]}))
    with pytest.raises(HFLoadError, match="not a file inside"):
        load_hf_rows(str(top))
    rows = _record_rows(2)
    rows[0]["kind"] = "poem"
    items = list(dataset_to_records(rows, "rows"))
    assert isinstance(items[0], BadRow) and items[0].line == 1 and isinstance(items[1], Record)
    assert len(list(dataset_to_records(load_hf_rows(str(folder))))) == 1


def test_importers_turn_hostile_rows_into_bad_rows(tmp_path):
    gsm = _jsonl(tmp_path, ['{"question": "q", "answer": "x\\n#### 3"}', '{"question": "q", "answer": 5}',
                            '{"question": ["q"], "answer": "#### 1"}', '{"question": "q", "answer": "#### 1", '
                            '"answer": "#### 2"}'], "gsm.jsonl")
    good, bad = _split(list(import_file(gsm, "gsm8k")))
    assert len(good) == 1 and sorted(bad) == [2, 3, 4] and bad[4].reason == "duplicate key 'answer'"
    math = _jsonl(tmp_path, ['{"problem": "p", "solution": 7}', '{"problem": "p", "answer": NaN}'], "math.jsonl")
    good, bad = _split(list(import_file(math, "math")))
    assert sorted(bad) == [1, 2] and "finite" in bad[2].reason
    rg = tmp_path / "rg.json"
    rg.write_text(json.dumps({"name": "x", "results": [], "config": "not a mapping"}))
    (only,) = list(import_file(rg, "rg-rollouts"))
    assert isinstance(only, BadRow) and "not a reasoning-gym-eval result file" in only.reason
    array = tmp_path / "rows.json"
    array.write_text('[{"q": "a", "a": "1"}, {"q": "b", "a": "2", "a": "3"}]')
    (only,) = list(import_file(array, "jsonl", prompt_field="q", answer_field="a"))
    assert isinstance(only, BadRow) and only.line == 0 and "duplicate key 'a'" in only.reason
    humaneval = _jsonl(tmp_path, ['{"task_id": "t/0", "prompt": "def f():\\n", "canonical_solution": "  return 1\\n", '
                                  '"test": "def check(c): pass", "entry_point": "f"}', "{not json"], "he.jsonl")
    items = list(import_file(humaneval, "humaneval"))
    assert len(items) == 1 and isinstance(items[0], BadRow) and "stopped reading here" in items[0].reason


def test_a_gzip_that_is_not_one_or_is_cut_short_is_a_bad_row(tmp_path):
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(b'{"kind": "prompt_answer"}\n')
    (only,) = list(read_records(fake))
    assert isinstance(only, BadRow) and only.line == 1 and "cannot read the file from here on" in only.reason
    whole = gzip.compress(b"".join(json.dumps(_row(**{"task.prompt": str(i)})).encode() + b"\n" for i in range(2000)))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    good, bad = _split(list(read_records(cut)))
    assert good and len(bad) == 1 and "cannot read the file from here on" in bad[len(good) + 1].reason
