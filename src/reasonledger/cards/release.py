"""The release card: computed from the run log and the released data, never typed by hand.

Fields only a person can answer stay "unknown" until the recipe's `card:` section fills them,
and every unknown field is listed under `missing`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from reasonledger import __version__
from reasonledger.engine.runlog import RunLog
from reasonledger.records.io import iter_valid
from reasonledger.records.parquet import MANIFEST, write_json_atomic

UNKNOWN = "unknown"
HUMAN_FIELDS = ("motivation", "intended_uses", "out_of_scope_uses", "decontamination_sufficient", "biases", "maintenance")


def _data_summary(data_dir: Path) -> dict[str, Any]:
    by_kind: Counter[str] = Counter()
    sources: dict[tuple[str, str | None, str | None], int] = Counter()
    contracts: Counter[str] = Counter()
    verdicts: dict[str, dict[str, Any]] = {}
    for record in iter_valid(data_dir):
        by_kind[record.kind.value] += 1
        src = record.task.source
        sources[(src.dataset, src.revision, src.license)] += 1
        contracts[record.task.verifier.name if record.task.verifier else "none"] += 1
        for verdict in record.verdicts:
            entry = verdicts.setdefault(f"{verdict.verifier}@{verdict.version}", {
                "verifier": verdict.verifier, "version": verdict.version, "config_hashes": set(),
                "label_source": verdict.label_source, "passed": 0, "failed": 0, "targets": Counter()})
            entry["config_hashes"].add(verdict.config_hash)
            entry["passed" if verdict.passed else "failed"] += 1
            entry["targets"][verdict.target.split(":")[0]] += 1
    return {
        "by_kind": dict(sorted(by_kind.items())),
        "sources": [{"dataset": d, "revision": r or UNKNOWN, "license": lic or UNKNOWN, "records": n}
                    for (d, r, lic), n in sorted(sources.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))],
        "verification_contracts": dict(sorted(contracts.items())),
        "verdicts": [{**v, "config_hashes": sorted(v["config_hashes"]), "targets": dict(sorted(v["targets"].items()))}
                     for _, v in sorted(verdicts.items())],
    }


def _funnel(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stages = {e["stage"]: e for e in events if e.get("event") == "stage"}
    funnel = []
    for name in sorted(stages):
        for step in stages[name]["steps"]:
            funnel.append({"stage": name, "step": step["step"], "params": step["params"], "params_hash": step["params_hash"],
                           "versions": step["versions"], "in": step["in"], "out": step["out"], "dropped": step["dropped"]})
    return funnel


def build_card(run_dir: Path, recipe: Any) -> dict[str, Any]:
    run_dir = Path(run_dir)
    events = list(RunLog(run_dir).events())
    start = next((e for e in reversed(events) if e.get("event") == "run_start"), {})
    manifest = json.loads((run_dir / "data" / MANIFEST).read_text())
    summary = _data_summary(run_dir / "data")
    human = {key: recipe.card.get(key, UNKNOWN) for key in HUMAN_FIELDS}
    card = {
        "card_version": 1,
        "name": recipe.name,
        "generated_by": f"reasonledger {__version__}",
        "recipe_digest": recipe.digest,
        "seed": recipe.seed,
        "records": manifest["rows"],
        **summary,
        "declared_sources": start.get("sources", []),
        "verifier_versions": sorted({f"{k}@{v}" for step in _funnel(events) for k, v in step["versions"].items()}),
        "funnel": _funnel(events),
        "outputs": list(recipe.outputs),
        "manifest": manifest,
        **human,
    }
    card["missing"] = sorted(
        [k for k in HUMAN_FIELDS if card[k] == UNKNOWN]
        + [f"sources[{s['dataset']}].{f}" for s in card["sources"] for f in ("revision", "license") if s[f] == UNKNOWN]
    )
    return card


def render_markdown(card: dict[str, Any]) -> str:
    lines = [f"# {card['name']} — release card", "",
             f"{card['records']:,} records, built by {card['generated_by']} from recipe digest `{card['recipe_digest']}` "
             f"(seed {card['seed']}).", "", "## What is the data object?", ""]
    lines += [f"- {kind}: {n:,}" for kind, n in card["by_kind"].items()]
    lines += ["", "## Sources", "", "| dataset | revision | licence | records |", "|---|---|---|---|"]
    lines += [f"| {s['dataset']} | {s['revision']} | {s['license']} | {s['records']:,} |" for s in card["sources"]]
    lines += ["", "## Verification contract", "", "| verifier | version | label source | passed | failed |", "|---|---|---|---|---|"]
    lines += [f"| {v['verifier']} | {v['version']} | {v['label_source']} | {v['passed']:,} | {v['failed']:,} |" for v in card["verdicts"]]
    lines += ["", "## Construction funnel", "", "| stage | step | in | out | dropped |", "|---|---|---|---|---|"]
    for step in card["funnel"]:
        dropped = ", ".join(f"{reason}: {n:,}" for reason, n in step["dropped"].items()) or "—"
        lines.append(f"| {step['stage']} | {step['step']} | {step['in']:,} | {step['out']:,} | {dropped} |")
    lines += ["", "## Still unknown", ""] + [f"- `{field}`" for field in card["missing"]] + [""]
    return "\n".join(lines)


def write_release_card(run_dir: Path, recipe: Any) -> dict[str, Any]:
    card = build_card(run_dir, recipe)
    out = Path(run_dir) / "card"
    write_json_atomic(card, out / "card.json")
    (out / "card.md").write_text(render_markdown(card), encoding="utf-8")
    return card
