"""`export`: any dataset out to the files trainers read, with the options a recipe's outputs take."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from reasonledger.commands._common import Ticker, console, fail, finish, report_bad, split_bad

# The manifest of what an export directory holds: the input, each output with its options and files.
EXPORT_MANIFEST = "export.json"
OUTPUTS_HELP = ("verl, trl_grpo, openrlhf (RL prompt sets with the verifier and reference for the reward); "
                "sft (chat demonstrations: traces, prompt_answer responses a verifier passed, rollouts every "
                "verdict on them passed); "
                "dpo (preference pairs, TRL's conversational format); trl_stepwise (labelled step traces); "
                "trl_tools (agent episodes as TRL tool-calling conversations, passed ones unless select=all); "
                "verl_tools (agent episodes as verl's multi-turn tool RL set, with its tool config)")


def parse_options(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs, each value read as YAML (`val_fraction=0.02`, `instruction='Think step by step.'`)."""
    import yaml

    from reasonledger import safe_yaml

    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option {item!r}: expected KEY=VALUE, e.g. --option val_fraction=0.02")
        try:
            options[key.strip()] = safe_yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:  # not YAML: the value is the text as written
            options[key.strip()] = value
    return options


def _trusted_store(data: Path) -> Path | None:
    """The records folder of a run or import reasonledger wrote (its rows were checked on the way in),
    else None: anything else is checked row by row first."""
    from reasonledger.engine.rundir import read_marker
    from reasonledger.records.io import data_path
    from reasonledger.records.parquet import MANIFEST

    store = data_path(data)
    if store.is_dir() and store.name == "data" and (store / MANIFEST).is_file() and read_marker(store.parent):
        return store
    return None


def _file_entry(path: Path, base: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from reasonledger.records.parquet import sha256_file

    if path.suffix == ".parquet":
        rows = pq.ParquetFile(path).metadata.num_rows
    else:
        with path.open("rb") as handle:
            rows = sum(1 for _ in handle)
    return {"file": str(path.relative_to(base)), "rows": rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def write_exports(store: Path, out: Path, names: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Write each export of the records in `store` into `out`; the manifest entry of each output:
    its options and the files it wrote (training file first, then any validation file)."""
    from reasonledger.engine.outputs import export

    outputs: dict[str, Any] = {}
    for name in names:
        before = {p for p in out.iterdir() if p.is_file()}
        train = export(name, store, out, options)
        written = sorted(p for p in out.iterdir() if p.is_file() and p not in before and p != train)
        outputs[name] = {"options": options, "files": [_file_entry(p, out) for p in (train, *written)]}
    return outputs


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_(
        data: Path = typer.Argument(..., help="Records: a run or import directory, its data/ folder, a Parquet file "
                                    "or reasonledger JSONL."),
        to: list[str] = typer.Option(..., "--to", "-t", help=f"Output (repeat for several): {OUTPUTS_HELP}."),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory; new or empty, written whole at the end."),
        option: list[str] = typer.Option([], "--option", help="KEY=VALUE, an option as a recipe output takes it "
                                         "(verl, trl_grpo, openrlhf: system_prompt, instruction, val_fraction; "
                                         "sft: judged_only=false to take unjudged responses too; trl_tools: "
                                         "select=all; verl_tools: the prompt options and tool_class); "
                                         "repeat for several; every --to must take it."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 (not 3) when any row is bad."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (only an export reasonledger wrote)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Export any dataset for a trainer, as a recipe's outputs would; bad rows are kept in OUT/rejected."""
        from reasonledger.engine.rundir import RunDir, staged_output
        from reasonledger.engine.outputs import output_options
        from reasonledger.records.io import read_records
        from reasonledger.records.parquet import write_json_atomic, write_parquet_shards
        from reasonledger.records.quarantine import Quarantine

        names = list(dict.fromkeys(to))
        try:
            options = parse_options(option)
            for name in names:
                output_options(name, options)
        except ValueError as exc:
            fail(str(exc))
        if not data.exists():
            fail(f"{data}: no such file or directory")
        trusted = _trusted_store(data)
        try:  # OwnershipError (a refused --out) is a ValueError
            with staged_output(out, "export", [data], force) as staging, Quarantine(staging / "rejected") as q:
                store = trusted
                if store is None:  # checked row by row into a scratch store, removed before the rename
                    store = staging / ".records"
                    with Ticker(f"check {data.name}", quiet) as ticker:
                        write_parquet_shards(ticker.wrap(split_bad(read_records(data), q, report_bad)), store)
                outputs = write_exports(store, staging, names, options)
                if trusted is None:
                    shutil.rmtree(store)
                write_json_atomic({"input": str(data), "outputs": outputs, "bad_rows": q.count}, staging / EXPORT_MANIFEST)
        except (FileNotFoundError, ValueError, TypeError) as exc:
            fail(str(exc))
        for name, entry in outputs.items():
            files = ", ".join(f"{f['file']} ({f['rows']:,} rows)" for f in entry["files"])
            console.print(escape(f"{name}: {files}"))
            if not any(f["rows"] for f in entry["files"]):
                console.print(f"[yellow]{escape(name)}: no record of this data is one it exports "
                              f"(`reasonledger export --help` says which each takes)[/yellow]")
        console.print(escape(f"exported into {out}"))
        finish(q.count, strict, RunDir(out).quarantine if q.count else None)
