"""croissant.json: Croissant 1.1 with the RAI 1.0 extension, built from the card.

Construction stages are PROV activities; fields specific to reasoning data (verification
contract, granularity, funnel counts, pass-rate band, contamination) live in the project's own
namespace `rl:`. Data shards are FileObjects with sha256, so any Croissant reader checks them.
`check_croissant` enforces what mlcroissant only warns about: a licence and a publication date.
"""

from __future__ import annotations

import json
from typing import Any

from reasonledger import __version__
from reasonledger.cards.overrides import UNKNOWN

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
RL_NS = "urn:reasonledger:card:"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "prov": "http://www.w3.org/ns/prov#",
    "rl": RL_NS,
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# Record columns a Croissant reader can load as they are (JSON columns stay JSON text).
FIELDS = (
    ("id", "sc:Text", "Content hash of kind, prompt, reference and behaviour."),
    ("kind", "sc:Text", "Record kind: prompt_answer, trace, step_trace, rollout_set, preference_pair, ..."),
    ("prompt", "sc:Text", "The prompt as text (null when it is a chat; see prompt_messages_json)."),
    ("prompt_messages_json", "sc:Text", "The prompt as chat messages, JSON."),
    ("reference_json", "sc:Text", "The reference (gold answer, tests, rubric, environment spec), JSON."),
    ("domain", "sc:Text", "Task domain."),
    ("behaviour_json", "sc:Text", "What the model did (trace, steps, rollouts, chosen/rejected, actions), JSON."),
    ("meta_json", "sc:Text", "Anything else the record keeps, JSON."),
)
_SPDX = "https://spdx.org/licenses/{}.html"


def _known(value: Any) -> bool:
    return value not in (None, "", UNKNOWN, [UNKNOWN], [])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _license_urls(license_value: Any) -> list[str]:
    return [v if str(v).startswith("http") else _SPDX.format(v) for v in _as_list(license_value) if _known(v)]


