"""A run laid out as a Hugging Face dataset repository, and pushed to the Hub when asked.

The folder holds README.md at its root (the Hub's YAML with a config for the records and one per
trainer export, then the card's key fields and figures), croissant.json beside it, data/ and exports/,
card/ with card.json, card.md, report.html and the figures as SVG, and LICENSES.md when the sources' licences differ. `datasets`
picks one reader for a whole repository, so JSON Lines exports (openrlhf, sft, dpo, ...) are published
as Parquet with the same rows and columns; `datasets.load_dataset(folder, config)` then loads every
config. The work files, caches and rejected rows of the run stay behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reasonledger.cards.configs import release_configs
from reasonledger.cards.hub import LICENSES_FILE, licenses_of, render_hub_readme
from reasonledger.cards.overrides import UNKNOWN
from reasonledger.engine.rundir import LOCK, MARKER, RunDir

README = "README.md"
FIGURES = "card/figures"
_BATCH = 10_000
_HIDDEN = [MARKER, LOCK, f"{MARKER}.*"]


class PushError(RuntimeError):
    """The folder could not be pushed; the message says why and what to do."""


def jsonl_to_parquet(source: Path, target: Path) -> int:
    """The rows of a JSON Lines export as one Parquet file, in order (nothing for an empty file);
    columns typed from every row (a column null in the first rows and text later is text). Two
    passes, one batch in memory."""
    def batches() -> Any:
        with source.open(encoding="utf-8") as handle:
            batch = []
            for line in handle:
                batch.append(json.loads(line))
                if len(batch) == _BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    schemas = [pa.Table.from_pylist(batch).schema for batch in batches()]
    if not schemas:  # an empty file (a validation split no record fell into) is no split to publish
        return 0
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    rows = 0
    with pq.ParquetWriter(target, schema) as writer:
        for batch in batches():
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            rows += len(batch)
    return rows


def _licenses_text(card: dict[str, Any]) -> str:
    lines = [f"# Licences of {card['name']}", "",
             "The records come from sources under different licences; each record's `source.license` names its own.", "",
             "| source dataset | revision | licence | records |", "|---|---|---|---:|"]
    lines += [f"| {s['dataset']} | {s['revision']} | {s['license']} | {s['records']:,} |" for s in card["recipe"]["prompt_sources"]]
    return "\n".join(lines) + "\n"


def _add_figures(card: dict[str, Any], folder: Path) -> None:
    """The card's charts as SVG files in card/figures/, shown at the end of the README."""
    from reasonledger.cards.report import figures

    shown = []
    for name, (title, chart) in figures(card).items():
        if chart.startswith("<svg"):  # not the note a chart with nothing to plot is
            (folder / FIGURES).mkdir(parents=True, exist_ok=True)
            (folder / FIGURES / f"{name}.svg").write_text(chart, encoding="utf-8")
            shown += [f"### {title}", "", f"![{title}]({FIGURES}/{name}.svg)", ""]
    if shown:
        with (folder / README).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(["", "## Figures", "", *shown]) + "\n")


def lay_out(run: Path, card: dict[str, Any], folder: Path) -> list[str]:
    """Write the release of `run` into the empty `folder`; returns what a person should still fill in."""
    from reasonledger.cards.release import release_manifest
    from reasonledger.cards.render import write_renderings
    from reasonledger.records.parquet import write_json_atomic

    source, release = RunDir(run), RunDir(folder)  # a release keeps a run's layout: release_manifest reads it as one
    shutil.copytree(source.data, release.data, symlinks=True)
    release.exports.mkdir()
    for path in sorted(source.exports.glob("*")) if source.exports.is_dir() else []:
        if path.suffix == ".jsonl":
            jsonl_to_parquet(path, release.exports / f"{path.stem}.parquet")
        elif path.suffix == ".parquet" and pq.ParquetFile(path).metadata.num_rows:  # an empty split is none
            shutil.copy2(path, release.exports / path.name)
    card = {**card, "manifest": release_manifest(folder)}  # the files of the release, as published
    write_json_atomic(card, release.card / "card.json")
    write_renderings(card, release.card, folder)
    (release.card / README).unlink()  # the Hub reads the README at the root, where card/ is a folder
    (folder / README).write_text(render_hub_readme(card, "card/"), encoding="utf-8")
    _add_figures(card, folder)
    if len(licenses_of(card)) > 1:
        (folder / LICENSES_FILE).write_text(_licenses_text(card), encoding="utf-8")
    todo = []
    if card["language"] == UNKNOWN:
        todo.append(f"language: set it with `reasonledger card set language en --run {run}` (the Hub's `language`)")
    if not licenses_of(card):
        todo.append(f"license: no source names one; set it with `reasonledger card set license SPDX-ID --run {run}`")
    return todo


def configs_of(card: dict[str, Any]) -> list[str]:
    return [c.name for c in release_configs(card)]


def hub_token() -> str | None:
    """The Hugging Face token from HF_TOKEN or the login cache, or None."""
    try:
        from huggingface_hub import get_token
    except ImportError as exc:
        raise PushError("pushing needs huggingface_hub: pip install 'reasonledger[hf]'") from exc
    return get_token()


def push(folder: Path, repo_id: str, private: bool, message: str) -> str:
    """Create the dataset repository if needed and upload the folder as one commit; the commit URL."""
    token = hub_token()
    if not token:
        raise PushError(f"no Hugging Face token: set HF_TOKEN (a write token from https://huggingface.co/settings/tokens) "
                        f"or run `hf auth login`, then publish again with --force; nothing was pushed. "
                        f"The release is ready in {folder}")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                   commit_message=message, ignore_patterns=_HIDDEN)
    except (OSError, ValueError) as exc:  # HTTP errors of huggingface_hub are OSErrors; bad repo ids ValueErrors
        raise PushError(f"push to {repo_id} failed: {exc}; the release is ready in {folder}") from None
    return str(getattr(commit, "commit_url", commit))
