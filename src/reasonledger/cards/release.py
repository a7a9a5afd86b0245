"""The release card: computed from the released data, the run log and the audit, never typed by hand.

Fields only a person can answer stay "unknown" until the recipe's `card:` section or
`reasonledger card set` fills them, and every field still unknown is listed under `missing`.
`write_release_card` is what every build calls last: it writes card.json and its renderings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonledger import __version__
from reasonledger.atlas.cite import cite_card
from reasonledger.cards import audit as audit_mod
from reasonledger.cards import overrides
from reasonledger.cards.overrides import HUMAN_FIELDS, UNKNOWN
from reasonledger.cards.runfacts import run_facts
from reasonledger.cards.scan import PASS_RATE_BINS, DataFacts, scan
from reasonledger.cards.verifier_cards import family_of, stamped_config_hash, verifier_card
from reasonledger.engine.rundir import RunDir
from reasonledger.quality.relations import DEFAULT_DROP, RELATIONS
from reasonledger.records.io import iter_valid
from reasonledger.records.parquet import MANIFEST, sha256_file, write_json_atomic
from reasonledger.stats.beta import posteriors_used

CARD_VERSION = 1
NOT_APPLICABLE = "not_applicable"
RELEASABLE = ("prompts", "answers", "traces", "step_labels", "rollouts", "preferences", "rewards", "verifier",
              "environment", "trajectories")
CONTRACT_BY_FAMILY = {"programmatic": "programmatic", "environmental": "environmental", "judgment": "judgment_required"}
GRANULARITY_BY_KIND = {"prompt_answer": "outcome", "trace": "outcome", "rollout_set": "outcome", "step_trace": "process",
                       "preference_pair": "pairwise", "tool_trajectory": "trajectory", "episode": "trajectory",
                       "judgment": "outcome"}
USES_BY_KIND = {
    "prompt_answer": ["rl_with_verifiable_rewards"],
    "trace": ["sft", "distillation"],
    "step_trace": ["process_reward_model_training"],
    "rollout_set": ["rejection_sampling_sft", "offline_rl", "pass_rate_filtering"],
    "preference_pair": ["dpo", "reward_model_training"],
    "tool_trajectory": ["agent_sft"],
    "episode": ["agentic_rl"],
    "judgment": ["judge_training"],
}
EXACT_DEDUP_METHOD = "exact match of normalised prompts (NFKC, case-folded, whitespace collapsed)"


def _or_unknown(value: Any) -> Any:
    return UNKNOWN if value in (None, "") else value


def _date(timestamp: str) -> str:
    return timestamp[:10] if timestamp and timestamp != UNKNOWN else UNKNOWN


def _released(facts: DataFacts) -> dict[str, bool]:
    return {part: facts.carries[part] > 0 for part in RELEASABLE}


def _verifier_groups(facts: DataFacts) -> list[dict[str, Any]]:
    """Verdicts per verifier, version and config, with the config recovered from the tasks that name it."""
    configs = {(name, stamped_config_hash(name, c)): c for name, by_hash in facts.task_verifiers.items()
               for c in by_hash.values()}
    groups = []
    for (name, version, chash), group in sorted(facts.verdicts.items()):
        label = group.label_sources.most_common(1)[0][0]
        config = configs.get((name, chash))
        groups.append({"id": name, "version": version, "config_hash": chash,
                       "config": config if config is not None else UNKNOWN,
                       "family": family_of(name, label), "label_source": label,
                       "targets": dict(sorted(group.targets.items())), "passed": group.passed, "failed": group.failed})
    return groups


def _verification(facts: DataFacts, verifiers: list[dict[str, Any]], outputs: list[str]) -> dict[str, Any]:
    families = {v["id"]: v["family"] for v in verifiers}
    families.update({name: family_of(name) for name in facts.task_verifiers if name not in families})
    contracts = sorted({CONTRACT_BY_FAMILY.get(f, UNKNOWN) for f in families.values()})
    contract = UNKNOWN if not contracts else contracts[0] if len(contracts) == 1 else "mixed"
    grains = sorted({GRANULARITY_BY_KIND[k] for k in facts.by_kind})
    uses = sorted({use for kind in facts.by_kind for use in USES_BY_KIND[kind]
                   if use != "rl_with_verifiable_rewards" or facts.carries["verifier"]})
    return {
        "contract": contract,
        "families": dict(sorted(families.items())),
        "granularity": grains[0] if len(grains) == 1 else ("mixed" if grains else UNKNOWN),
        "granularity_by_kind": {k: GRANULARITY_BY_KIND[k] for k in sorted(facts.by_kind)},
        "training_use": uses or [UNKNOWN],
        "trainer_exports": outputs,
        "records_with_verdicts": facts.records_with_verdicts,
        "records_with_verifier": facts.carries["verifier"],
        "coverage": round(facts.records_with_verdicts / facts.records, 4) if facts.records else 0.0,
        # agent data: episodes per environment and outcome, failures kept and counted
        **({"episode_outcomes": {env: dict(sorted(n.items())) for env, n in sorted(facts.episode_outcomes.items())}}
           if facts.episode_outcomes else {}),
    }


def _generators(facts: DataFacts) -> Any:
    if not facts.generators:
        return UNKNOWN if facts.responses else NOT_APPLICABLE
    return [{"model": d["model"], "revision": _or_unknown(d["revision"]), "sampling": _or_unknown(d["sampling"]),
             "events": facts.generators[key]} for key, d in sorted(facts.generator_details.items())]


def _tokens(steps: list[dict[str, Any]], generated: bool) -> Any:
    """Tokens the generator steps of this run reported; imported behaviour has no such count."""
    tokens = sum(n for step in steps for n in step["by"].get("tokens", {}).values())
    if tokens:
        return tokens
    return UNKNOWN if generated else NOT_APPLICABLE


def _prompt_sources(facts: DataFacts) -> list[dict[str, Any]]:
    return [{"dataset": d, "revision": _or_unknown(r), "license": _or_unknown(lic), "records": n}
            for (d, r, lic), n in sorted(facts.sources.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), str(kv[0][2])))]


def _recipe(facts: DataFacts, run: dict[str, Any], recipe: Any, verifiers: list[dict[str, Any]]) -> dict[str, Any]:
    generated = facts.responses > 0
    generators = _generators(facts)
    filters = [{k: step[k] for k in ("stage", "step", "label", "params", "params_hash", "in", "out", "dropped")}
               for step in run["funnel"]["steps"]]
    return {
        "digest": recipe.digest,
        "seed": recipe.seed,
        "declared_sources": run["declared_sources"],
        "prompt_sources": _prompt_sources(facts),
        "trace_writer": NOT_APPLICABLE if not facts.carries["traces"] else
        ("the generator (recipe.generator)" if isinstance(generators, list) else generators),
        "generator": generators,
        "search": UNKNOWN if generated else NOT_APPLICABLE,
        "self_play_anchor": UNKNOWN if generated else NOT_APPLICABLE,
        "filters": filters,
        "verifiers": verifiers,
        "budget": {
            "timings": "per-stage seconds are in runlog.jsonl (kept out of the card so it is reproducible)",
            "verifier_calls_in_release": sum(v["passed"] + v["failed"] for v in verifiers),
            "responses_released": facts.responses,
            "generator_tokens": _tokens(run["funnel"]["steps"], generated),
            "generation": run["funnel"]["generation"],
            "prompt_chars": facts.prompt_chars,
            "response_chars": facts.response_chars,
        },
        "outputs": [spec.name for spec in recipe.outputs],
        "prompt_format": {spec.name: spec.prompt_format() for spec in recipe.outputs if spec.prompt_format()},
    }


def _conditioning(facts: DataFacts) -> Any:
    """One conditioning when every measured record shares it, else each with its record count."""
    found = [(json.loads(key), n) for key, n in sorted(facts.conditionings.items())]
    if len(found) == 1:
        return found[0][0]
    return [{"conditioning": cond, "records": n} for cond, n in found] or UNKNOWN


def _band_of(value: Any) -> Any:
    """An audited band as [lo, hi] (from a pair or a {lo, hi} mapping), else unknown."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return list(value)
    for lo, hi in (("lo", "hi"), ("low", "high")):
        if isinstance(value, dict) and {lo, hi} <= set(value):
            return [value[lo], value[hi]]
    return UNKNOWN


