"""README.md for the Hugging Face Hub: the Hub's YAML metadata, then a block of the card's key fields."""

from __future__ import annotations

import re
from typing import Any

import yaml

from reasonledger.cards.configs import DATA_CONFIG, release_configs
from reasonledger.cards.markdown import fmt, loss_lines, md_text, plain, source_rows
from reasonledger.cards.overrides import UNKNOWN

_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))
# Reasoning and RL sets are `text-generation` on the Hub, prompt sets included: the model writes the answer.
_TASKS = {"prompt_answer": "text-generation", "trace": "text-generation", "step_trace": "text-classification",
          "rollout_set": "text-generation", "preference_pair": "text-generation", "tool_trajectory": "text-generation",
          "episode": "reinforcement-learning", "judgment": "text-classification"}


def size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>100M")


# Where a release of mixed licences lists each source's licence (written by `reasonledger publish`).
LICENSES_FILE = "LICENSES.md"


def licenses_of(card: dict[str, Any]) -> list[str]:
    return [str(x) for x in (card["license"] if isinstance(card["license"], list) else [card["license"]]) if x != UNKNOWN]


def _hub_license(card: dict[str, Any]) -> dict[str, str]:
    """The Hub takes one lower-case licence id; several licences are `other`, with a `license_name`
    made of theirs and a `license_link` to the file that lists each source's licence."""
    licenses = licenses_of(card)
    if len(licenses) == 1:
        return {"license": licenses[0].lower()}
    if not licenses:
        return {"license": UNKNOWN}
    name = "mixed-" + "-".join(re.sub(r"[^a-z0-9.]+", "-", x.lower()).strip("-") for x in sorted(licenses))
    return {"license": "other", "license_name": name, "license_link": LICENSES_FILE}


def hub_configs(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The Hub's `configs`: the records as `default`, each trainer export as its own config."""
    return [{"config_name": c.name, "data_files": [{"split": split, "path": path} for split, path in c.splits],
             **({"default": True} if c.name == DATA_CONFIG else {})} for c in release_configs(card)]


class _Dumper(yaml.SafeDumper):
    """Strings holding HTML characters are written double-quoted, where `_yaml` turns those characters
    into YAML escapes: the Hub reads the same values, and a renderer that shows the front matter as
    Markdown (CommonMark does) meets no tag."""


_YAML_HTML = {"<": "\\x3C", ">": "\\x3E", "&": "\\x26"}


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(ch in value for ch in _YAML_HTML) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _yaml(meta: dict[str, Any]) -> str:
    """The front matter as YAML with no raw `<`, `>` or `&` (only double-quoted strings can hold them)."""
    text = yaml.dump(meta, Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=float("inf")).rstrip()
    return "".join(_YAML_HTML.get(ch, ch) for ch in text)


def front_matter(card: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "pretty_name": card["name"],
        **_hub_license(card),
        "size_categories": [size_category(card["records"])],
        "task_categories": sorted({_TASKS[k] for k in card["objects"]["by_kind"]}),
        "tags": ["reasoning", "reasonledger", f"verification-{card['verification']['contract']}",
                 *card["verification"]["training_use"]],
        "configs": hub_configs(card),
    }
    if card["language"] != UNKNOWN:
        meta["language"] = card["language"] if isinstance(card["language"], list) else [card["language"]]
    return meta


def render_hub_readme(card: dict[str, Any], card_dir: str = "") -> str:
    """The README; `card_dir` is where card.md and card.json are, seen from it (`card/` at a release's root)."""
    v, r, p = card["verification"], card["recipe"], card["pass_rate"]
    block = [
        ("records", card["records"]), ("record kinds", card["objects"]["by_kind"]),
        ("released", [k for k, x in card["released"].items() if x]),
        ("verification contract", v["contract"]), ("supervision granularity", v["granularity"]),
        ("training use", v["training_use"]), ("verifiers", sorted({f"{x['id']}@{x['version']}" for x in r["verifiers"]})),
        ("prompt sources", [f"{s['dataset']} ({s['revision']}, {s['license']})" for s in r["prompt_sources"]]),
        ("generator", r["generator"]), ("funnel", f"{card['funnel']['read']:,} read → {card['funnel']['released']:,} released; "
                                                  f"drops {plain(card['funnel']['dropped_by_reason'])}"),
        ("funnel per source", [f"{row[0]}{' / ' + row[1] if row[1] else ''}: {plain(row[2])} read, {plain(row[5])} released "
                               f"({row[-1]})" for row in source_rows(card) if not row[1] or row[-1] != "ok"]
         or card["funnel"]["by_source"]["status"]),
        ("losses and gold checks", loss_lines(card)),
        ("pass-rate band", f"{plain(p['band'])} ({p['status']})"),
        ("exact dedup", f"{card['dedup']['exact']['status']}, {card['dedup']['exact']['dropped']:,} dropped"),
        ("contamination", card["contamination"]["status"]),
        ("licence", card["license"]), ("recipe digest", r["digest"]), ("card", "card.json (reasonledger release card)"),
        ("still unknown", card["missing"] or "nothing"),
    ]
    lines = ["---", _yaml(front_matter(card)), "---", "",
             f"# {md_text(card['name'])}", "", md_text(card["description"]), "", "## Release card (key fields)", "",
             "| field | value |", "|---|---|"]
    lines += [f"| {name} | {fmt(value)} |" for name, value in block]
    lines += ["", "## Why this matters", "", fmt(card["motivation"]), "", "## Uses", "",
              f"- intended: {fmt(card['intended_uses'])}", f"- out of scope: {fmt(card['out_of_scope_uses'])}", "",
              "## Limitations", "", f"- biases: {fmt(card['biases'])}",
              f"- decontamination sufficient: {fmt(card['decontamination_sufficient'])}",
              f"- maintenance: {fmt(card['maintenance'])}", "",
              f"The full card with the verifier cards, funnel and audit checklist is in `{card_dir}card.md`; the "
              f"machine-readable one in `{card_dir}card.json`, with Croissant metadata in `croissant.json` at the "
              "release root.", ""]
    return "\n".join(lines)
