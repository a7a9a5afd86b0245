"""A reasonledger release card as an atlas entry (papers.yaml form), so releases built here can fill
the atlas's L0 holes. What the card computed is filled in; what it does not know is left as the
atlas's own placeholder ("unknown", null, []), never guessed."""

from __future__ import annotations

import re
from typing import Any

from reasonledger import __version__
from reasonledger.atlas import vocab
from reasonledger.atlas.load import AtlasError, schema, validate

UNKNOWN = "unknown"
ARTIFACT_KEYS = ("paper", "arxiv", "code", "data", "project", "huggingface", "doi", "venue", "openreview", "acl",
                 "pmlr", "cvf", "bibtex")


def _known(value: Any) -> bool:
    return value not in (None, "", [], {}, UNKNOWN, "not_applicable")


def _text(value: Any) -> str:
    """A card value as one line of atlas text, or the atlas's placeholder."""
    if not _known(value):
        return UNKNOWN
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value if _known(v)) or UNKNOWN
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if _known(v)) or UNKNOWN
    return str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "release"


def _one(values: set[Any]) -> Any:
    return next(iter(values)) if len(values) == 1 else None


def _generators(recipe: dict[str, Any]) -> list[dict[str, Any]]:
    return recipe["generator"] if isinstance(recipe.get("generator"), list) else []


def _filters(filters: Any) -> str:
    """The build's filter steps and what each dropped, e.g. `dedup (duplicate 1)`."""
    if not isinstance(filters, list):
        return _text(filters)
    said = [f"{f.get('step', '?')} ({', '.join(f'{k} {n}' for k, n in (f.get('dropped') or {}).items()) or 'dropped none'})"
            for f in filters if isinstance(f, dict)]
    return "; ".join(said) or UNKNOWN


def _lineage(card: dict[str, Any]) -> str:
    completeness = (card.get("lineage") or {}).get("completeness")
    return UNKNOWN if not isinstance(completeness, int | float) else \
        f"{completeness:.0%} of released records carry lineage events (reasonledger run log)"


def to_entry(card: dict[str, Any]) -> dict[str, Any]:
    """The atlas entry for a release card, checked against the shipped atlas schema (AtlasError if not)."""
    v, recipe = card["verification"], card["recipe"]
    kinds = sorted(card["objects"]["by_kind"])
    contract = v["contract"] if v["contract"] in schema()["enums"]["verification_contract"] else UNKNOWN
    steps = [s["step"] for s in card["funnel"].get("steps", [])]
    layers = sorted({layer for s in steps if (layer := vocab.layer_of_step(s))} | {"release_audit"})
    uses = sorted({vocab.TRAINING_USE_OF_CARD[u] for u in v.get("training_use", []) if u in vocab.TRAINING_USE_OF_CARD})
    generators = _generators(recipe)
    samplings = [g["sampling"] for g in generators if isinstance(g.get("sampling"), dict)]
    temperature = _one({s.get("temperature") for s in samplings} - {None})
    rollouts = _one({int(n) for n in card["objects"].get("rollouts_per_record", {})})
    verifiers = sorted({f"{g['id']} {g['version']} ({g['family']})" for g in recipe.get("verifiers", [])})
    description = card.get("description") or UNKNOWN
    entry: dict[str, Any] = {
        "id": f"{_slug(card['name'])}-{str(card['date_created'])[:4]}",
        "title": card["name"],
        "year": int(str(card["date_created"])[:4]),
        "venue": UNKNOWN,
        "authors": card["creators"] if isinstance(card.get("creators"), list) else [],
        "source_role": ["data_release"],
        "verification_contract": [contract],
        "supervision_granularity": sorted({vocab.GRANULARITY_OF_KIND[k] for k in kinds}) or [UNKNOWN],
        "domains": sorted(card["objects"].get("by_domain", {})),
        "training_use": uses or [UNKNOWN],
        "construction_layer": layers,
        "artifacts": {key: None for key in ARTIFACT_KEYS} | (
            {"data": card["url"]} if _known(card.get("url")) else {}),
        "data_object": {
            "prompt_source": _text([s["dataset"] for s in recipe.get("prompt_sources", [])]),
            "trace_author": _text([g["model"] for g in generators]),
            "answer_format": UNKNOWN,
            "process_fields": ["steps"] if "step_trace" in kinds else [],
            "environment_or_substrate": UNKNOWN,
            "verifier_or_reward": _text(verifiers),
            "terminal_predicate": UNKNOWN,
        },
        "recipe_metadata": {
            "base_model": UNKNOWN, "teacher": UNKNOWN,
            "generator": _text([g["model"] for g in generators]),
            "filtering_rule": _filters(recipe.get("filters")),
            "sampling_protocol": _text(samplings),
            "rollout_count": rollouts if rollouts else None,
            "temperature": temperature,
            "inference_budget": None,
            "optimizer_or_scaffold": UNKNOWN,
        },
        "audit": {
            "source_mixture": _text([f"{s['dataset']}: {s['records']} records" for s in recipe.get("prompt_sources", [])]),
            "split": UNKNOWN,
            "decontamination": _text((card.get("contamination") or {}).get("status")),
            "license": _text(card.get("license")),
            "lineage": _lineage(card),
            "known_failure_modes": [],
            "citation_status": "needs_verification",
            "confidence": "medium",
            "notes": f"Exported by reasonledger {__version__} from the release card of {card['name']} "
                     f"({card['records']} records, card version {card.get('card_version')}).",
        },
        "inclusion_reason": description,
        "related": [],
        "tags": ["reasonledger-export"],
        "status": "needs_metadata",
        "category": [],
        "one_line": description,
        "card": None,
        "needs": ["needs_metadata: curator should verify atlas fields"],
        "one_line_summary": description,
        "why_it_matters": _text(card.get("motivation")),
        "curation_level": "L0_seeded",
        "verification": {"link_verified": False, "artifact_verified": False, "verified_at": None,
                         "verified_by": None, "confidence": "medium", "notes": "Computed from the released data."},
    }
    problems = validate([entry], schema(), "exported entry")
    if problems:
        raise AtlasError("the card does not make a valid atlas entry:\n  " + "\n  ".join(problems))
    return entry
