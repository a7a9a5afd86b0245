"""croissant.json: Croissant 1.1 with the RAI 1.0 extension, built from the card.

Construction stages are PROV activities; fields specific to reasoning data (verification
contract, granularity, funnel counts, pass-rate band, contamination) live in the project's own
namespace `rl:`. Each config of the release (the records, each trainer export) is one FileSet and
one RecordSet whose fields are read from the files' own schema, nested ones (source, verifier, verdicts,
lineage, chat messages) as sub-fields; the data manifest, which holds every shard's sha256, is a
FileObject with its own sha256.
`check_croissant` enforces what mlcroissant only warns about: a licence and a publication date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reasonledger import __version__
from reasonledger.cards.configs import DATA_CONFIG, Config, release_configs
from reasonledger.cards.overrides import UNKNOWN
from reasonledger.records.parquet import sha256_file

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
_SPDX = "https://spdx.org/licenses/{}.html"
# The file name, at the release root beside data/ and exports/.
CROISSANT = "croissant.json"


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


# What each column holds, by dotted path; `config:path` where an export's column differs from the records'.
DESCRIPTIONS = {
    "id": "Content hash of kind, prompt, reference and behaviour: the record's identity across runs.",
    "kind": "Record kind: prompt_answer, trace, step_trace, rollout_set, preference_pair, tool_trajectory, episode, judgment.",
    "schema_version": "Version of the record schema the row was written with.",
    "prompt": "The prompt as text (null when it is a chat; see prompt_messages).",
    "prompt_messages": "The prompt as chat messages (null when it is plain text).",
    "prompt_messages.role": "Message role (system, user, assistant, tool).",
    "prompt_messages.content": "Message text.",
    "prompt_messages_json": "The prompt as chat messages [{role, content}], JSON text (null when it is plain text).",
    "reference_answer": "The reference's answer as text, for filtering (null when it has no single answer: tests, rubrics).",
    "reference_json": "The reference the verifier checks against (gold answer, tests, rubric, environment spec), JSON text.",
    "domain": "Task domain (arithmetic, algebra, code, ...).",
    "source": "Where the task came from.",
    "source.dataset": "Source dataset name.",
    "source.revision": "Source dataset revision (commit, version or package pin).",
    "source.row_id": "The row's id in the source dataset.",
    "source.license": "Licence of the source dataset (SPDX id where known).",
    "source.split": "Split of the source dataset.",
    "verifier": "The verifier that judges this task (its contract).",
    "verifier.name": "Verifier id (math, exact, code, reasoning_gym, ...).",
    "verifier.version": "Verifier version the task asks for (null: the installed one).",
    "verifier.config_json": "Verifier configuration, JSON text.",
    "behaviour_json": "What the model did: response, trace, steps, rollouts, chosen/rejected, actions; JSON text.",
    "response": "The model's response (null when the record has none).",
    "trace": "The model's reasoning trace, when kept apart from the response.",
    "default:answer": "The answer extracted from the response, when recorded.",
    "steps": "The steps of a step trace, in order.",
    "steps.text": "Step text.",
    "steps.label": "Step label in [0, 1] (1: correct), null when unlabelled.",
    "steps.label_source": "Who labelled the step: programmatic, model, human, dataset.",
    "rollouts": "The responses of a rollout set, in order.",
    "rollouts.response": "Rollout response.",
    "rollouts.answer": "Answer extracted from the rollout, when recorded.",
    "rollouts.meta_json": "Anything else recorded with the rollout (sampling, tokens, stored labels), JSON text.",
    "default:chosen": "The preferred response of a preference pair.",
    "default:rejected": "The dispreferred response of a preference pair.",
    "actions_json": "The actions of a tool trajectory or episode (action, observation, state change, ok), JSON text.",
    "actions": "The tool calls of a tool trajectory or episode, in order, failed ones included.",
    "actions.id": "The call's id (OpenAI tool_call id).",
    "actions.name": "The tool called.",
    "actions.arguments_json": "The call's arguments, JSON text (null when they were not a JSON object: see action_json).",
    "actions.observation_json": "What the call returned, JSON text.",
    "actions.observation_hash": "Hash of what the call returned.",
    "actions.ok": "Whether the call succeeded.",
    "actions.error_kind": "Why it failed: tool_error, unknown_tool, bad_arguments, policy.",
    "actions.provenance": "recorded (a model made the call) or synthetic (a converter made it up: not evidence).",
    "actions.state_hash": "Hash of the environment's state after the call, when known.",
    "actions.state_diff_json": "The change the call made to the state, JSON text.",
    "actions.action_json": "The call in a raw form that could not be normalised, JSON text.",
    "default:messages": "The whole conversation of a tool trajectory or episode, tool turns included.",
    "termination": "How the episode ended: agent_stop, user_stop, max_steps, error.",
    "scaffold_json": "The loop that ran the episode (system prompt hash, agent loop, ...), JSON text.",
    "judgment_json": "The judgment of a judgment record, JSON text.",
    "verdicts": "Every verdict given to this record, one per verifier run and target.",
    "verdicts.verifier": "Id of the verifier that gave the verdict.",
    "verdicts.version": "Version of that verifier.",
    "verdicts.config_hash": "Hash of the verifier configuration used.",
    "verdicts.target": "What was judged: answer, trace, steps, rollouts, chosen, ...",
    "verdicts.score": "Score in [0, 1].",
    "verdicts.passed": "Whether the target passed.",
    "verdicts.label_source": "Who gave the label: programmatic, model, human, dataset.",
    "verdicts.evidence_json": "The verifier's evidence (extracted answer, rule, tests run, ...), JSON text.",
    "parents": "Ids of the records this one was derived from.",
    "lineage_events": "The steps that made or changed this record, in order.",
    "lineage_events.stage": "Build stage (source, generate, verify, filter, derive, ...).",
    "lineage_events.step": "Step name within the stage.",
    "lineage_events.params_hash": "Hash of the step's parameters.",
    "lineage_events.model": "Model that generated text in this step, if any.",
    "lineage_events.revision": "Revision of that model.",
    "lineage_events.sampling_json": "Sampling parameters of the generation, JSON text.",
    "lineage_events.seed": "Seed of the step.",
    "meta_json": "Anything else the record keeps, JSON text.",
    # trainer exports
    "data_source": "Source dataset of the record (verl's reward routing key).",
    "datasource": "Source dataset of the record.",
    "verl:prompt": "The prompt as chat messages, with the export's system prompt and instruction.",
    "trl_grpo:prompt": "The prompt as chat messages, with the export's system prompt and instruction.",
    "dpo:prompt": "The chat the model was sent.",
    "trl_stepwise:prompt": "The last user message the model was sent.",
    "prompt.role": "Message role (system, user, assistant).",
    "prompt.content": "Message text.",
    "ability": "Task domain as verl's `ability`.",
    "reward_model": "verl's reward specification.",
    "reward_model.style": "Always `rule`: a programmatic verifier gives the reward.",
    "reward_model.ground_truth": "The gold answer as text.",
    "extra_info": "What reasonledger.rewards.compute_score needs to call the record's own verifier.",
    "extra_info.split": "train or val.",
    "extra_info.index": "Row index within the split.",
    "extra_info.record_id": "Id of the record the row was exported from.",
    "extra_info.verifier": "Verifier id.",
    "extra_info.verifier_config_json": "Verifier configuration, JSON text.",
    "extra_info.reference_json": "The full reference, JSON text.",
    "answer": "The gold answer as text.",
    "solution": "The gold answer as text (the column TRL's accuracy_reward reads).",
    "reference": "The full reference, JSON text.",
    "trl_grpo:verifier": "Verifier id.",
    "verifier_config": "Verifier configuration, JSON text.",
    "record_id": "Id of the record the row was exported from.",
    "input": "The prompt as chat messages (OpenRLHF's --data.input_key).",
    "input.role": "Message role.",
    "input.content": "Message text.",
    "label": "JSON text with the verifier, its config and the reference (OpenRLHF's --data.label_key).",
    "messages": "The chat: the prompt's messages, then the assistant's response.",
    "messages.role": "Message role.",
    "messages.content": "Message text.",
    "chosen": "The preferred response, as one assistant message.",
    "chosen.role": "Message role (assistant).",
    "chosen.content": "Message text.",
    "rejected": "The dispreferred response, as one assistant message.",
    "rejected.role": "Message role (assistant).",
    "rejected.content": "Message text.",
    "rollout_set": "Id of the rollout set the row came from (null when none).",
    "rollout_index": "Index of the rollout within its set (null when none).",
    "chosen_rollout": "Index of the chosen rollout within its set.",
    "rejected_rollout": "Index of the rejected rollout within its set.",
    "completions": "The steps of the trace, in order.",
    "labels": "Whether each step is correct.",
    "label_sources": "Who labelled each step: programmatic, model, human, dataset.",
}
# the tool-call members of a chat message, in the records' prompt and in an agent's conversation
DESCRIPTIONS.update({f"{column}.{member}": text for column in ("prompt_messages", "messages") for member, text in {
    "tool_calls": "The tool calls of an assistant turn.",
    "tool_calls.id": "The call's id.",
    "tool_calls.type": "Always `function`.",
    "tool_calls.function": "The function called.",
    "tool_calls.function.name": "The tool's name.",
    "tool_calls.function.arguments": "The call's arguments as the model wrote them, JSON text.",
    "tool_call_id": "The call a tool turn answers.",
    "name": "The tool that answered (tool turns).",
}.items()})
_SAMPLE_ROWS = 200


def describe_column(config: str, path: str) -> str:
    """The description of a column, or a plain statement of its name when none is written."""
    return DESCRIPTIONS.get(f"{config}:{path}") or DESCRIPTIONS.get(path) or f"Column {path} (not described)."


def _data_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "sc:Boolean"
    if pa.types.is_integer(kind):
        return "sc:Integer"
    if pa.types.is_floating(kind):
        return "sc:Float"
    return "sc:Text"


def _schema(root: Path, config: Config) -> pa.Schema:
    """The columns of a config, from the Parquet footer or the first JSON lines of its first file."""
    first = sorted(root.glob(config.paths[0]))[0]
    if first.suffix == ".parquet":
        return pq.read_schema(first)
    rows = []
    with first.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) == _SAMPLE_ROWS:
                break
    return pa.Table.from_pylist(rows).schema


def _field(config: Config, fileset: str, column: str, path: str, kind: pa.DataType) -> dict[str, Any]:
    """One field; a struct (or list of structs) gets a sub-field per member, read by JSON path."""
    field: dict[str, Any] = {"@type": "cr:Field", "@id": f"{config.name}/{path.replace('.', '/')}",
                             "name": path.rsplit(".", 1)[-1], "description": describe_column(config.name, path)}
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        field["repeated"] = True
        kind = kind.value_type
    if pa.types.is_struct(kind):
        field["subField"] = [_field(config, fileset, column, f"{path}.{kind.field(i).name}", kind.field(i).type)
                             for i in range(kind.num_fields)]
        return field
    source: dict[str, Any] = {"fileSet": {"@id": fileset}, "extract": {"column": column}}
    if path != column:
        source["transform"] = {"jsonPath": path.split(".", 1)[1]}
    return {**field, "dataType": _data_type(kind), "source": source}


def _distribution(card: dict[str, Any], root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One FileSet and one RecordSet per config (records, each export); the data manifest, which
    lists every shard with its sha256, as a checked FileObject."""
    manifest = f"{card['manifest']['data'].get('directory', 'data')}/manifest.json"
    files: list[dict[str, Any]] = [{
        "@type": "cr:FileObject", "@id": "data-manifest", "name": "data-manifest", "contentUrl": manifest,
        "encodingFormat": "application/json", "sha256": sha256_file(root / manifest),
        "description": "The record shards with their rows and sha256."}]
    record_sets = []
    for config in release_configs(card):
        fileset = f"{config.name}-files"
        files.append({"@type": "cr:FileSet", "@id": fileset, "name": fileset, "encodingFormat": config.encoding,
                      "includes": config.paths, "description": "; ".join(f"{split}: {path}" for split, path in config.splits)})
        schema = _schema(root, config)
        record_set: dict[str, Any] = {
            "@type": "cr:RecordSet", "@id": config.name, "name": config.name,
            "description": (f"The {config.rows:,} released records." if config.name == DATA_CONFIG else
                            f"The {config.name} export: {config.rows:,} rows over {len(config.splits)} split(s)."),
            "field": [_field(config, fileset, name, name, schema.field(name).type) for name in schema.names]}
        if "id" in schema.names and config.name == DATA_CONFIG:
            record_set["key"] = {"@id": f"{DATA_CONFIG}/id"}
        record_sets.append(record_set)
    return files, record_sets

def to_croissant(card: dict[str, Any], root: Path) -> dict[str, Any]:
    """The Croissant of the release whose root (data/, exports/, card/) is `root`, where croissant.json
    is written: its FileSets name files relative to it, as a reader resolves them."""
    files, record_sets = _distribution(card, root)
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
