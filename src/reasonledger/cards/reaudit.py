"""`reaudit DATA --card card.json`: check a released dataset against its card.

Two checks: the manifest (every shard present with the card's sha256 and row count, no extra
shard) and the verdicts (each record's recorded verdicts re-run through the same verifier at the
same config; a record whose content no longer matches its id is reported too). Verdicts from
verifiers that are not registered here, or whose config cannot be recovered from the record,
are counted as not re-runnable, never as disagreements.

A recorded config comes from whoever wrote the data, so it is replayed only through
`policy.clamp_data_config`: it may tighten the operator's limits, never raise them (verdicts re-run
under a clamped config are counted). A shard that cannot be read (missing, truncated, not Parquet)
is a finding naming the shard and the reason; the other shards are still read and checked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reasonledger.cards.verifier_cards import stamped_config_hash
from reasonledger.records.arrow import row_to_record
from reasonledger.records.io import data_path
from reasonledger.records.model import Record, Verdict, canonical_json
from reasonledger.records.parquet import sha256_file
from reasonledger.records.targets import gold_candidate, is_part, targets, whole_target
from reasonledger.verifiers import Verifier, get_verifier, verifier_class
from reasonledger.verifiers.judgment.consent import judgment_refusal
from reasonledger.verifiers.policy import clamp_data_config
from reasonledger.verifiers.pool import VerifierPool

SCORE_TOLERANCE = 1e-9
BATCH = 512


@dataclass
class Finding:
    check: str  # "manifest", "record" or "verdict"
    where: str
    detail: str


class _Rerun:
    """Collects re-runnable verdicts, runs them in batches per verifier, compares with the recorded ones."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.pool = VerifierPool(None, {}, None)
        self.verifiers: dict[tuple[str, str], Verifier] = {}
        self.jobs: list[tuple[Verifier, Any, str, str]] = []
        self.recorded: list[tuple[str, str, list[Verdict]]] = []  # per job: (record id, shard, verdicts it re-judges)
        self.counts: Counter[str] = Counter()

    def _verifier(self, record: Record, verdict: Verdict) -> Verifier | str:
        """The verifier that made `verdict`, at its config; or why it cannot be re-run."""
        try:
            cls = verifier_class(verdict.verifier)
        except KeyError:
            return "verifier not registered here"
        spec = record.task.verifier
        # the row's config as written, or as a pool that clamps data configs ran it
        candidates = [spec.config, clamp_data_config(verdict.verifier, spec.config)] \
            if spec is not None and spec.name == verdict.verifier else []
        config = next((c for c in candidates + [{}]
                       if stamped_config_hash(verdict.verifier, c) == verdict.config_hash), None)
        if config is None:
            return "config not recoverable from the record"
        allowed = clamp_data_config(verdict.verifier, config)
        refusal = judgment_refusal(verdict.verifier, allowed)
        if refusal is not None:  # a model judge is re-asked only with the operator's consent
            return refusal.split(":", 1)[0] + " (limits.judgment in your config file)"
        if allowed != config:
            self.counts["config_clamped"] += 1
        key = (verdict.verifier, canonical_json(allowed))
        if key not in self.verifiers:
            self.verifiers[key] = get_verifier(verdict.verifier, **allowed)
        if cls.version != verdict.version:
            self.counts["version_changed"] += 1
        return self.verifiers[key]

    def add(self, record: Record, shard: str) -> None:
        """Queue a re-run of each check a verdict on `record` came from: one job per verifier and whole
        response, which re-judges the verdicts on its parts (a rubric's items) with it."""
        responses = dict(targets(record))
        gold = gold_candidate(record)  # what gold_check ran: the reference's answer, an example, a solution
        if gold is not None:
            responses["reference"] = gold[1]
        queued: dict[tuple[int, str], int] = {}  # (verifier, whole target) -> its job
        for verdict in record.verdicts:
            whole = whole_target(verdict.target)
            verifier = self._verifier(record, verdict)
            response = responses.get(whole)
            if isinstance(verifier, str) or response is None:
                reason = verifier if isinstance(verifier, str) else f"target {verdict.target} has no response to re-check"
                self.counts[f"not re-runnable: {reason}"] += 1
                continue
            job = queued.setdefault((id(verifier), whole), len(self.jobs))
            if job == len(self.jobs):
                self.jobs.append((verifier, record.task.reference, response, whole))
                self.recorded.append((record.id, shard, []))
            self.recorded[job][2].append(verdict)
        if len(self.jobs) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for (record_id, shard, olds), news in zip(self.recorded, self.pool.check_parts(self.jobs)):
            by_target = {v.target: v for v in news}
            for old in olds:
                self.counts["rerun"] += 1
                new = by_target.get(old.target)
                if new is not None and old.passed == new.passed and abs(old.score - new.score) <= SCORE_TOLERANCE:
                    self.counts["agree"] += 1
                    continue
                self.counts["disagree"] += 1
                said = "gave no verdict on it" if new is None else (
                    f"says passed={new.passed} score={new.score} ({new.evidence.get('reason') or 'no reason given'})")
                self.findings.append(Finding("verdict", f"{shard} record {record_id} {old.target}",
                                             f"{old.verifier}@{old.version}: card says passed={old.passed} "
                                             f"score={old.score}, re-run {said}"))
        self.jobs, self.recorded = [], []


def _last_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[-1].strip()


