"""Bad input never crashes a run and is never silently dropped."""

import gzip
import json

from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.records.io import read_records
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow

GOOD = Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "unit"}})


def _good_line() -> bytes:
    return json.dumps(GOOD.model_dump(mode="json")).encode()


def _mixed_file(tmp_path, big_line_bytes=3000):
    bad_type = GOOD.model_dump(mode="json")
    bad_type["task"]["prompt"] = 42
    missing = GOOD.model_dump(mode="json")
    del missing["task"]["source"]
    lines = [
        _good_line(),
        b'{"kind": "prompt_answer", "task": {',          # 2: bad JSON
        json.dumps(bad_type).encode(),                  # 3: wrong type
        json.dumps(missing).encode(),                   # 4: missing field
        b'{"kind": "trace", "x": "\xff\xfe"}',          # 5: invalid UTF-8
        b"x" * big_line_bytes,                          # 6: an over-long line
        b"[1, 2]",                                      # 7: not an object
        b"",                                            # 8: blank, skipped
        _good_line(),                                   # 9
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_each_bad_row_is_reported_with_its_line_and_reason(tmp_path):
    items = list(read_records(_mixed_file(tmp_path), max_line_bytes=2000))
    good = [i for i in items if isinstance(i, Record)]
    bad = {i.line: i for i in items if isinstance(i, BadRow)}
    assert len(good) == 2
    assert sorted(bad) == [2, 3, 4, 5, 6, 7]
    assert "bad JSON" in bad[2].reason
    assert "task.prompt" in bad[3].reason
    assert "task.source" in bad[4].reason and "Field required" in bad[4].reason
    assert "invalid UTF-8" in bad[5].reason
    assert "over the 2,000-byte limit" in bad[6].reason and len(bad[6].raw) == 3000
    assert "expected a JSON object" in bad[7].reason


def test_a_100_megabyte_line_is_quarantined_whole_with_bounded_reads(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(_good_line() + b"\n")
        handle.write(b'{"pad": "' + b"a" * (100 * 1024 * 1024) + b'"}\n')
        handle.write(_good_line() + b"\n")
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(path), "--quarantine", str(tmp_path / "q")])
    assert result.exit_code == 3
    entry = json.loads((tmp_path / "q" / "quarantine.jsonl").read_text())
    assert entry["line"] == 2 and "over the" in entry["reason"]
    assert entry["raw_bytes"] == 100 * 1024 * 1024 + 11
    assert (tmp_path / "q" / entry["raw_file"]).stat().st_size == entry["raw_bytes"]


def test_empty_file_is_a_bad_input_not_a_crash(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    items = list(read_records(path))
    assert len(items) == 1 and isinstance(items[0], BadRow) and "empty" in items[0].reason


def test_validate_cli_exit_codes_and_quarantine(tmp_path):
    runner = CliRunner()
    mixed = _mixed_file(tmp_path)
    result = runner.invoke(app, ["validate", str(mixed), "--max-line-bytes", "2000", "--quarantine", str(tmp_path / "q")])
    assert result.exit_code == 3
    for line in (2, 3, 4, 5, 6, 7):
        assert f"mixed.jsonl:{line}:" in result.output
    quarantined = [json.loads(x) for x in (tmp_path / "q" / "quarantine.jsonl").read_text().splitlines()]
    assert [q["line"] for q in quarantined] == [2, 3, 4, 5, 6, 7]
    assert "raw_base64" in quarantined[3]  # invalid UTF-8 kept byte for byte
    assert runner.invoke(app, ["validate", str(mixed), "--max-line-bytes", "2000", "--strict", "--quarantine", str(tmp_path / "q2")]).exit_code == 1
    clean = tmp_path / "clean.jsonl.gz"
    write_jsonl([GOOD, GOOD], clean)
    assert gzip.open(clean).read().count(b"\n") == 2
    assert runner.invoke(app, ["validate", str(clean)]).exit_code == 0


def test_import_keeps_bad_rows_in_rejected(tmp_path):
    src = tmp_path / "tasks.jsonl"
    src.write_text('{"q": "a", "a": "1"}\n{"q": "b"}\nnot json\n{"q": "c", "a": "3"}\n')
    result = CliRunner().invoke(app, ["import", str(src), "--format", "jsonl", "--prompt-field", "q",
                                      "--answer-field", "a", "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "tasks.jsonl:2: KeyError" in result.output and "missing field 'a'" in result.output
    lines = (tmp_path / "out" / "rejected" / "quarantine.jsonl").read_text().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [2, 3]
    stats = CliRunner().invoke(app, ["stats", str(tmp_path / "out"), "--json"])
    assert json.loads(stats.stdout)["records"] == 2


def test_paths_with_brackets_are_printed_not_read_as_console_markup(tmp_path):
    folder = tmp_path / "runs[" / "x]"  # a path holding "[/x]", which rich reads as a closing tag
    folder.mkdir(parents=True)
    mixed = _mixed_file(folder)
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(mixed), "--max-line-bytes", "2000", "--quarantine", str(folder / "q")])
    assert result.exit_code == 3, result.output
    assert f"{mixed}:2: bad JSON" in result.output and f"kept in {folder / 'q'}/quarantine.jsonl" in result.output
    stats = runner.invoke(app, ["stats", str(mixed)])
    assert stats.exit_code == 0 and "2 records" in stats.output and "6 bad row(s) not counted" in stats.output
    imported = runner.invoke(app, ["import", str(mixed), "--format", "records", "--out", str(folder / "out")])
    assert imported.exit_code == 3 and f"imported 2 record(s) into {folder / 'out'}/data" in imported.output
    missing = runner.invoke(app, ["stats", str(folder / "nope.jsonl")])
    assert missing.exit_code == 1 and f"{folder / 'nope.jsonl'}: no such file" in missing.output
