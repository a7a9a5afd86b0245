"""Record commands: `validate`, `stats`, `import`."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from reasonledger.commands._common import DATASET_KINDS, Ticker, console, fail, finish, print_json, report_bad, split_bad
from reasonledger.engine.rundir import RunDir, staged_output
from reasonledger.builtins import BUILTIN_IMPORTERS
from reasonledger.formats.importers import IMPORTERS, import_file, importer_options
from reasonledger.formats.importers.inputs import input_files
from reasonledger.records.jsonl import DEFAULT_MAX_LINE_BYTES
from reasonledger.records.model import Record
from reasonledger.records.targets import is_part
from reasonledger.records.quarantine import DEFAULT_MAX_BAD_ROWS, BadRow, Quarantine


OUTCOMES = ("passed", "failed", "none")
MAX_BAD_ROWS_HELP = "Stop with an error after this many bad rows (of one file)."


def _count_verdicts(record: Record, verdicts: dict[str, Counter[str]]) -> None:
    """Each verdict under its verifier's id@version (verifiers are never summed together); a record
    its own verifier has not judged counts as `none` under that verifier (or `(no verifier)`)."""
    for verdict in record.verdicts:
        if is_part(verdict.target):  # a rubric's items are weighed in its verdict on the whole
            continue
        verdicts.setdefault(f"{verdict.verifier}@{verdict.version}", Counter())[
            "passed" if verdict.passed else "failed"] += 1
    spec = record.task.verifier
    if spec is None:
        if not record.verdicts:
            verdicts.setdefault("(no verifier)", Counter())["none"] += 1
    elif not any(v.verifier == spec.name for v in record.verdicts):
        verdicts.setdefault(f"{spec.name}@{spec.version}" if spec.version else spec.name, Counter())["none"] += 1


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        file: Path = typer.Argument(..., help="Records: JSONL(.gz), a Parquet file, or a data/ directory."),
        quarantine: Path = typer.Option(None, "--quarantine", help="Also keep the bad rows in DIR/quarantine.jsonl "
                                        "(DIR is replaced on each run; by default nothing is written)."),
        max_line_bytes: int = typer.Option(DEFAULT_MAX_LINE_BYTES, help="Longest JSONL line accepted."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 (not 3) when any row is bad."),
        max_bad_rows: int = typer.Option(DEFAULT_MAX_BAD_ROWS, min=1, help=MAX_BAD_ROWS_HELP),
    ) -> None:
        """Check every row; report each bad one with its line number. Exit 0 clean, 3 bad rows, 1 --strict."""
        from reasonledger.records.io import read_records  # Parquet (pyarrow) loads only when a command reads

        good = bad = 0
        try:
            with ExitStack() as stack:
                kept = None
                if quarantine:  # a check writes nothing next to its input unless asked, and keeps only this run's rows
                    staging = stack.enter_context(staged_output(quarantine, "quarantine", [file], force=True,
                                                                option="--quarantine"))
                    kept = stack.enter_context(Quarantine(staging))
                for item in read_records(file, max_line_bytes, max_bad_rows):
                    if isinstance(item, BadRow):
                        bad += 1
                        report_bad(item)
                        if kept:
                            kept.add(item)
                    else:
                        good += 1
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        console.print(f"{good:,} valid record(s), {bad:,} bad" + ("" if quarantine or not bad else
                      "; `--quarantine DIR` keeps the bad rows with their reasons"))
        finish(bad, strict, quarantine / "quarantine.jsonl" if quarantine and bad else None)

    @app.command()
    def stats(
        data: Path = typer.Argument(..., help="Records: a run or import directory, Parquet, or JSONL."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        max_bad_rows: int = typer.Option(DEFAULT_MAX_BAD_ROWS, min=1, help=MAX_BAD_ROWS_HELP),
    ) -> None:
        """Records by kind, source and verifier, and verdicts per verifier (id@version: passed, failed, none)."""
        from reasonledger.records.io import read_records

        by_kind, by_source, by_verifier = Counter(), Counter(), Counter()
        verdicts: dict[str, Counter[str]] = {}
        bad = 0
        try:
            for item in read_records(data, max_bad_rows=max_bad_rows):
                if isinstance(item, BadRow):
                    bad += 1
                    continue
                by_kind[item.kind.value] += 1
                by_source[item.task.source.dataset] += 1
                by_verifier[item.task.verifier.name if item.task.verifier else "none"] += 1
                _count_verdicts(item, verdicts)
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        summary = {"records": sum(by_kind.values()), "by_kind": dict(by_kind), "by_source": dict(by_source),
                   "by_verifier": dict(by_verifier),
                   "verdicts": {key: {o: n[o] for o in OUTCOMES} for key, n in sorted(verdicts.items())},
                   "bad_rows": bad}
        if as_json:
            print_json(json.dumps(summary, sort_keys=True))
            return
        table = Table(title=escape(f"{summary['records']:,} records in {data}"))
        table.add_column("group")
        table.add_column("value")
        table.add_column("count", justify="right")
        for group, counts in (("kind", by_kind), ("source", by_source), ("verifier", by_verifier)):
            for key, n in sorted(counts.items()):
                table.add_row(group, escape(key), f"{n:,}")
        console.print(table)
        if verdicts:
            judged = Table(title="verdicts per verifier (none: records naming it that it has not judged)")
            for column in ("verifier", *OUTCOMES):
                judged.add_column(column, justify="left" if column == "verifier" else "right")
            for key, n in sorted(verdicts.items()):
                judged.add_row(escape(key), *(f"{n[o]:,}" for o in OUTCOMES))
            console.print(judged)
        if bad:
            console.print(f"[yellow]{bad:,} bad row(s) not counted; `reasonledger validate` lists them[/yellow]")

    @app.command("import")
    def import_(
        file: Path = typer.Argument(..., help="A file, a directory (its .json/.jsonl/.jsonl.gz/.parquet files) "
                                    "or a quoted glob ('data/train-*.parquet'), read in sorted order."),
        fmt: str = typer.Option(..., "--format", "-f", help=f"One of: {', '.join(sorted(BUILTIN_IMPORTERS))}, "
                                "or one a plugin adds (`reasonledger plugins`)."),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory (data/ and rejected/, as a build); "
                                 "new or empty, written whole at the end."),
        prompt_field: str = typer.Option(None, help="jsonl/parquet: the prompt field; dotted paths with list indices (messages.0.content); chat messages are split at the last user turn."),
        answer_field: str = typer.Option(None, help="jsonl/parquet: the gold answer field."),
        response_field: str = typer.Option(None, help="jsonl/parquet: the model response field; a list of responses makes a rollout_set."),
        reference_field: str = typer.Option(None, help="jsonl/parquet: the reference field (overrides answer)."),
        verifier: str = typer.Option(None, help="jsonl/parquet: the verifier that judges these tasks."),
        label_field: list[str] = typer.Option(None, "--label-field", help="jsonl/parquet: a stored label "
                                              "(one per response when the response field is a list); repeatable."),
        dataset: str = typer.Option(None, help="Source dataset name recorded on each row (e.g. a Hub repo id)."),
        license: str = typer.Option(None, "--license", help="Source licence (SPDX id, e.g. Apache-2.0)."),
        revision: str = typer.Option(None, help="Source revision (a commit or tag)."),
        split: str = typer.Option(None, help="Source split (train, test ...)."),
        id_field: str = typer.Option(None, help="The row id field (default: the first of id, uuid, unique_id, "
                                     "task_id, problem_id; else the row number)."),
        max_bad_rows: int = typer.Option(DEFAULT_MAX_BAD_ROWS, min=1, help=MAX_BAD_ROWS_HELP),
        attach_solutions: bool = typer.Option(False, "--attach-solutions",
                                              help="humaneval/humanevalplus/mbpp: store the canonical solution as the response; bfcl: the gold answer as the behaviour."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 (not 3) when any row is bad."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (only a dataset reasonledger wrote)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Import a public format into reasonledger records (Parquet shards + manifest).

        Hub layouts have presets: math (MATH, MATH-500), openr1, numina, chat (`messages`), openai-tools."""
        from reasonledger.records.parquet import write_parquet_shards

        options = {k: v for k, v in {"prompt_field": prompt_field, "answer_field": answer_field,
                                     "response_field": response_field, "reference_field": reference_field,
                                     "verifier": verifier, "label_fields": label_field or None, "dataset": dataset,
                                     "license": license, "revision": revision, "split": split,
                                     "id_field": id_field}.items() if v is not None}
        if attach_solutions:
            options["attach_solutions"] = True
        if fmt in IMPORTERS:
            takes = importer_options(fmt)
            refused = [name for name in options if name not in takes]
            if refused:
                fail(f"--{refused[0].replace('_', '-').replace('label-fields', 'label-field')}: the {fmt} importer "
                     f"has no such option; it takes: {', '.join(takes) or 'none'}")
        try:
            files = [file] if fmt == "records" and file.is_dir() else input_files(file)
        except FileNotFoundError as exc:
            fail(str(exc))
        try:  # OwnershipError (a refused --out) is a ValueError
            with staged_output(out, "import", files, force, replaces=DATASET_KINDS) as staging, \
                    Ticker(f"import {file.name if len(files) == 1 else f'{len(files)} files'}", quiet) as ticker, \
                    Quarantine(staging / "rejected") as q:
                items = (item for path in files for item in import_file(path, fmt, max_bad_rows, **options))
                records = split_bad(items, q, report_bad)
                manifest = write_parquet_shards(ticker.wrap(records), staging / "data")
        except (FileNotFoundError, ValueError, TypeError) as exc:
            fail(str(exc))
        console.print(escape(f"imported {manifest['rows']:,} record(s) into {out}/data"))
        finish(q.count, strict, RunDir(out).quarantine if q.count else None)
