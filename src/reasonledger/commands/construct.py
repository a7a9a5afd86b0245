"""`reasonledger construct ...`: serve recorded rollouts over the OpenAI protocol, turn rollout sets and
episodes into replay files, and report what a run's generation cost and what failed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from reasonledger.commands._common import console, fail, print_json
from reasonledger.engine.rundir import RunDir

construct = typer.Typer(help="Construction with a model in the loop: replay server, replay files, cost report.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(construct, name="construct")


@construct.command()
def serve(
    files: list[Path] = typer.Argument(..., help="Replay files (or rollout files in --format)."),
    fmt: str = typer.Option("replay", "--format", help="replay, or an importer format with rollout sets "
                                                       "(gsm8k-solutions, rg-rollouts, records)."),
    port: int = typer.Option(8000, help="Port on 127.0.0.1."),
    model: str = typer.Option("replay", help="The model name /v1/models reports."),
) -> None:
    """Answer OpenAI chat/completions requests on 127.0.0.1 from recorded completions (a dry run for recipes)."""
    import asyncio

    from reasonledger.generation.backends.replay import ReplayError, ReplayStore, replay_answerer
    from reasonledger.generation.openai_server import OpenAIServer

    try:
        store = ReplayStore(files, fmt)
    except ReplayError as exc:
        fail(str(exc))
    server = OpenAIServer(replay_answerer(store), models=[model], port=port)

    async def run() -> None:
        await server.start()
        keyed = f" and {len(store.by_request):,} requests by hash" if store.by_request else ""
        console.print(f"serving {len(store.entries):,} prompts{keyed} on {server.url} (Ctrl-C stops)")
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


@construct.command("replay-file")
def replay_file(
    source: Path = typer.Argument(..., help="Rollout sets or episodes: a run directory, records, or a file in --format."),
    out: Path = typer.Option(..., "--out", "-o", help="Replay JSONL to write (written whole at the end)."),
    fmt: str = typer.Option("records", "--format", help="gsm8k-solutions, rg-rollouts, records (default)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    role: str = typer.Option("policy", "--role", help="Episodes: the turns of the `policy` (default) or of the "
                             "simulated `user`, for the episodes step's generator or its user.generator."),
    by_request: bool = typer.Option(False, "--by-request", help="Write every answer in SOURCE's request cache "
                                    "(caches/requests.sqlite of a run, or of $REASONLEDGER_JUDGE_CACHE) keyed by its "
                                    "request: replayed, only the identical request is answered (exact judge replay)."),
) -> None:
    """Write a replay file (prompt -> recorded completions) from rollout sets or episodes, to re-run a build offline.

    Each turn of an episode is keyed by its conversation so far. With --by-request, each line is one
    request of the request cache, keyed by its hash."""
    import os
    import tempfile

    from reasonledger.construct.episodes import episode_replay_lines
    from reasonledger.generation.backends.replay import (
        ReplayError, read_rollout_sets, recorded_response, replay_line, rollout_set_entry)
    from reasonledger.generation.request_cache import RequestCache
    from reasonledger.engine.rundir import check_apart
    from reasonledger.records.io import data_path, iter_valid
    from reasonledger.records.model import Kind

    if role not in ("policy", "user"):
        fail(f"--role {role!r}: give policy or user")
    episodes: list[Any] = []

    def split(records: Any) -> Any:  # rollout sets as entries; episodes kept for episode_replay_lines
        for record in records:
            if record.kind == Kind.rollout_set:
                yield *rollout_set_entry(record), None
            elif record.kind == Kind.episode:
                episodes.append(record)

    def answered(cache_path: Path) -> Any:  # the request cache's answers, each keyed by its request
        if not cache_path.is_file():
            raise FileNotFoundError(f"{cache_path}: no request cache (give a run directory, or the folder "
                                    f"$REASONLEDGER_JUDGE_CACHE named)")
        cache = RequestCache(cache_path)
        try:
            keys = sorted(cache.keys())
            for start in range(0, len(keys), 500):
                for key, response in sorted(cache.get_many(keys[start:start + 500]).items()):
                    yield None, recorded_response(response), key
        finally:
            cache.close()

    run = RunDir(source)
    try:
        if by_request:
            stores = [run.request_cache]
            entries = answered(run.request_cache)
        elif run.data.is_dir():  # a run: the records it kept and the ones it filtered out
            stores = [run.data, *([run.rejected] if run.rejected.is_dir() else [])]
            entries = split(r for store in stores for r in iter_valid(store))
        elif data_path(source).is_dir() or source.suffix == ".parquet":
            stores = [data_path(source)]
            entries = split(iter_valid(source))
        else:
            stores = [source]
            entries = read_rollout_sets(source, fmt)
        check_apart(out, stores)  # OwnershipError is a ValueError
        if out.exists() and not (force and out.is_file()):
            fail(f"--out {out} exists; add --force to replace the file, or choose another --out"
                 if out.is_file() else f"--out {out} exists and is not a file; choose another --out")
        out.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.partial-",
                                         delete=False) as handle:
            try:
                for prompt, recorded, request in entries:
                    handle.write(json.dumps(replay_line(prompt, recorded, request), ensure_ascii=False) + "\n")
                    count += 1
                for line in episode_replay_lines(episodes, role=role) if episodes else ():
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                    count += 1
            except BaseException:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, out)
    except (ReplayError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    console.print(escape(f"wrote {count:,} {'requests' if by_request else 'prompts'} to {out}"))


def generation_report(run_dir: Path) -> dict[str, Any]:
    """Per generating step: requests sent, cached and failed, tokens, cost and wire events; plus
    the failures not since resolved by a resumed run."""
    from reasonledger.generation.failures import read_failures
    from reasonledger.generation.request_cache import RequestCache
    from reasonledger.engine.runlog import RunLog, latest_by
    from reasonledger.engine.step import flat_counts
    from reasonledger.generation.generator import COUNTS, TALLIES

    run = RunDir(run_dir)
    events = list(RunLog(run_dir).events())
    steps = []
    for stage in latest_by(events, "stage", "stage").values():
        for step in stage.get("steps", []):
            by = step.get("by", {})
            if by.get("requests"):
                counts = {k: v for k, v in step.get("counters", {}).items() if k in COUNTS}
                tallies = {d: by[d] for d in (*TALLIES, "wire") if d in by}
                steps.append({"step": step["label"], "versions": step.get("versions", {}), **flat_counts(counts, tallies)})
    failures = read_failures(run.failures)
    if failures and run.request_cache.exists():
        cache = RequestCache(run.request_cache)
        answered = cache.keys()
        cache.close()
        failures = [f for f in failures if f.get("request") not in answered]
    return {"run": str(run_dir), "steps": steps, "failures": len(failures),
            "failures_by_kind": dict(Counter(f["kind"] for f in failures)),
            "failures_file": str(run.failures) if failures else None,
            "first_failures": [{k: f.get(k) for k in ("record", "kind", "message", "attempts")} for f in failures[:5]]}


@construct.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run directory."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What generation cost in a run (requests, tokens, dollars, retries) and which requests failed."""
    if not RunDir(run_dir).runlog.exists():
        fail(f"{run_dir}: no runlog.jsonl; is this a run directory?")
    result = generation_report(run_dir)
    if as_json:
        print_json(json.dumps(result, indent=2, sort_keys=True))
        return
    table = Table("step", "sent", "cached", "replayed", "failed", "prompt tok", "completion tok", "cost $", "wire events")
    for step in result["steps"]:
        wire = ", ".join(f"{k[5:]}={v}" for k, v in step.items() if k.startswith("wire."))
        table.add_row(escape(step["step"]), str(step.get("requests.sent", 0)), str(step.get("requests.cached", 0)),
                      str(step.get("requests.replayed", 0)),
                      str(step.get("requests.failed", 0)), f"{step.get('tokens.prompt', 0):,}",
                      f"{step.get('tokens.completion', 0):,}", f"{step.get('cost_usd', 0):.4f}", escape(wire or "-"))
    console.print(table)
    if result["failures"]:
        console.print(f"[yellow]{result['failures']} request(s) failed after retries[/yellow] " + escape(
                      f"({', '.join(f'{k}: {v}' for k, v in result['failures_by_kind'].items())}); "
                      f"all in {result['failures_file']}"))
        for f in result["first_failures"]:
            console.print(escape(f"  record {f['record']}: {f['kind']} after {f['attempts']} attempt(s): {f['message']}"))
    else:
        console.print("no unresolved request failures")