def _pass_rate(facts: DataFacts, run: dict[str, Any], audit: dict[str, Any] | None) -> dict[str, Any]:
    """The band of per-prompt pass rates and what it was conditioned on (policy, n, temperature, verifier)."""
    measured = sum(facts.pass_rate_hist)
    band_filter = next((s for s in run["funnel"]["steps"]
                        if s["step"] == "band_filter" or {"lo", "hi"} <= set(s["params"])), None)
    applied = band_filter["params"] if band_filter else "none"
    if measured:
        return {"status": "measured", "band": [facts.pass_rate_min, facts.pass_rate_max], "filter": applied,
                "records_measured": measured, "histogram": {"bins": PASS_RATE_BINS, "counts": facts.pass_rate_hist},
                "conditioning": _conditioning(facts)}
    if audit and audit.get("difficulty"):
        difficulty = audit["difficulty"]
        return {"status": "audited", "band": _band_of(difficulty.get("band")), "filter": applied,
                "conditioning": difficulty.get("conditioning", UNKNOWN), "summary": audit["sections"]["difficulty"]}
    return {"status": "not_measured", "band": UNKNOWN, "filter": applied, "conditioning": UNKNOWN}


def _dedup(facts: DataFacts, run: dict[str, Any], audit: dict[str, Any] | None) -> dict[str, Any]:
    steps = [s for s in run["funnel"]["steps"] if s["step"] == "dedup"]
    exact: dict[str, Any] = {
        "status": "run" if steps else "not_run",
        "method": EXACT_DEDUP_METHOD,
        "scope": "within this release",
        "dropped": sum(sum(s["dropped"].values()) for s in steps) if steps else 0,
        "unique_prompts": len(facts.prompt_digests),
        "repeated_prompts_released": facts.records - len(facts.prompt_digests),
    }
    if audit and audit.get("exact_duplicates"):
        exact["audit"] = audit["exact_duplicates"]
    near = (audit or {}).get("near_duplicates") or _near_dedup_in_build(run) or {
        "status": "not_run", "method": UNKNOWN, "flagged": UNKNOWN}
    return {"exact": exact, "near": near}


