"""Fold the output of `reasonledger audit` (audit/audit.json in a run) into the card.

The audit format belongs to the quality package and may grow; this reader takes what it can
name (benchmarks, revisions, methods, counts) and keeps every other section as a short summary
of its scalar values, so a new audit section never breaks a card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonledger.cards.overrides import UNKNOWN
from reasonledger.engine.rundir import RunDir
from reasonledger.quality.audit import SECTIONS as AUDIT_SECTIONS
from reasonledger.records.parquet import sha256_file

AUDIT_FILE = "audit.json"  # in the run's audit folder, or (written by hand) at its root
SECTIONS = (*AUDIT_SECTIONS, "config")
_COUNT_KEYS = ("flagged", "contaminated", "n_flagged", "hits", "matches", "duplicates", "pairs", "clusters", "count")


class AuditError(ValueError):
    """An audit file that exists but cannot be read: said with its path and what to do."""


def find_audit(run_dir: Path) -> Path | None:
    run = RunDir(run_dir)
    for path in (run.audit / AUDIT_FILE, run.root / AUDIT_FILE):
        if path.is_file():
            return path
    return None


def load_audit(run_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    path = find_audit(run_dir)
    if path is None:
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AuditError(f"{path}: not valid JSON ({exc}); re-run `reasonledger audit` or remove the file") from None
    if not isinstance(doc, dict):
        raise AuditError(f"{path}: expected a JSON object with one key per audit section")
    return path, doc


def _count(entry: Any) -> Any:
    if isinstance(entry, list):
        return len(entry)
    if isinstance(entry, dict):
        for key in _COUNT_KEYS:
            if key in entry:
                value = entry[key]
                return len(value) if isinstance(value, list) else value
    return UNKNOWN


def scalars(section: Any, limit: int = 12) -> dict[str, Any]:
    """The scalar values of a section (lists reported by length), for checklists and diffs."""
    if not isinstance(section, dict):
        return {"value": section} if isinstance(section, (int, float, str, bool)) else {"items": _count(section)}
    out: dict[str, Any] = {}
    for key, value in section.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        elif isinstance(value, list):
            out[key] = f"{len(value)} item(s)"
        if len(out) >= limit:
            break
    return out


def contamination(section: Any) -> dict[str, Any]:
    """Benchmarks checked, at which revision, by which method, and how many records each flagged."""
    info = section if isinstance(section, dict) else {}
    method = info.get("method", UNKNOWN)
    if str(method).strip().lower() == "not run":
        return {"status": "not_run", "reason": str(info.get("reason", "")), "method": UNKNOWN,
                "benchmarks": UNKNOWN, "flagged": UNKNOWN}
    raw = info.get("benchmarks", section) if isinstance(section, dict) else section
    entries: list[tuple[str | None, Any]]
    if isinstance(raw, dict):
        entries = [(name, value) for name, value in raw.items() if isinstance(value, (dict, list))]
    elif isinstance(raw, list):
        entries = [(None, value) for value in raw]
    else:
        entries = []
    benchmarks = []
    for name, entry in entries:
        item = entry if isinstance(entry, dict) else {}
        benchmarks.append({
            "name": str(item.get("name") or item.get("benchmark") or name or UNKNOWN),
            "revision": str(item.get("revision") or UNKNOWN),
            "method": str(item.get("method") or method),
            "flagged": _count(entry),
        })
    total = info.get("flagged")
    if not isinstance(total, int):
        total = sum(b["flagged"] for b in benchmarks if isinstance(b["flagged"], int)) if benchmarks else UNKNOWN
    found = {"status": "run", "method": method, "benchmarks": benchmarks or UNKNOWN, "flagged": total}
    for key in ("records_checked", "policy", "by_relation"):
        if key in info:
            found[key] = info[key]
    return found


def duplicates(section: Any) -> dict[str, Any]:
    info = section if isinstance(section, dict) else {}
    found = {"status": "run", "method": str(info.get("method", UNKNOWN)), "flagged": _count(section),
             "summary": scalars(section)}
    if "threshold" in info:
        found["threshold"] = info["threshold"]
    return found


def fold(run_dir: Path) -> dict[str, Any] | None:
    """The audit as the card sees it, or None when the run has not been audited."""
    loaded = load_audit(run_dir)
    if loaded is None:
        return None
    path, doc = loaded
    sections = {name: scalars(doc[name]) for name in SECTIONS if name in doc}
    extra = sorted(k for k, v in doc.items() if k not in SECTIONS and isinstance(v, dict))
    return {
        "path": str(path.relative_to(run_dir)),
        "sha256": sha256_file(path),
        "sections": sections,
        "not_run": [name for name in SECTIONS if name not in doc],
        "other_sections": extra,
        "contamination": contamination(doc["contamination"]) if "contamination" in doc else None,
        "near_duplicates": duplicates(doc["near_duplicates"]) if "near_duplicates" in doc else None,
        "exact_duplicates": duplicates(doc["exact_duplicates"]) if "exact_duplicates" in doc else None,
        "difficulty": doc["difficulty"] if isinstance(doc.get("difficulty"), dict)
        and doc["difficulty"].get("applicable", True) else None,
        "lineage_completeness": doc.get("lineage_completeness"),
    }
