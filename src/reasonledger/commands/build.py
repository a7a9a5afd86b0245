"""`reasonledger build RECIPE --out DIR`: the main job."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from reasonledger.commands._common import console, fail, finish, run_faults
from reasonledger.engine.recipe import RecipeError


def register(app: typer.Typer) -> None:
    @app.command()
    def build(
        recipe: Path = typer.Argument(..., help="Recipe YAML (sources, steps, outputs)."),
        out: Path = typer.Option(..., "--out", "-o", help="Run directory: new or empty, or a run to resume."),
        set_: list[str] = typer.Option([], "--set", help="Override a recipe value, e.g. sources.0.size=200."),
        force: bool = typer.Option(False, "--force", help="Empty the run directory and start over (only a run "
                                   "directory reasonledger made; anything else is refused)."),
        executor: str = typer.Option("local", "--executor", help="Where shards run: local or ray."),
        address: str = typer.Option(None, "--address", help="Ray cluster address for --executor ray (default: a local Ray)."),
        workers: int = typer.Option(None, "--workers", help="Worker processes (default: the recipe's, else every core)."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 if any input row was quarantined."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
        endpoint: str = typer.Option(None, "--endpoint", help="OpenAI-compatible base URL for generating steps "
                                     "(sets REASONLEDGER_ENDPOINT)."),
        api_key_env: str = typer.Option(None, "--api-key-env", help="Environment variable holding the endpoint's "
                                        "key (default REASONLEDGER_API_KEY, else OPENAI_API_KEY); a recipe may not "
                                        "name another one on its own."),
        allow_outside_paths: bool = typer.Option(False, "--allow-outside-paths", help="Let the recipe read files "
                                                 "outside its own folder (refused by default)."),
    ) -> None:
        """Run a recipe into a run directory: data/, rejected/, exports/, card/, runlog.jsonl."""
        from reasonledger.product import build as run_build

        if endpoint:
            os.environ["REASONLEDGER_ENDPOINT"] = endpoint
        if api_key_env:  # environment settings, so that every worker (Ray's too) sees them
            os.environ["REASONLEDGER_API_KEY_ENV"] = api_key_env
        if allow_outside_paths:
            os.environ["REASONLEDGER_ALLOW_OUTSIDE_PATHS"] = "1"

        from reasonledger.engine.executors import ExecutorError
        from reasonledger.engine.rundir import OwnershipError, RunDir
        from reasonledger.records.quarantine import TooManyBadRows

        options: dict[str, object] = {"address": address}
        if executor == "ray":
            options["shared_paths"] = [out]  # each Ray worker checks it sees the driver's run directory
        try:
            result = run_build(recipe, out, set_, force=force, executor=executor, workers=workers,
                               show_progress=not quiet, **options)
        except (RecipeError, ExecutorError, OwnershipError, TooManyBadRows, *run_faults()) as exc:
            fail(str(exc))
        run = escape(str(result.run_dir))
        console.print(f"[green]built[/green] {result.records:,} records into {run}/data "
                      f"({result.rejected:,} rejected with reasons in {run}/rejected)")
        for name, path in result.outputs.items():
            console.print(escape(f"  export {name}: {path}"))
        console.print(f"  card: {run}/card/card.md   run log: {run}/runlog.jsonl")
        finish(result.quarantined, strict, RunDir(result.run_dir).quarantine)