def _activities(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Construction stages as PROV activities, each using the output of the one before it."""
    agent = {"@type": "prov:SoftwareAgent", "prov:label": card["generated_by"]}
    f = card["funnel"]
    acts: list[dict[str, Any]] = [{
        "@type": "prov:Activity", "@id": "rl:activity/read-sources", "prov:label": "read sources",
        "prov:used": [{"@id": f"rl:source/{s['dataset']}"} for s in card["recipe"]["prompt_sources"]],
        "prov:wasAssociatedWith": agent, "rl:recordsOut": f["read"], "rl:quarantined": f["quarantined"]}]
    for step in f["steps"]:
        acts.append({
            "@type": "prov:Activity", "@id": f"rl:activity/{step['label']}", "prov:label": step["step"],
            "prov:wasInformedBy": {"@id": acts[-1]["@id"]}, "prov:wasAssociatedWith": agent,
            "rl:stage": step["stage"], "rl:params": json.dumps(step["params"], sort_keys=True),
            "rl:paramsHash": step["params_hash"], "rl:recordsIn": step["in"], "rl:recordsOut": step["out"],
            "rl:dropped": [{"rl:reason": reason, "rl:count": n} for reason, n in step["dropped"].items()]})
    acts.append({"@type": "prov:Activity", "@id": "rl:activity/release", "prov:label": "write release",
                 "prov:wasInformedBy": {"@id": acts[-1]["@id"]}, "prov:wasAssociatedWith": agent,
                 "prov:endedAtTime": card["date_created"], "rl:recordsOut": f["released"], "rl:rejected": f["rejected"]})
    return acts


def _rai(card: dict[str, Any]) -> dict[str, Any]:
    r, v = card["recipe"], card["verification"]
    sources = ", ".join(f"{s['dataset']} ({s['revision']}, {s['license']}, {s['records']:,} records)"
                        for s in r["prompt_sources"])
    limits = [f"{c['id']} may accept wrong answers: {json.dumps(c['known_false_positives'])}" for c in card["verifier_cards"]
              if c.get("available")]
    limits += [f"still unknown: {', '.join(card['missing'])}"] if card["missing"] else []
    rai: dict[str, Any] = {
        "rai:dataCollection": f"Tasks drawn from: {sources}. Generator: {json.dumps(r['generator'])}.",
        "rai:dataCollectionType": sorted({s.get("type", UNKNOWN) for s in r["declared_sources"]}) or [UNKNOWN],
        "rai:dataPreprocessingProtocol": [f"{s['step']} {json.dumps(s['params'], sort_keys=True)}: {s['in']:,} in, "
                                          f"{s['out']:,} out, dropped {json.dumps(s['dropped'])}" for s in r["filters"]]
        or ["no filter steps"],
        "rai:dataAnnotationProtocol": [f"{x['id']}@{x['version']} ({x['family']}, {x['label_source']}) on "
                                       f"{json.dumps(x['targets'])}: {x['passed']:,} passed, {x['failed']:,} failed"
                                       for x in r["verifiers"]] or ["no verdicts"],
        "rai:machineAnnotationTools": sorted({f"{x['id']}@{x['version']}" for x in r["verifiers"]}) or ["none"],
        "rai:annotationsPerItem": f"{sum(x['passed'] + x['failed'] for x in r['verifiers']) / max(card['records'], 1):.2f} "
                                  f"verdicts per record; contract {v['contract']}",
        "rai:dataLimitations": limits or ["none recorded"],
    }
    for key, field in (("rai:dataUseCases", "intended_uses"), ("rai:dataBiases", "biases")):
        if _known(card[field]):
            rai[key] = [str(x) for x in _as_list(card[field])]
    if _known(card["maintenance"]):
        rai["rai:dataReleaseMaintenancePlan"] = str(card["maintenance"])
    return rai


def _reasoning_fields(card: dict[str, Any]) -> dict[str, Any]:
    v, p, c = card["verification"], card["pass_rate"], card["contamination"]
    return {
        "rl:cardVersion": card["card_version"],
        "rl:verificationContract": v["contract"],
        "rl:supervisionGranularity": v["granularity"],
        "rl:trainingUse": v["training_use"],
        "rl:released": [part for part, present in card["released"].items() if present],
        "rl:recordKinds": [{"rl:kind": k, "rl:count": n} for k, n in card["objects"]["by_kind"].items()],
        "rl:verdictCoverage": v["coverage"],
        "rl:passRateBand": json.dumps(p["band"]),
        "rl:passRateConditioning": json.dumps(p["conditioning"], sort_keys=True),
        "rl:exactDedup": json.dumps(card["dedup"]["exact"], sort_keys=True),
        "rl:nearDedup": json.dumps(card["dedup"]["near"], sort_keys=True),
        "rl:contaminationStatus": c["status"],
        "rl:contamination": json.dumps(c, sort_keys=True),
        "rl:decontaminationSufficient": str(card["decontamination_sufficient"]),
        "rl:recipeDigest": card["recipe"]["digest"],
        "rl:missing": card["missing"],
    }


def _distribution(card: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A FileObject per data shard (checked by sha256) and a RecordSet per shard with the record columns."""
    shards = card["manifest"]["data"]["shards"]
    files = [{"@type": "cr:FileObject", "@id": s["file"], "name": s["file"], "contentUrl": f"../data/{s['file']}",
              "encodingFormat": "application/x-parquet", "sha256": s["sha256"], "rl:rows": s["rows"]} for s in shards]
    record_sets = []
    for s in shards:
        stem = s["file"].removesuffix(".parquet")
        record_sets.append({
            "@type": "cr:RecordSet", "@id": stem, "name": stem, "key": {"@id": f"{stem}/id"},
            "description": f"The {s['rows']:,} records of shard {s['file']}; every shard has the same fields.",
            "field": [{"@type": "cr:Field", "@id": f"{stem}/{col}", "name": col, "description": desc, "dataType": dtype,
                       "source": {"fileObject": {"@id": s["file"]}, "extract": {"column": col}}}
                      for col, dtype, desc in FIELDS]})
    return files, record_sets


def to_croissant(card: dict[str, Any]) -> dict[str, Any]:
    files, record_sets = _distribution(card)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": card["name"],
        "description": card["description"],
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "keywords": ["reasoning", "post-training", "verifiable rewards", "reasonledger", *card["verification"]["training_use"]],
        "dateCreated": card["date_created"],
        "sdVersion": f"reasonledger {__version__} card {card['card_version']}",
        "prov:wasDerivedFrom": [{"@type": "prov:Entity", "@id": f"rl:source/{s['dataset']}", "prov:label": s["dataset"],
                                 "rl:revision": s["revision"], "rl:license": s["license"], "rl:records": s["records"]}
                                for s in card["recipe"]["prompt_sources"]],
        "prov:wasGeneratedBy": _activities(card),
        **_rai(card),
        **_reasoning_fields(card),
        "distribution": files,
        "recordSet": record_sets,
    }
    licenses = _license_urls(card["license"])
    if licenses:
        doc["license"] = licenses[0] if len(licenses) == 1 else licenses
    if _known(card["date_published"]):
        doc["datePublished"] = card["date_published"]
    if _known(card["version"]):
        doc["version"] = card["version"]
    if _known(card["url"]):
        doc["url"] = card["url"]
    if _known(card["citation"]):
        doc["citeAs"] = card["citation"]
    if _known(card["language"]):
        doc["inLanguage"] = _as_list(card["language"])
    if _known(card["creators"]):
        doc["creator"] = [{"@type": "sc:Person", "name": str(c)} for c in _as_list(card["creators"])]
    return doc


def check_croissant(doc: dict[str, Any]) -> list[str]:
    """Problems mlcroissant would only warn about, or not see; an empty list means publishable."""
    problems = []
    conforms = _as_list(doc.get("conformsTo", []))
    for spec in (CROISSANT_1_1, RAI_1_0):
        if spec not in conforms:
            problems.append(f"conformsTo lacks {spec}")
    if not doc.get("license") or any(UNKNOWN in str(x) for x in _as_list(doc["license"])):
        problems.append("license: missing or unknown; set it with `reasonledger card set license SPDX-ID --run RUN`")
    if not doc.get("datePublished"):
        problems.append("datePublished: missing; set it with `reasonledger card set date_published YYYY-MM-DD --run RUN`")
    if not doc.get("description"):
        problems.append("description: missing")
    for obj in doc.get("distribution", []):
        if obj.get("@type") == "cr:FileObject" and not (obj.get("sha256") or obj.get("md5")):
            problems.append(f"distribution {obj.get('@id')}: no sha256")
    return problems
