"""Verification commands: `check NAME` for one pair, `verify DATA` for a dataset, `verifiers` to list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from reasonledger.commands._common import DATASET_KINDS, Ticker, console, fail, finish, print_json, run_faults, split_bad
from reasonledger.verifiers import available_verifiers, get_verifier


def _argument(value: str, parse_json: bool) -> Any:
    """A value given inline, or the contents of a file when it names one (.json files are parsed)."""
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        text = path.read_text(encoding="utf-8")
        if not (parse_json and path.suffix == ".json"):
            return text
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); fix the file, or give the "
                             f"reference inline") from None
    if parse_json:
        try:
            parsed = json.loads(value)
            return parsed if isinstance(parsed, (dict, list)) else value
        except json.JSONDecodeError:
            return value
    return value


def _config(text: str) -> dict[str, Any]:
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--config: not valid JSON ({exc.msg} at char {exc.pos}); e.g. --config '{{\"time_limit\": 2}}'") from None
    if not isinstance(config, dict):
        raise ValueError("--config: expected a JSON object of verifier options, e.g. '{\"time_limit\": 2}'")
    return config


def _replay_options(verifier: str | None, config: dict[str, Any], revision: str | None, data_root: Path | None,
                    lenient: str | None) -> str:
    """--replay: the environment verifier, with the flags written into its config (so they are in the
    config hash every verdict carries)."""
    if verifier not in (None, "environment"):
        raise ValueError(f"--replay judges episodes with the environment verifier, not {verifier!r}")
    if lenient is not None and not lenient.strip():
        raise ValueError("--lenient needs the reason exact replay cannot hold, e.g. --lenient 'harness pretty-printed JSON'")
    config.update({k: v for k, v in (("revision", revision), ("data_root", None if data_root is None else str(data_root)),
                                     ("observations", None if lenient is None else "lenient"),
                                     ("lenient_reason", lenient)) if v is not None})
    return "environment"


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        verifier: str = typer.Argument(..., help="Verifier name (see `reasonledger verifiers`)."),
        reference: str = typer.Option(..., "--reference", "-r", help="The reference: inline, or a file (.json parsed)."),
        response: str = typer.Option(..., "--response", "-p", help="The response: inline, or a file."),
        config: str = typer.Option("{}", "--config", help="Verifier config as JSON."),
    ) -> None:
        """Check one response against one reference; print the verdict as JSON. Exit 0 passed, 2 not."""
        try:
            checker = get_verifier(verifier, **_config(config))
            verdict = checker.verify(_argument(reference, True), _argument(response, False))
        except (KeyError, ValueError) as exc:
            fail(str(exc.args[0] if exc.args else exc))
        print_json(verdict.model_dump_json(indent=2))
        raise typer.Exit(0 if verdict.passed else 2)

    @app.command()
    def verify(
        data: Path = typer.Argument(..., help="Records: a run or import directory, Parquet, or JSONL."),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory: data/ with verdicts attached; new or "
                                 "empty (never the input), written whole at the end."),
        verifier: str = typer.Option(None, "--verifier", help="Use this verifier instead of each record's own."),
        config: str = typer.Option("{}", "--config", help="Verifier config as JSON."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (only a dataset reasonledger wrote)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
        replay: bool = typer.Option(False, "--replay", help="Re-judge agent episodes by replaying them against their "
                                    "pinned environment (the `environment` verifier); other records pass unchanged."),
        revision: str = typer.Option(None, "--revision", help="With --replay: replay at this data revision instead of "
                                     "the recorded one (reported as env_revision_mismatch, never re-scored)."),
        data_root: Path = typer.Option(None, "--data-root", help="With --replay: the folder environments read their "
                                       "data from (default $REASONLEDGER_DATA_ROOT)."),
        lenient: str = typer.Option(None, "--lenient", help="With --replay: compare observations leniently (JSON-equal "
                                    "or equal up to whitespace); the reason why is recorded in every verdict."),
    ) -> None:
        """Run each record's verifier (or the named one) over a dataset and write records with verdicts.

        With --replay, agent episodes are rebuilt from their pinned initial state, their recorded calls re-applied and every observation compared; each episode gets its outcome and first divergence."""
        from reasonledger.construct.verify import Verify
        from reasonledger.engine.rundir import RunDir, staged_output
        from reasonledger.engine.step import StepContext, StepStats
        from reasonledger.records.io import read_records
        from reasonledger.records.parquet import write_parquet_shards
        from reasonledger.records.quarantine import Quarantine

        try:
            options = _config(config)
            if replay:
                verifier = _replay_options(verifier, options, revision, data_root, lenient)
            elif revision or data_root or lenient:
                raise ValueError("--revision, --data-root and --lenient go with --replay")
            step = Verify(verifier=verifier, config=options)
        except ValueError as exc:
            fail(str(exc))
        try:  # OwnershipError (a refused --out) is a ValueError
            with staged_output(out, "verify", [data], force, replaces=DATASET_KINDS) as staging, \
                    Ticker("verify", quiet) as ticker, Quarantine(RunDir(staging).rejected) as q:
                ctx = StepContext(stage="verify", seed=0, run=RunDir(staging))
                records = step.process(split_bad(read_records(data), q), ctx.for_step("verify", 0))
                manifest = write_parquet_shards(ticker.wrap(records), RunDir(staging).data)
                step.close()  # before the rename, so the verdict cache's write-ahead log is folded into it
        except (FileNotFoundError, ValueError, *run_faults()) as exc:
            fail(str(exc))
        stats = ctx.stats.get("verify", StepStats())
        counts = stats.counts
        console.print(escape(f"verified {manifest['rows']:,} record(s): {counts.get('passed', 0):,} checks passed, "
                             f"{counts.get('failed', 0):,} failed, {counts.get('no_verifier', 0):,} records "
                             f"without a verifier; written to {out}/data"))
        if replay:
            outcomes = dict(sorted(stats.by.get("outcome", {}).items()))
            console.print(escape(f"replayed {sum(outcomes.values()):,} episode(s): "
                                 + (", ".join(f"{k} {n:,}" for k, n in outcomes.items()) or "none") + "; "
                                 f"{counts.get('diverged', 0):,} diverged from the recording; "
                                 f"{counts.get('not_an_episode', 0):,} other record(s) passed unchanged"))
        finish(q.count, False, RunDir(out).quarantine if q.count else None)

    @app.command()
    def verifiers() -> None:
        """List the registered verifiers with their versions and families."""
        for name in available_verifiers():
            try:
                v = get_verifier(name)
                print_json(f"{name}\t{v.version}\t{v.family}")
            except KeyError as exc:
                console.print(escape(f"{name}\tunavailable: {exc}"))
