"""Commands that write datasets never destroy their input or anything they did not write:
`import`, `verify` and `audit` write beside their --out and rename at the end, refuse an --out that
is or holds their input, and replace an existing output only with --force and only if they made it."""

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.engine.rundir import MARKER, read_marker, write_marker
from reasonledger.records import parquet
from reasonledger.records.parquet import sha256_file

ROWS = ('{"q": "1+1?", "a": "2", "r": "<answer>2</answer>"}\n{"q": "2+2?", "a": "4", "r": "<answer>5</answer>"}\n'
        'not json\n')
IMPORT = ["--format", "jsonl", "--prompt-field", "q", "--answer-field", "a", "--response-field", "r",
          "--verifier", "math"]


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _complete(out: Path) -> int:
    """Rows of a finished dataset, after checking every shard against its manifest."""
    manifest = json.loads((out / "data" / "manifest.json").read_text())
    for shard in manifest["shards"]:
        assert sha256_file(out / "data" / shard["file"]) == shard["sha256"]
    return manifest["rows"]


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "in" / "tasks.jsonl"
    path.parent.mkdir()
    path.write_text(ROWS)
    return path


@pytest.fixture
def imported(tmp_path, source) -> Path:
    out = tmp_path / "imported"
    assert _run("import", str(source), *IMPORT, "--out", str(out)).exit_code == 3  # one bad row
    return out


def test_import_writes_a_marked_complete_dataset_and_nothing_beside_it(imported):
    assert _complete(imported) == 2 and read_marker(imported)["kind"] == "import"
    assert sorted(p.name for p in imported.parent.iterdir()) == ["imported", "in"]  # no staging left over


def test_import_of_its_own_shard_into_its_folder_is_refused_and_the_input_kept(imported):
    shard = imported / "data" / "part-00000.parquet"
    before = _snapshot(imported)
    for extra in ([], ["--force"]):
        result = _run("import", str(shard), "--format", "records", "--out", str(imported), *extra)
        assert result.exit_code == 1 and f"holds the input {shard}" in result.output, result.output
    assert _snapshot(imported) == before


def test_verify_into_its_input_is_refused_and_the_input_kept(imported):
    before = _snapshot(imported)
    for out, said in ((imported, "holds the input"), (imported / "verified", "is inside the input")):
        for extra in ([], ["--force"]):
            result = _run("verify", str(imported), "--out", str(out), *extra)
            assert result.exit_code == 1 and said in result.output, result.output
    assert _snapshot(imported) == before


def test_verify_writes_beside_and_replaces_only_with_force(tmp_path, imported):
    out = tmp_path / "verified"
    assert _run("verify", str(imported), "--out", str(out)).exit_code == 0
    assert _complete(out) == 2 and read_marker(out)["kind"] == "verify"
    again = _run("verify", str(imported), "--out", str(out))
    assert again.exit_code == 1 and "add --force to replace it" in again.output
    first = _snapshot(out / "data")
    assert _run("verify", str(imported), "--out", str(out), "--force").exit_code == 0
    assert _snapshot(out / "data") == first  # the same verdicts, once each
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imported", "in", "verified"]


def test_a_directory_not_made_by_reasonledger_is_never_replaced(tmp_path, source, imported):
    foreign = tmp_path / "mine"
    (foreign / "data").mkdir(parents=True)
    (foreign / "data" / "part-00000.parquet").write_text("someone's data")
    (foreign / "notes.txt").write_text("keep me")
    before = _snapshot(foreign)
    for command in (["import", str(source), *IMPORT], ["verify", str(imported)]):
        for extra in ([], ["--force"]):
            result = _run(*command, "--out", str(foreign), *extra)
            assert result.exit_code == 1 and "was not made by reasonledger" in result.output, result.output
    assert _snapshot(foreign) == before and not (foreign / MARKER).exists()


def test_a_build_run_is_not_replaced_by_an_import(tmp_path, source):
    run = tmp_path / "run"
    (run / "data").mkdir(parents=True)
    write_marker(run, "build")
    result = _run("import", str(source), *IMPORT, "--out", str(run), "--force")
    assert result.exit_code == 1 and "holds a reasonledger build output" in result.output
    assert (run / "data").is_dir()


def test_reimport_with_force_replaces_and_never_duplicates_quarantine_lines(tmp_path, source, imported):
    for _ in range(2):
        assert _run("import", str(source), *IMPORT, "--out", str(imported), "--force").exit_code == 3
    lines = (imported / "rejected" / "quarantine.jsonl").read_text().splitlines()
    assert [json.loads(line)["line"] for line in lines] == [3]
    assert _complete(imported) == 2


