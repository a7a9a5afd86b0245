"""Per-source accounting: every record counted from read to released, per source dataset and
reasoning-gym task family, with its drops by step and reason, and the loss floor a build must clear.

Whole sets must never vanish unnoticed: a unit (a source dataset, or a reasoning-gym family) that
loses more than the recipe's `max_loss` share fails the build with a message naming it, unless the
recipe's `allow_loss` allows that much for it by name; a recipe source that gives no row at all has
lost everything; a build that releases nothing fails too.

Stage 0 counts what each shard read and quarantined per recipe source (`SourceReads`, kept in the
shard's marker, so a resumed build keeps them); the final pass counts what was released and rejected.
The summary goes into the run log (`accounting` event), from which the card shows the funnel.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonledger.engine.recipe import RecipeError
from reasonledger.records.model import Record, json_digest
from reasonledger.records.quarantine import BadRow

Unit = tuple[str, str | None]  # (source dataset, reasoning-gym task family or None)


class LossError(RecipeError):
    """The build lost more than the recipe allows, or released nothing. A recipe error because the
    remedy is in the recipe: fix the source or step, or allow the loss by name (`allow_loss`)."""


def unit_of(record: Record) -> Unit:
    return record.task.source.dataset, record.meta.get("task_family")


@dataclass
class SourceReads:
    """What one stage-0 shard read, per (recipe source, unit), and quarantined, per (recipe source, file)."""

    read: Counter[tuple[int, str, str | None]] = field(default_factory=Counter)
    quarantined: Counter[tuple[int, str]] = field(default_factory=Counter)

    def add_read(self, source: int, record: Record) -> None:
        self.read[(source, *unit_of(record))] += 1

    def add_quarantined(self, source: int, bad: BadRow) -> None:
        self.quarantined[(source, bad.file)] += 1

    def to_json(self) -> dict[str, list[list[Any]]]:
        return {"read": [[*key, n] for key, n in sorted(self.read.items(), key=lambda kv: str(kv[0]))],
                "quarantined": [[*key, n] for key, n in sorted(self.quarantined.items())]}

    @classmethod
    def from_json(cls, value: dict[str, list[list[Any]]]) -> "SourceReads":
        return cls(Counter({(s, dataset, family): n for s, dataset, family, n in value["read"]}),
                   Counter({(s, file): n for s, file, n in value["quarantined"]}))


def _task_key(record: Record) -> int:
    """The task a record is about (its prompt and reference), as 64 bits."""
    prompt = record.task.prompt if isinstance(record.task.prompt, str) else [m.model_dump() for m in record.task.prompt]
    return int(json_digest([prompt, record.task.reference]), 16)


def _name(index: int, described: dict[str, Any]) -> str:
    return str(described.get("dataset") or described.get("path") or f"{described.get('type', 'source')} #{index}")


def _share(lost: int, of: int) -> float:
    return round(max(lost, 0) / of, 4) if of else 0.0


@dataclass
class Ledger:
    """Counts per unit: read (with the recipe source that read it), quarantined, dropped, released
    (records, and distinct tasks: what a unit's loss is measured in)."""

    read: Counter[Unit] = field(default_factory=Counter)
    read_by: dict[Unit, int] = field(default_factory=dict)
    quarantined: Counter[tuple[int, str]] = field(default_factory=Counter)
    dropped: dict[Unit, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    released: Counter[Unit] = field(default_factory=Counter)
    # Distinct tasks released per unit: steps that derive records (a trace, a preference pair from a
    # rollout set) release several per task read, so a unit's loss is counted in tasks, not records.
    tasks: dict[Unit, set[int]] = field(default_factory=lambda: defaultdict(set))
    gold: dict[Unit, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def from_markers(cls, markers: Iterable[Path]) -> "Ledger":
        """A ledger holding what stage 0 read, from its shard markers (their `sources`)."""
        ledger = cls()
        for marker in markers:
            ledger.add_reads(SourceReads.from_json(json.loads(marker.read_text())["sources"]))
        return ledger

    def add_reads(self, reads: SourceReads) -> None:
        """Take in what one stage-0 shard read and quarantined."""
        for (source, dataset, family), n in reads.read.items():
            self.read[(dataset, family)] += n
            self.read_by.setdefault((dataset, family), source)
        self.quarantined.update(reads.quarantined)

    def count_released(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            unit = unit_of(record)
            self.released[unit] += 1
            self.tasks[unit].add(_task_key(record))
            if "gold" in record.meta:
                self.gold[unit][str(record.meta["gold"])] += 1
            yield record

    def count_rejected(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            rejection = record.meta.get("rejection") or {}
            self.dropped[unit_of(record)][f"{rejection.get('step', '?')}: {rejection.get('reason', '?')}"] += 1
            yield record

    def summary(self, sources: list[dict[str, Any]], max_loss: float, allow_loss: dict[str, float]) -> dict[str, Any]:
        """The funnel per unit and per recipe source, the losses allowed, and what fails the build."""
        names = [_name(i, d) for i, d in enumerate(sources)]
        units = self._units(sources)
        rows, failures = [], []
        for unit, source in units:
            dataset, family = unit
            quarantined = self.quarantined.get((source, f"{sources[source].get('type')}:{family}"), 0) \
                if source is not None and family else 0
            read, kept = self.read[unit], len(self.tasks[unit])
            row = {"source": source, "dataset": dataset, "family": family, "read": read, "quarantined": quarantined,
                   "dropped": dict(sorted(self.dropped[unit].items())), "released": self.released[unit],
                   "released_tasks": kept, "gold": dict(sorted(self.gold[unit].items())),
                   "loss": _share(read + quarantined - kept, read + quarantined)}
            rows.append(_judge(row, [family, dataset], max_loss, allow_loss, failures))
        by_source = []
        for index, described in enumerate(sources):
            mine = [r for r in rows if r["source"] == index]
            quarantined = sum(n for (s, _), n in self.quarantined.items() if s == index)
            read, kept = sum(r["read"] for r in mine), sum(r["released_tasks"] for r in mine)
            dropped: Counter[str] = Counter()
            for r in mine:
                dropped.update(r["dropped"])
            # A source that gave no row at all (a file of blank lines, a Parquet file without rows) lost
            # everything it was meant to give: its loss is whole, not a share of nothing.
            whole = read + quarantined
            row = {"source": index, "name": names[index], "type": described.get("type"), "read": read,
                   "quarantined": quarantined, "dropped": dict(sorted(dropped.items())),
                   "released": sum(r["released"] for r in mine), "released_tasks": kept,
                   "loss": _share(whole - kept, whole) if whole else 1.0}
            # Without an allowance of its own, a source may lose what its units may; a unit over its limit
            # already names the cause, so the source repeats no failure (its own check is for quarantine).
            inherited = max([r["limit"] for r in mine], default=max_loss)
            report = failures if not any(r["status"] == "over_limit" for r in mine) else []
            by_source.append(_judge(row, [names[index]], max_loss, allow_loss, report, max(max_loss, inherited)))
        matched = {r["allowed_by"] for r in [*rows, *by_source] if r.get("allowed_by")}
        allowed = [{"name": name, "allow_loss": share,
                    "applies_to": [r.get("family") or r.get("dataset") or r.get("name")
                                   for r in [*rows, *by_source] if r.get("allowed_by") == name],
                    "loss": max([r["loss"] for r in [*rows, *by_source] if r.get("allowed_by") == name], default=0.0)}
                   for name, share in sorted(allow_loss.items())]
        released = sum(self.released.values())
        if released == 0:
            failures.append(self._empty_message())
        return {"status": "recorded", "max_loss": max_loss, "allowed_losses": allowed,
                "unused_allowances": sorted(set(allow_loss) - matched), "sources": by_source, "units": rows,
                "gold_unchecked": sum(g.get("unchecked", 0) for g in self.gold.values()), "released": released,
                "failures": failures}

    def _units(self, sources: list[dict[str, Any]]) -> list[tuple[Unit, int | None]]:
        """Every unit seen anywhere, and every reasoning-gym family a source declared (a family whose
        rows were all quarantined was never read, and must still be counted)."""
        seen: dict[Unit, int | None] = {}
        for index, described in enumerate(sources):
            for task in described.get("tasks") or []:
                family = task["name"] if isinstance(task, dict) else str(task)
                if not any(u[1] == family and s == index for u, s in self.read_by.items()):
                    seen[(f"{described.get('dataset', described.get('type'))}/{family}", family)] = index
        for unit in [*self.read, *self.dropped, *self.released]:
            seen.setdefault(unit, self.read_by.get(unit))
        return sorted(seen.items(), key=lambda kv: (kv[1] if kv[1] is not None else len(sources), kv[0][0], kv[0][1] or ""))

    def _empty_message(self) -> str:
        drops: Counter[str] = Counter()
        for reasons in self.dropped.values():
            drops.update(reasons)
        why = ", ".join(f"{reason} {n:,}" for reason, n in drops.most_common()) or "no drops recorded"
        return (f"the build released 0 records (read {sum(self.read.values()):,}, quarantined "
                f"{sum(self.quarantined.values()):,}; dropped: {why}); no trainer export was written. Every dropped "
                "record is kept with its reason under rejected/, every unreadable row in rejected/quarantine.jsonl")


def _judge(row: dict[str, Any], names: list[str | None], max_loss: float, allow_loss: dict[str, float],
           failures: list[str], default_limit: float | None = None) -> dict[str, Any]:
    """Mark a funnel row ok, allowed (by which allow_loss entry) or over its limit (and say why).
    The limit is the allowance naming the row, else `default_limit` (else max_loss)."""
    allowed_by = next((n for n in names if n is not None and n in allow_loss), None)
    limit = allow_loss[allowed_by] if allowed_by else default_limit if default_limit is not None else max_loss
    row["limit"] = limit
    if allowed_by:
        row["allowed_by"] = allowed_by
    if row["loss"] <= max_loss:
        row["status"] = "ok"
    elif row["loss"] <= limit:
        row["status"] = "allowed"
    else:
        row["status"] = "over_limit"
        failures.append(_loss_message(row, names, limit, allowed_by))
    return row


def _loss_message(row: dict[str, Any], names: list[str | None], limit: float, allowed_by: str | None) -> str:
    name = next(n for n in names if n is not None)
    whole = row["read"] + row["quarantined"]
    if not whole:
        return (f"{name} gave no rows at all (nothing read, nothing quarantined), so the whole source is lost. "
                f"Check its path and format, or allow it in the recipe: `allow_loss: {{{name}: 1.00}}` "
                "(then rebuild with --force)")
    lost = whole - row["released_tasks"]
    drops = ", ".join(f"{reason} {n:,}" for reason, n in sorted(row.get("dropped", {}).items(), key=lambda kv: -kv[1]))
    causes = "; ".join(part for part in (drops, f"quarantined {row['quarantined']:,}" if row["quarantined"] else "") if part)
    limit_text = f"allow_loss {allowed_by}: {limit:.0%}" if allowed_by else f"max_loss {limit:.0%}"
    return (f"{name} lost {lost:,} of its {whole:,} tasks ({row['loss']:.0%}; {causes or 'no drop recorded'}), "
            f"more than {limit_text}. Fix the source or the step that drops them, or allow it in the recipe: "
            f"`allow_loss: {{{name}: {min(1.0, max(row['loss'], 0.0)):.2f}}}` (then rebuild with --force)")


def check(summary: dict[str, Any], card: Path | None = None) -> None:
    """Raise LossError with every failure of a summary, one per line (and where the card shows them)."""
    if summary["failures"]:
        where = [f"The funnel per source is in {card} (section Funnel per source)."] if card else []
        raise LossError("\n".join([*summary["failures"], *where]))


__all__ = ["Ledger", "LossError", "SourceReads", "check", "unit_of"]
