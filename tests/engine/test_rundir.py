"""Run directories: `build` deletes or writes only directories it made, and one build holds a run at a time."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.product import build
from reasonledger.engine.rundir import (LOCK, MARKER, OwnershipError, check_replaceable, clear_run_dir, hold_lock,
                                        never_delete, read_marker, write_marker)

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
ROWS = b'{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\n'
RECIPE = ("name: q\nsources:\n  - type: file\n    path: tasks.jsonl\n    format: jsonl\n"
          "    options: {prompt_field: question, answer_field: answer, verifier: math}\n")


def _recipe(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tasks.jsonl").write_bytes(ROWS)
    (folder / "recipe.yaml").write_text(RECIPE)
    return folder / "recipe.yaml"


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(*args: str) -> object:
    return CliRunner().invoke(app, ["build", *args, "--quiet"])


@pytest.fixture
def recipe(tmp_path):
    return _recipe(tmp_path / "recipes")


@pytest.fixture
def fake_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (home / "thesis.tex").write_text("five years of work")
    monkeypatch.setenv("HOME", str(home))
    assert Path.home() == home
    return home


def test_force_on_a_home_directory_is_refused_and_deletes_nothing(recipe, fake_home):
    before = _snapshot(fake_home)
    result = _build(str(recipe), "--out", str(fake_home), "--force")
    assert result.exit_code == 1 and "will not be emptied: it is (or holds) your home directory" in result.output
    assert "home directory" in _build(str(recipe), "--out", str(fake_home)).output  # nor written into without --force
    assert _snapshot(fake_home) == before


def test_force_on_a_home_directory_is_refused_even_with_a_planted_marker(recipe, fake_home):
    write_marker(fake_home, "build")
    before = _snapshot(fake_home)
    result = _build(str(recipe), "--out", str(fake_home), "--force")
    assert result.exit_code == 1 and "will not be emptied: it is (or holds) your home directory" in result.output
    assert _snapshot(fake_home) == before


def test_out_dot_in_a_git_checkout_is_refused(recipe, tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / "src.py").write_text("print('mine')\n")
    monkeypatch.chdir(checkout)
    before = _snapshot(checkout)
    for extra in ([], ["--force"]):
        result = _build(str(recipe), "--out", ".", *extra)
        assert result.exit_code == 1 and "git checkout" in result.output, result.output
    assert _snapshot(checkout) == before


def test_root_and_the_current_directory_are_never_deleted(tmp_path, monkeypatch):
    assert never_delete(Path("/")) == "it is the file system root"
    with pytest.raises(OwnershipError, match="not made by reasonledger"):
        check_replaceable(Path("/"), force=True)
    run = tmp_path / "run"
    run.mkdir()
    write_marker(run, "build")
    (run / "data").mkdir()
    monkeypatch.chdir(run / "data")
    with pytest.raises(OwnershipError, match="current directory"):
        clear_run_dir(run)
    assert (run / "data").is_dir()


def test_a_directory_that_is_not_a_run_is_refused_without_force_and_nothing_is_touched(recipe, tmp_path):
    """What the old build did here: deleted data/part-*, rejected/quarantine.jsonl, rewrote card/*,
    appended to runlog.jsonl and took the stray done.json as a finished stage."""
    out = tmp_path / "someones-data"
    for name in ("data/part-00000.parquet", "rejected/quarantine.jsonl", "card/card.md", "runlog.jsonl",
                 "work/stage-00/done.json"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"not ours: {name}\n")
    before = _snapshot(out)
    for extra in ([], ["--force"]):
        result = _build(str(recipe), "--out", str(out), *extra)
        assert result.exit_code == 1 and "not a reasonledger run directory" in result.output
        assert "nothing was changed" in result.output
    assert _snapshot(out) == before and not (out / MARKER).exists()


def test_a_run_directory_holding_the_recipe_and_its_data_is_refused(tmp_path):
    folder = tmp_path / "project"
    recipe = _recipe(folder)
    write_marker(folder, "build")  # even a directory that says it is ours
    before = _snapshot(folder)
    for out, extra in ((folder, ["--force"]), (tmp_path, ["--force"]), (folder, [])):
        result = _build(str(recipe), "--out", str(out), *extra)
        assert result.exit_code == 1 and "holds the input" in result.output, result.output
    assert _snapshot(folder) == before


def test_a_source_file_inside_the_run_directory_is_refused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    write_marker(run, "build")
    (run / "tasks.jsonl").write_bytes(ROWS)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("path: tasks.jsonl", f"path: {run / 'tasks.jsonl'}"))
    result = _build(str(recipe), "--out", str(run), "--force")
    assert result.exit_code == 1 and f"holds the input {run / 'tasks.jsonl'}" in result.output
    assert (run / "tasks.jsonl").read_bytes() == ROWS


def test_new_and_empty_directories_become_runs_and_resume_still_works(recipe, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new" / "run", empty):
        first = build(recipe, out, show_progress=False)
        assert first.records == 2 and read_marker(out)["kind"] == "build"
        again = build(recipe, out, show_progress=False)
        assert again.records == 2
        events = [json.loads(line)["event"] for line in (out / "runlog.jsonl").read_text().splitlines()]
        assert events.count("run_start") == 1 and events.count("resume") == 1


def test_force_empties_our_own_run_and_builds_again(recipe, tmp_path):
    out = tmp_path / "run"
    build(recipe, out, show_progress=False)
    (out / "notes.txt").write_text("in a run directory, so the run's")
    result = build(recipe, out, force=True, show_progress=False)
    assert result.records == 2 and not (out / "notes.txt").exists() and read_marker(out) is not None
    events = [json.loads(line)["event"] for line in (out / "runlog.jsonl").read_text().splitlines()]
    assert events.count("run_start") == 1 and events.count("run_end") == 1


def test_an_import_output_is_not_taken_for_a_build_run(recipe, tmp_path):
    out = tmp_path / "imported"
    out.mkdir()
    write_marker(out, "import")
    (out / "data").mkdir()
    result = _build(str(recipe), "--out", str(out))
    assert result.exit_code == 1 and "holds a reasonledger import output" in result.output


def _holder(directory: Path) -> subprocess.Popen:
    """Another process that takes the run's lock and keeps it until killed."""
    code = ("import sys, time; from pathlib import Path; from reasonledger.engine.rundir import hold_lock\n"
            "with hold_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(600)\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(directory)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    holder = _holder(run)
    try:
        with pytest.raises(OwnershipError, match=f"in use by another build \\(pid {holder.pid}\\)"):
            with hold_lock(run):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with hold_lock(run):  # the kernel released the dead holder's lock: no stale lock to clean up
        assert (run / LOCK).read_text().strip() == str(os.getpid())
    with hold_lock(run):  # and ours was released when the block ended
        pass


def test_a_build_after_its_holder_was_killed_resumes(recipe, tmp_path):
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    holder = _holder(run)
    try:
        refused = _build(str(recipe), "--out", str(run))
        assert refused.exit_code == 1 and f"pid {holder.pid}" in refused.output
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert _build(str(recipe), "--out", str(run)).exit_code == 0


def test_a_second_concurrent_build_fails_at_once_and_the_run_log_stays_single(tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "reasonledger.cli", "build", str(QUICKSTART), "--out", str(run), "--quiet",
           "--set", "sources.0.size=200", "--set", "shard_rows=20", "--workers", "1"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not ((run / LOCK).exists() and (run / LOCK).read_text().strip()) and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.01)
        os.killpg(first.pid, signal.SIGSTOP)  # paused while it holds the run: the second build meets it there
        try:
            second = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        assert second.returncode == 1 and f"in use by another build (pid {first.pid})" in second.stderr
        assert first.wait(timeout=300) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    events = [json.loads(line) for line in (run / "runlog.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("run_start") == kinds.count("outputs") == kinds.count("run_end") == 1
    stages = [e["stage"] for e in events if e["event"] == "stage"]
    assert len(stages) == len(set(stages)) >= 1


def test_a_shard_run_again_after_a_kill_keeps_its_bad_rows_once(tmp_path):
    folder = _recipe(tmp_path / "recipes")
    (folder.parent / "tasks.jsonl").write_bytes(ROWS + b"not json\n")
    run = tmp_path / "run"
    assert build(folder, run, show_progress=False).quarantined == 1
    # as after a kill between the shard's quarantine and its done marker: the shard is run again
    for marker in ("shard-00000.json", "done.json"):
        (run / "work" / "stage-00" / marker).unlink()
    assert build(folder, run, show_progress=False).quarantined == 1
    assert len((run / "rejected" / "quarantine.jsonl").read_text().splitlines()) == 1


def test_a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched(recipe, tmp_path):
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    precious = tmp_path / "bashrc"
    precious.write_text("export PATH=...\n")
    (run / LOCK).unlink()
    (run / LOCK).symlink_to(precious)
    result = _build(str(recipe), "--out", str(run))
    assert result.exit_code == 1 and f"holds a link, {run / LOCK}" in result.output
    with pytest.raises(OwnershipError, match="cannot be opened as a lock file"):  # nor if planted after that check
        with hold_lock(run):
            pass
    assert precious.read_text() == "export PATH=...\n"


def test_a_run_directory_carrying_links_is_refused_and_their_targets_untouched(recipe, tmp_path):
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "part-00000.parquet").write_text("someone's shard")
    (elsewhere / "runlog.jsonl").write_text("someone's log\n")
    for name, target in (("data", elsewhere), ("runlog.jsonl", elsewhere / "runlog.jsonl")):
        moved = run / name
        moved.rename(tmp_path / f"{name}.ours")
        moved.symlink_to(target)
        result = _build(str(recipe), "--out", str(run))
        assert result.exit_code == 1 and f"holds a link, {moved}" in result.output, result.output
        moved.unlink()
        (tmp_path / f"{name}.ours").rename(moved)
    assert _snapshot(elsewhere) == {"part-00000.parquet": hashlib.sha256(b"someone's shard").hexdigest(),
                                    "runlog.jsonl": hashlib.sha256(b"someone's log\n").hexdigest()}


def test_card_commands_write_only_into_a_run_reasonledger_made(recipe, tmp_path):
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    assert CliRunner().invoke(app, ["card", str(run)]).exit_code == 0
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "recipe.json").write_text((run / "recipe.json").read_text())
    (stranger / "card").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    for args in (["card", str(stranger)], ["card", "set", "biases", "none", "--run", str(stranger)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "not a reasonledger run directory" in result.output, result.output
    write_marker(stranger, "build")
    result = CliRunner().invoke(app, ["card", str(stranger)])
    assert result.exit_code == 1 and "holds a link" in result.output
    assert not (tmp_path / "elsewhere").exists()


def test_a_run_from_before_markers_is_refused_with_what_to_do(recipe, tmp_path):
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    (run / MARKER).unlink()
    before = _snapshot(run)
    for args in (["build", str(recipe), "--out", str(run), "--quiet"], ["card", str(run)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "made before run directories were marked" in result.output, result.output
    assert _snapshot(run) == before