def test_an_import_that_fails_midway_leaves_the_old_output_and_no_partial_one(tmp_path, source, imported, monkeypatch):
    before = _snapshot(imported)
    real = parquet.write_parquet_shards

    def fail_after_first_shard(records, directory, *args, **kwargs):
        real(iter([next(iter(records))]), directory)
        raise RuntimeError("disk full")

    monkeypatch.setattr(parquet, "write_parquet_shards", fail_after_first_shard)  # the import command calls it there
    result = _run("import", str(source), *IMPORT, "--out", str(imported), "--force")
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert _snapshot(imported) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imported", "in"]


def test_staging_left_by_a_killed_command_is_cleared_but_foreign_look_alikes_kept(tmp_path, source):
    out = tmp_path / "out"
    stale = tmp_path / ".out.partial-dead1234"
    stale.mkdir()
    write_marker(stale, "import")
    (stale / "data").mkdir()
    look_alike = tmp_path / ".out.partial-not-ours"
    look_alike.mkdir()
    (look_alike / "keep.txt").write_text("not ours")
    assert _run("import", str(source), *IMPORT, "--out", str(out)).exit_code == 3
    assert not stale.exists() and (look_alike / "keep.txt").read_text() == "not ours"
    assert _complete(out) == 2


def test_audit_goes_inside_a_run_but_never_into_its_data(tmp_path, imported):
    before = _snapshot(imported / "data")
    audit = ["--only", "exact_duplicates", "--no-map"]
    inside = _run("audit", str(imported), "--out", str(imported / "audit"), *audit)
    assert inside.exit_code == 0, inside.output
    assert (imported / "audit" / "audit.json").exists() and read_marker(imported / "audit")["kind"] == "audit"
    for out, said in ((imported, "holds the input"), (imported / "data" / "x", "is inside the input")):
        result = _run("audit", str(imported), "--out", str(out), *audit, "--force")
        assert result.exit_code == 1 and said in result.output, result.output
    again = _run("audit", str(imported), "--out", str(imported / "audit"), *audit)
    assert again.exit_code == 1 and "add --force" in again.output
    assert _run("audit", str(imported), "--out", str(imported / "audit"), *audit, "--force").exit_code == 0
    assert _snapshot(imported / "data") == before


def test_validate_writes_nothing_next_to_its_input_by_default(source):
    before = sorted(p.name for p in source.parent.iterdir())
    result = _run("validate", str(source))
    assert result.exit_code == 3 and "3 bad row(s) found (not kept)" in result.output  # not records: every row
    assert "--quarantine DIR" in result.output
    assert sorted(p.name for p in source.parent.iterdir()) == before


def test_validate_quarantine_is_replaced_on_each_run_never_appended(tmp_path, source):
    kept = tmp_path / "kept"
    for _ in range(3):
        result = _run("validate", str(source), "--quarantine", str(kept))
        assert result.exit_code == 3 and f"kept in {kept}/quarantine.jsonl" in result.output
    lines = (kept / "quarantine.jsonl").read_text().splitlines()
    assert [json.loads(line)["line"] for line in lines] == [1, 2, 3] and read_marker(kept)["kind"] == "quarantine"


def test_validate_quarantine_never_replaces_foreign_files_or_the_input(tmp_path, source, imported):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    refused = _run("validate", str(source), "--quarantine", str(tmp_path / "notes"))
    assert refused.exit_code == 1 and "was not made by reasonledger" in refused.output
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"
    before = _snapshot(imported)
    for where in (imported, imported / "data"):
        result = _run("validate", str(imported / "data"), "--quarantine", str(where))
        assert result.exit_code == 1 and "--quarantine" in result.output, result.output
    assert _snapshot(imported) == before


def test_replay_file_never_overwrites_its_input_or_an_existing_file(tmp_path):
    rollouts = tmp_path / "solutions.jsonl"
    rollouts.write_text('{"question": "1+1?", "answer": "#### 2", "model_solutions": []}\n')
    before = rollouts.read_bytes()
    same = _run("construct", "replay-file", str(rollouts), "--format", "gsm8k-solutions", "--out", str(rollouts))
    assert same.exit_code == 1 and "holds the input" in same.output and rollouts.read_bytes() == before
    existing = tmp_path / "replay.jsonl"
    existing.write_text("keep\n")
    refused = _run("construct", "replay-file", str(rollouts), "--format", "gsm8k-solutions", "--out", str(existing))
    assert refused.exit_code == 1 and "add --force" in refused.output and existing.read_text() == "keep\n"


