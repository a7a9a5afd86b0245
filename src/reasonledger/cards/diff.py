"""`card diff A B`: which knobs changed between two releases, what each can move, and what is
still missing before a gain measured after training on B rather than A can be credited to it.

A knob moves the *ceiling* when it changes what a model can learn from the data at all (which
tasks, whose traces, which answers are rewarded), the *efficiency* when it changes how fast or
cheaply the same ceiling is reached (reuse, sampling, filters, difficulty band), and the
*measurement* when it changes whether a benchmark gain can be trusted (decontamination).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonledger.cards.overrides import UNKNOWN
from reasonledger.engine.rundir import RunDir

TEACHER_KEYS = ("policy", "revision")  # conditioning fields that belong to the teacher knob


def _sources(card: dict[str, Any]) -> Any:
    return {s["dataset"]: {"revision": s["revision"], "license": s["license"], "records": s["records"]}
            for s in card["recipe"]["prompt_sources"]}


def _reuse(card: dict[str, Any]) -> Any:
    exact, near = card["dedup"]["exact"], card["dedup"]["near"]
    return {"records": card["records"], "unique_prompts": exact["unique_prompts"],
            "repeated_prompts_released": exact["repeated_prompts_released"], "exact_dedup": exact["status"],
            "near_duplicates_flagged": near.get("flagged", UNKNOWN),
            "rollouts_per_record": card["objects"].get("rollouts_per_record", {})}


def _models(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(f"{g.get('model')}@{g.get('revision')}" for g in value if isinstance(g, dict))
    return value


def _teacher(card: dict[str, Any]) -> Any:
    r = card["recipe"]
    return {"generator": _models(r["generator"]), "trace_writer": _models(r["trace_writer"]),
            "search": r["search"], "self_play_anchor": r["self_play_anchor"]}


def _sampling(card: dict[str, Any]) -> Any:
    gens = card["recipe"]["generator"]
    settings = sorted(json.dumps(g.get("sampling"), sort_keys=True) for g in gens if isinstance(g, dict)) \
        if isinstance(gens, list) else gens
    return {"settings": settings, "responses_released": card["recipe"]["budget"].get("responses_released")}


def _verifiers(card: dict[str, Any]) -> Any:
    return {"contract": card["verification"]["contract"],
            "verifiers": sorted({f"{v['id']}@{v['version']}#{v['config_hash']}" for v in card["recipe"]["verifiers"]})}


def _filters(card: dict[str, Any]) -> Any:
    return [f"{f['step']} {json.dumps(f['params'], sort_keys=True)}" for f in card["recipe"]["filters"]]


def _band(card: dict[str, Any]) -> Any:
    """The band and its conditioning, less the policy: a change of policy is the teacher knob."""
    p = card["pass_rate"]

    def without_policy(cond: Any) -> Any:
        if isinstance(cond, list):
            return [{**c, "conditioning": without_policy(c.get("conditioning"))} for c in cond]
        return {k: v for k, v in cond.items() if k not in TEACHER_KEYS} if isinstance(cond, dict) else cond
    return {"band": p["band"], "filter": p.get("filter"), "conditioning": without_policy(p["conditioning"])}


def _decontamination(card: dict[str, Any]) -> Any:
    c = card["contamination"]
    benchmarks = sorted(f"{b['name']}@{b['revision']} ({b['method']})" for b in c["benchmarks"]) \
        if isinstance(c["benchmarks"], list) else c["benchmarks"]
    return {"status": c["status"], "benchmarks": benchmarks, "flagged": c.get("flagged", UNKNOWN),
            "sufficient": card["decontamination_sufficient"]}


@dataclass(frozen=True)
class Knob:
    name: str
    moves: str
    value: Callable[[dict[str, Any]], Any]
    needs: tuple[str, ...]  # card field prefixes that must be known before a gain is credited to this knob
    why: str


# Whatever changed, a gain cannot be credited while contamination is unknown.
ALWAYS_NEEDED = ("contamination", "decontamination_sufficient")
KNOBS = (
    Knob("prompt_source", "ceiling", _sources, ("recipe.prompt_sources", "dedup.near"),
         "which tasks the model sees bounds what it can learn"),
    Knob("uniqueness_and_reuse", "efficiency", _reuse, ("dedup.near", "pass_rate.conditioning"),
         "repeats and reuse change how much each update teaches, not what can be taught"),
    Knob("teacher", "ceiling", _teacher, ("recipe.generator", "recipe.trace_writer", "recipe.search",
                                          "recipe.self_play_anchor"),
         "whose traces and answers are imitated bounds their quality"),
    Knob("sampling", "efficiency", _sampling, ("recipe.generator", "recipe.budget", "pass_rate.conditioning"),
         "temperature, n and budget change how cheaply correct behaviour is found"),
    Knob("verifier", "ceiling", _verifiers, ("recipe.verifiers", "verifier_cards"),
         "what is rewarded as correct bounds what reinforcement can teach; false positives reward wrong answers"),
    Knob("filters", "efficiency", _filters, ("recipe.filters",),
         "filters change which records are spent on training"),
    Knob("band", "efficiency", _band, ("pass_rate",),
         "the difficulty band decides how many prompts give any learning signal"),
    Knob("decontamination", "measurement", _decontamination, ALWAYS_NEEDED,
         "decides whether a benchmark gain is a gain at all"),
)


def load_card(path: Path | str) -> dict[str, Any]:
    """A card from a card.json file or a run directory."""
    path = Path(path)
    file = RunDir(path).card / "card.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no card.json (give a run directory or a card.json file)")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not valid JSON ({exc})") from None


def _missing_for(card: dict[str, Any], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in card.get("missing", []) if any(m == p or m.startswith((p + ".", p + "[")) for p in prefixes)]


def diff_cards(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for knob in KNOBS:
        va, vb = knob.value(a), knob.value(b)
        rows.append({"knob": knob.name, "moves": knob.moves, "why": knob.why, "changed": va != vb, "a": va, "b": vb})
    changed = [r["knob"] for r in rows if r["changed"]]
    for row, knob in zip(rows, KNOBS):
        needs = knob.needs + ALWAYS_NEEDED
        row["missing_before_credit"] = {"a": _missing_for(a, needs), "b": _missing_for(b, needs)}
        row["confounded_by"] = [k for k in changed if k != knob.name] if row["changed"] else []
        row["creditable"] = row["changed"] and not row["confounded_by"] and not any(row["missing_before_credit"].values())
    return {"a": {"name": a["name"], "recipe": a["recipe"]["digest"], "records": a["records"]},
            "b": {"name": b["name"], "recipe": b["recipe"]["digest"], "records": b["records"]},
            "changed": changed, "knobs": rows}


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def render_diff(result: dict[str, Any]) -> str:
    a, b = result["a"], result["b"]
    lines = [f"A: {a['name']} (recipe {a['recipe']}, {a['records']:,} records)",
             f"B: {b['name']} (recipe {b['recipe']}, {b['records']:,} records)", ""]
    if not result["changed"]:
        lines.append("No knob changed: a difference after training is noise or comes from outside the data.")
    for row in result["knobs"]:
        if not row["changed"]:
            continue
        lines += [f"{row['knob']} changed — can move the {row['moves']} ({row['why']})",
                  f"  A: {_short(row['a'])}", f"  B: {_short(row['b'])}"]
        if row["confounded_by"]:
            lines.append(f"  confounded by: {', '.join(row['confounded_by'])}")
        for side in ("a", "b"):
            if row["missing_before_credit"][side]:
                lines.append(f"  missing in {side.upper()} before a gain can be credited: "
                             f"{', '.join(row['missing_before_credit'][side])}")
        lines.append(f"  a gain can be credited to it: {'yes' if row['creditable'] else 'no'}")
    unchanged = [r["knob"] for r in result["knobs"] if not r["changed"]]
    if unchanged:
        lines += ["", f"unchanged: {', '.join(unchanged)}"]
    return "\n".join(lines) + "\n"