def _near_dedup_in_build(run: dict[str, Any]) -> dict[str, Any] | None:
    steps = [s for s in run["funnel"]["steps"] if s["step"] == "near_dedup"]
    if not steps:
        return None
    params = steps[-1]["params"]
    return {"status": "run", "where": "build (near_dedup step: all but the first of each cluster dropped)",
            "method": f"MinHash LSH ({params.get('num_perm', UNKNOWN)} permutations, {params.get('shingle', UNKNOWN)}-word "
                      f"shingles of the {params.get('text', 'prompt')}), every pair verified by exact Jaccard",
            "threshold": params.get("threshold", UNKNOWN),
            "flagged": sum(s["dropped"].get("near_duplicate", 0) for s in steps)}


def _contamination(run: dict[str, Any], audit: dict[str, Any] | None) -> dict[str, Any]:
    """The audit's contamination check when the run was audited, else what the build's `decontaminate`
    steps checked and dropped; with both, the audit leads and the build's steps come along."""
    audited = (audit or {}).get("contamination")
    built = _decontaminated_in_build(run)
    if audited and audited.get("status") == "run":
        return {**audited, "build_steps": built} if built else audited
    return built or audited or {"status": "not_run", "method": UNKNOWN, "benchmarks": UNKNOWN, "flagged": UNKNOWN}