def test_scaling_fit_saves_only_into_a_run(tmp_path):
    (tmp_path / "data").mkdir()
    result = _run("scaling", "fit", str(tmp_path / "curve.csv"), "--save", str(tmp_path))
    assert result.exit_code == 1 and "not a reasonledger run directory" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


HOSTILE = "ds[/x] [bold red]boom[/bold red] [link=file:///etc/passwd]x[/link]"


def _judged(prompt: str, dataset: str, verdicts: list[tuple[str, str, bool]], verifier: str | None = "math"):
    from reasonledger.records.model import Kind, Record, Verdict

    return Record(kind=Kind.prompt_answer,
                  task={"prompt": prompt, "reference": "2", "source": {"dataset": dataset},
                        **({"verifier": {"name": verifier, "version": "1"}} if verifier else {})},
                  behaviour={"answer": "2"},
                  verdicts=[Verdict(verifier=v, version=ver, score=float(ok), passed=ok) for v, ver, ok in verdicts])


def test_stats_counts_verdicts_per_verifier_and_version_never_summed(tmp_path):
    from reasonledger.records.parquet import write_parquet_shards

    write_parquet_shards([
        _judged("a", "gsm", [("math", "1", True), ("exact", "2", False)]),
        _judged("b", "gsm", [("math", "1", False), ("math", "2", True)]),
        _judged("c", "gsm", []),
        _judged("d", "gsm", [], verifier=None),
    ], tmp_path / "d")
    summary = json.loads(_run("stats", str(tmp_path / "d"), "--json").stdout)
    assert summary["verdicts"] == {
        "math@1": {"passed": 1, "failed": 1, "none": 1},  # c names math@1 and has no verdict
        "math@2": {"passed": 1, "failed": 0, "none": 0},
        "exact@2": {"passed": 0, "failed": 1, "none": 0},
        "(no verifier)": {"passed": 0, "failed": 0, "none": 1},
    }
    shown = _run("stats", str(tmp_path / "d"))
    assert shown.exit_code == 0 and "verdicts per verifier" in shown.output and "math@2" in shown.output


def test_markup_in_data_is_printed_as_text_in_every_table(tmp_path):
    from reasonledger.records.parquet import write_parquet_shards
    from tests.scaling.records_factory import rollout_set

    write_parquet_shards([_judged("a", HOSTILE, [(HOSTILE, HOSTILE, True)], verifier=HOSTILE)], tmp_path / "d")
    shown = _run("stats", str(tmp_path / "d"))
    assert shown.exit_code == 0, shown.output
    assert HOSTILE in shown.output.replace("\n", "") or "ds[/x]" in shown.output
    write_parquet_shards([rollout_set(f"p{i}", [True, i % 2 == 0], dataset=HOSTILE) for i in range(4)], tmp_path / "r")
    passk = _run("scaling", "passk", str(tmp_path / "r"), "--bootstrap", "10")
    assert passk.exit_code == 0 and "ds[/x]" in passk.output, passk.output
    curve = tmp_path / "c.csv"
    curve.write_text("curve,compute,reward\n" + "".join(f"{HOSTILE},{c},{r}\n" for c, r in
                                                         ((1, 0.1), (2, 0.2), (4, 0.4), (8, 0.55), (16, 0.6), (32, 0.62))))
    fit = _run("scaling", "fit", str(curve), "--bootstrap", "5")
    assert fit.exit_code == 0 and "ds[/x]" in fit.output, fit.output


def _terminal():
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, width=100)


def test_progress_shows_after_its_delay_and_never_when_quiet():
    from reasonledger.commands._common import Ticker

    shown, quiet, short = _terminal(), _terminal(), _terminal()
    with Ticker("import tasks.jsonl", out=shown, after=0) as ticker:
        assert list(ticker.wrap(range(5))) == list(range(5))
    assert "import tasks.jsonl" in shown.file.getvalue() and ticker.count == 5
    with Ticker("import tasks.jsonl", quiet=True, out=quiet, after=0) as ticker:
        list(ticker.wrap(range(5)))
    with Ticker("import tasks.jsonl", out=short, after=3600) as ticker:  # work shorter than the delay
        list(ticker.wrap(range(5)))
    assert quiet.file.getvalue() == "" and short.file.getvalue() == ""


def test_import_verify_and_audit_take_quiet(tmp_path, source):
    out = tmp_path / "q"
    assert _run("import", str(source), *IMPORT, "--out", str(out / "i"), "--quiet").exit_code == 3
    assert _run("verify", str(out / "i"), "--out", str(out / "v"), "--quiet").exit_code == 0
    assert _run("audit", str(out / "v"), "--out", str(out / "a"), "--only", "exact_duplicates", "--no-map",
                "--quiet").exit_code == 0