def _unreadable(path: Path, exc: Exception, findings: list[Finding], after: int = 0) -> None:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    read, rest = (f" after {after:,} rows", "its other") if after else ("", "its")
    findings.append(Finding("shard", path.name, f"cannot be read as Parquet{read} ({type(exc).__name__}: {reason}); "
                                                f"{rest} records were not checked"))


def _check_manifest(data_dir: Path, card: dict[str, Any], findings: list[Finding]) -> list[Path]:
    """Shards present with the card's sha256 and row count; returns the shards whose footer reads."""
    shards = card["manifest"]["data"]["shards"]
    listed = {s["file"] for s in shards}
    present = []
    for shard in shards:
        path = data_dir / shard["file"]
        if not path.is_file():
            findings.append(Finding("manifest", shard["file"], "missing: the card lists it, the data has no such file"))
            continue
        digest = sha256_file(path)
        if digest != shard["sha256"]:
            findings.append(Finding("manifest", shard["file"], f"sha256 {digest} differs from the card's {shard['sha256']}"))
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (OSError, pa.ArrowException) as exc:
            _unreadable(path, exc, findings)
            continue
        present.append(path)
        if rows != shard["rows"]:
            findings.append(Finding("manifest", shard["file"], f"{rows:,} rows, the card says {shard['rows']:,}"))
    for extra in sorted(p.name for p in data_dir.glob("*.parquet") if p.name not in listed):
        findings.append(Finding("manifest", extra, "not in the card's manifest"))
    return present


def _rows(path: Path, findings: list[Finding]) -> Iterator[dict[str, Any]]:
    """The rows of one shard; a shard that breaks part-way is a finding after the rows it gave."""
    done = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                done += 1
                yield row
    except (OSError, pa.ArrowException) as exc:
        _unreadable(path, exc, findings, done)


def _check_totals(card: dict[str, Any], seen: Counter[tuple[str, str, str, bool]], records: int,
                  findings: list[Finding]) -> None:
    if records != card["records"]:
        findings.append(Finding("record", "data", f"{records:,} readable records, the card says {card['records']:,}"))
    for v in card["recipe"]["verifiers"]:
        key = (v["id"], v["version"], v["config_hash"])
        passed, failed = seen[(*key, True)], seen[(*key, False)]
        if (passed, failed) != (v["passed"], v["failed"]):
            findings.append(Finding("verdict", f"{v['id']}@{v['version']}#{v['config_hash']}",
                                    f"data holds {passed:,} passed / {failed:,} failed verdicts, the card says "
                                    f"{v['passed']:,} / {v['failed']:,}"))


def reaudit(data: Path | str, card: dict[str, Any]) -> dict[str, Any]:
    data_dir = data_path(data)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data}: expected a run directory or its data/ folder of Parquet shards")
    findings: list[Finding] = []
    shards = _check_manifest(data_dir, card, findings)
    rerun = _Rerun(findings)
    seen: Counter[tuple[str, str, str, bool]] = Counter()
    records = 0
    for path in shards:
        for row in _rows(path, findings):
            try:
                record = row_to_record(row)
            except (ValueError, TypeError, KeyError) as exc:
                findings.append(Finding("record", f"{path.name} record {row.get('id')}",
                                        f"content does not match its id or shape: {_last_line(exc)}"))
                continue
            records += 1
            for v in record.verdicts:
                if not is_part(v.target):  # the card counts a rubric's items only through the whole
                    seen[(v.verifier, v.version, v.config_hash, v.passed)] += 1
            rerun.add(record, path.name)
    rerun.flush()
    _check_totals(card, seen, records, findings)
    counts = rerun.counts
    return {
        "ok": not findings,
        "card": card["name"],
        "data": str(data_dir),
        "shards_listed": len(card["manifest"]["data"]["shards"]),
        "shards_checked": len(shards),
        "records": records,
        "verdicts": {"rerun": counts["rerun"], "agree": counts["agree"], "disagree": counts["disagree"],
                     "version_changed": counts["version_changed"], "config_clamped": counts["config_clamped"],
                     "not_rerunnable": {k.removeprefix("not re-runnable: "): n for k, n in sorted(counts.items())
                                        if k.startswith("not re-runnable: ")}},
        "findings": [asdict(f) for f in findings],
    }


def render_reaudit(result: dict[str, Any]) -> str:
    v = result["verdicts"]
    lines = [f"reaudit of {result['data']} against the card of {result['card']}",
             f"  {result['shards_checked']} of {result['shards_listed']} shard(s) read, {result['records']:,} records; "
             f"{v['rerun']:,} verdicts re-run: "
             f"{v['agree']:,} agree, {v['disagree']:,} disagree"
             + (f", {v['version_changed']:,} made by another verifier version" if v["version_changed"] else "")
             + (f", {v['config_clamped']:,} re-run under the operator's limits (their recorded config asked for looser ones)"
                if v["config_clamped"] else "")]
    for reason, n in v["not_rerunnable"].items():
        lines.append(f"  {n:,} verdict(s) not re-runnable: {reason}")
    lines += [f"  [{f['check']}] {f['where']}: {f['detail']}" for f in result["findings"]]
    lines.append("OK: data and verdicts match the card" if result["ok"] else
                 f"FAILED: {len(result['findings'])} finding(s)")
    return "\n".join(lines) + "\n"