def _decontaminated_in_build(run: dict[str, Any]) -> dict[str, Any] | None:
    steps = [s for s in run["funnel"]["steps"] if s["step"] == "decontaminate"]
    if not steps:
        return None
    benchmarks: dict[str, dict[str, Any]] = {}
    methods, drops, relations = set(), set(), {}
    for step in steps:
        params = step["params"]
        methods.add(f"{params.get('n', UNKNOWN)}-gram containment >= {params.get('min_containment', UNKNOWN)}"
                    + (" + semantic shortlist" if params.get("semantic") else "") + ", relation named on rarity-weighted evidence")
        drops.add(tuple(params.get("drop", DEFAULT_DROP)))
        for relation, n in step["by"].get("relation", {}).items():
            relations[relation] = relations.get(relation, 0) + n
        for key, revision in step["versions"].items():
            if key.startswith("benchmark:"):
                name = key.removeprefix("benchmark:")
                entry = benchmarks.setdefault(name, {"name": name, "revision": revision, "flagged": 0})
                entry["flagged"] += step["by"].get("benchmark", {}).get(name, 0)
    method = "; ".join(sorted(methods))
    return {"status": "run", "where": "build (decontaminate step: flagged records dropped, reason `contaminated`)",
            "method": method, "benchmarks": [{**b, "method": method} for b in benchmarks.values()] or UNKNOWN,
            "flagged": sum(s["dropped"].get("contaminated", 0) for s in steps),
            "records_checked": sum(s["in"] for s in steps),
            "policy": {"drop": sorted({r for d in drops for r in d}, key=RELATIONS.index),
                       "report": [r for r in RELATIONS if all(r not in d for d in drops)]},
            "by_relation": {r: int(relations.get(r, 0)) for r in RELATIONS}}


def _lineage(facts: DataFacts, audit: dict[str, Any] | None) -> dict[str, Any]:
    out = {
        "records_with_events": facts.with_events,
        "records_with_parents": facts.with_parents,
        "completeness": round(facts.with_events / facts.records, 4) if facts.records else 0.0,
        "steps": dict(sorted(facts.lineage_steps.items())),
        "run_log": "runlog.jsonl",
    }
    if audit and audit.get("lineage_completeness") is not None:
        out["audit"] = audit["sections"].get("lineage_completeness", {})
    return out


def _licenses(sources: list[dict[str, Any]]) -> list[str]:
    return sorted({s["license"] for s in sources}) or [UNKNOWN]


