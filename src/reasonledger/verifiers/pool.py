"""The cached verifier pool: verifier instances by (name, config), bounded, run in batches through
the run's verdict cache. A step keeps one per worker process (`construct.verify.open_pool`); the
trainer rewards and `reaudit` keep one per process too."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from reasonledger.records.model import Record, Verdict, json_digest
from reasonledger.verifiers.base import Verifier, stamped
from reasonledger.verifiers.policy import check_operator_limits, verifier_config
from reasonledger.verifiers.registry import get_verifier
from reasonledger.verifiers.verdict_cache import VerdictCache, verdict_key


class VerifierPool:
    """Verifier instances by (name, config), and the batched, cached way to run them.

    An instance's config is the operator's limits (user config file) with what the row and the step
    ask for on top, clamped by `verifiers.policy` so that data only ever tightens a limit. Rows with
    many distinct configs cannot start a pool each: at most `MAX_OPEN` instances that have run keep
    their sandboxes or worker processes (the least recently run is closed), and at most `MAX_KEPT`
    instances are kept at all, so rows that cycle through a few configs reuse theirs."""

    MAX_OPEN = 8
    MAX_KEPT = 256

    def __init__(self, name: str | None, config: dict[str, Any], cache_path: Path | None) -> None:
        check_operator_limits()  # a broken operator config stops here, not as an error on every row
        self.name, self.config = name, config
        self._instances: OrderedDict[str, Verifier] = OrderedDict()
        self._open: OrderedDict[int, Verifier] = OrderedDict()  # those that ran: they may hold processes
        self._versions: dict[str, str] = {}
        self.cache = VerdictCache(cache_path) if cache_path else None

    def for_record(self, record: Record) -> Verifier:
        spec = record.task.verifier
        if self.name is None and spec is None:
            raise ValueError("record names no verifier and none was given")
        name = self.name or spec.name
        return self.get(name, self.config if self.name else {**(spec.config if spec else {}), **self.config})

    def get(self, name: str, asked: dict[str, Any]) -> Verifier:
        """The kept instance of `name` for the config `asked` (clamped by the operator's limits), made
        if it is new; the least recently used beyond `MAX_KEPT` is closed."""
        config = verifier_config(name, asked)
        key = f"{name}:{json_digest(config)}"
        verifier = self._instances.pop(key, None)
        if verifier is None:
            try:
                verifier = get_verifier(name, **config)
            except TypeError as exc:  # an option the verifier does not take: this row's problem only
                raise ValueError(f"{name} verifier config: {exc}") from None
            self._versions[verifier.id] = verifier.version
        self._instances[key] = verifier
        if len(self._instances) > self.MAX_KEPT:
            _, old = self._instances.popitem(last=False)
            self._open.pop(id(old), None)
            old.close()  # a batch still holding it may open it again: `release` then counts it
        return verifier

    def release(self, verifier: Verifier) -> None:
        """After `verifier` ran its share of a batch: keep at most MAX_OPEN verifiers that have run open."""
        self._open.pop(id(verifier), None)
        self._open[id(verifier)] = verifier
        while len(self._open) > self.MAX_OPEN:
            _, old = self._open.popitem(last=False)
            old.close()

    def check(self, jobs: list[tuple[Verifier, Any, str, str]]) -> list[Verdict]:
        """The verdict on each (verifier, reference, response, target) job's whole response, in order."""
        return [verdicts[-1] for verdicts in self.check_parts(jobs)]

    def check_parts(self, jobs: list[tuple[Verifier, Any, str, str]]) -> list[list[Verdict]]:
        """Every verdict of each job, in order: those on parts of its response (a rubric's items, for a
        verifier that judges parts) first, the one on the whole last, stamped with the job's target
        (`stamped`). Each verifier's misses go through its `verdicts_many` in one batch so parallel
        verifiers stay busy; a verifier giving a pair no verdict, or a count other than the pairs', is
        an error, never verdicts shifted onto other jobs."""
        results: list[list[Verdict]] = [[] for _ in jobs]
        keys = [verdict_key(ref, resp, v.id, v.version, v.config_hash) for v, ref, resp, _ in jobs]
        misses: dict[int, list[int]] = {}
        for i, (verifier, _, _, _) in enumerate(jobs):
            cached = self.cache.get(keys[i]) if self.cache else None
            if cached is None:
                misses.setdefault(id(verifier), []).append(i)
            else:
                results[i] = cached
        fresh = []
        for indices in misses.values():
            verifier = jobs[indices[0]][0]
            checked = list(verifier.verdicts_many([(jobs[i][1], jobs[i][2]) for i in indices]))
            if len(checked) != len(indices) or not all(checked):
                raise RuntimeError(f"verifier {verifier.id}@{verifier.version} gave {len(checked)} results, "
                                   f"{sum(map(bool, checked))} with verdicts, for {len(indices)} responses: "
                                   "its verdicts_many must give each pair its verdicts, in order")
            for i, verdicts in zip(indices, checked):
                results[i] = verdicts
                fresh.append((keys[i], verdicts))
            self.release(verifier)
        if self.cache and fresh:
            self.cache.put_many(fresh)
        return [stamped(verdicts, jobs[i][3]) for i, verdicts in enumerate(results)]

    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def close(self) -> None:
        """Close every verifier instance (their sandboxes and worker processes) and the verdict cache."""
        for verifier in self._instances.values():
            verifier.close()
        self._instances.clear()
        self._open.clear()
        if self.cache is not None:
            self.cache.close()
            self.cache = None