def _file_entry(path: Path, base: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": str(path.relative_to(base)), "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        entry["rows"] = pq.ParquetFile(path).metadata.num_rows
    elif path.suffix == ".jsonl":
        with path.open("rb") as handle:
            entry["rows"] = sum(1 for _ in handle)
    return entry


def release_manifest(run_dir: Path) -> dict[str, Any]:
    run = RunDir(run_dir)
    data = json.loads((run.data / MANIFEST).read_text())
    exports = sorted(run.exports.glob("*")) if run.exports.is_dir() else []
    return {
        "data": {**data, "directory": run.data.name},
        "exports": [_file_entry(p, run_dir) for p in exports if p.is_file()],
    }


def _verifier_section(verifiers: list[dict[str, Any]], facts: DataFacts) -> list[dict[str, Any]]:
    """One card per verifier used in this release."""
    names = sorted({v["id"] for v in verifiers} | set(facts.task_verifiers))
    return [verifier_card(name) for name in names]


def missing_fields(card: Any, prefix: str = "") -> list[str]:
    """Every path in the card whose value is still "unknown"."""
    if card == UNKNOWN:
        return [prefix]
    found: list[str] = []
    if isinstance(card, dict):
        for key, value in card.items():
            if key != "missing":
                found += missing_fields(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(card, list):
        for i, value in enumerate(card):
            found += missing_fields(value, f"{prefix}[{overrides.item_label(value, i)}]")
    return found


def _describe(card: dict[str, Any]) -> str:
    kinds = ", ".join(f"{n:,} {k}" for k, n in card["objects"]["by_kind"].items()) or "no records"
    sources = len(card["recipe"]["prompt_sources"])
    return (f"{card['name']}: {kinds} from {sources} source dataset(s), verification contract "
            f"{card['verification']['contract']}, built by {card['generated_by']}.")


def build_card(run_dir: Path, recipe: Any) -> dict[str, Any]:
    run_dir = Path(run_dir)
    run = run_facts(run_dir)
    facts = scan(iter_valid(RunDir(run_dir).data))
    audit = audit_mod.fold(run_dir)
    verifiers = _verifier_groups(facts)
    recipe_section = _recipe(facts, run, recipe, verifiers)
    finished = _date(run["finished"])
    card: dict[str, Any] = {
        "card_version": CARD_VERSION,
        "name": recipe.name,
        "description": "",
        "version": UNKNOWN,
        "license": _licenses(recipe_section["prompt_sources"]),
        "date_created": finished,
        "date_published": finished,
        "creators": UNKNOWN,
        "url": UNKNOWN,
        "citation": UNKNOWN,
        "language": UNKNOWN,
        "generated_by": f"reasonledger {__version__}",
        "records": facts.records,
        "released": _released(facts),
        "objects": {"by_kind": dict(sorted(facts.by_kind.items())), "by_domain": dict(sorted(facts.by_domain.items())),
                    "rollouts_per_record": {str(n): c for n, c in sorted(facts.rollouts_per_record.items())}},
        "verification": _verification(facts, verifiers, [spec.name for spec in recipe.outputs]),
        "recipe": recipe_section,
        "funnel": {**run["funnel"], "steps": [{k: v for k, v in step.items() if k != "by"} for step in run["funnel"]["steps"]]},
        "pass_rate": {**_pass_rate(facts, run, audit),  # with the Beta prior and level each interval used, and the default
                      "posterior": posteriors_used(run["funnel"]["steps"], (audit or {}).get("difficulty"))},
        "dedup": _dedup(facts, run, audit),
        "contamination": _contamination(run, audit),
        "lineage": _lineage(facts, audit),
        "verifier_cards": _verifier_section(verifiers, facts),
        "audit": {k: audit[k] for k in ("path", "sha256", "sections", "not_run", "other_sections")} if audit else {
            "status": "not_run", "hint": "run `reasonledger audit` on this run, then `reasonledger card` to fold it in"},
        "manifest": release_manifest(run_dir),
        "scaling": _scaling(run_dir, facts),
        **{key: UNKNOWN for key in HUMAN_FIELDS},
    }
    card["description"] = _describe(card)
    card["literature"] = cite_card(card)  # the atlas entries (L4-L5) sharing its family, kinds and findings
    overrides.apply(card, dict(recipe.card), "recipe card:")
    card_dir = RunDir(run_dir).card
    overrides.apply(card, overrides.load(card_dir), f"{card_dir / overrides.OVERRIDES}")
    card["missing"] = missing_fields(card)
    return card


def _scaling(run_dir: Path, facts: DataFacts) -> dict[str, Any]:
    """pass@k, pass@(k,T), reuse and saved curve fits (scaling/card.py), when the run has them.
    `scaling_section` reads the data again, so it is asked only when the scan saw rollout sets
    or the run keeps saved curves."""
    from reasonledger.scaling.card import scaling_section

    wanted = "rollout_set" in facts.by_kind or RunDir(run_dir).curves.exists()
    return (scaling_section(run_dir) if wanted else None) or {
        "status": "not_applicable", "reason": "no judged rollouts and no saved scaling curves in this run"}


def load_recipe_of(run_dir: Path) -> Any:
    """The resolved recipe a build stored in its run directory."""
    from reasonledger.engine.recipe import Recipe

    path = RunDir(run_dir).recipe
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not a reasonledger run directory (no {path.name}); "
                                "give the --out directory of `reasonledger build`")
    return Recipe.model_validate(json.loads(path.read_text())["recipe"])


def write_release_card(run_dir: Path, recipe: Any) -> dict[str, Any]:
    """Compute the card and write card.json with every rendering into `run_dir/card/` (croissant.json
    into `run_dir`, the release root)."""
    from reasonledger.cards.render import write_renderings
    from reasonledger.cards.schema import check_card

    card = build_card(run_dir, recipe)
    check_card(card)
    out = RunDir(run_dir).card
    write_json_atomic(card, out / "card.json")
    write_renderings(card, out, Path(run_dir))
    return card
