"""What every verifier is: an id, a semantic version, a family, and one call that returns a verdict."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from reasonledger.records.model import Record, Verdict, json_digest
from reasonledger.records.targets import part_target, targets

Family = Literal["programmatic", "environmental", "judgment"]


class Verifier:
    """Base class. Subclasses set `id`, `version`, `family` and implement `verify`.

    `config` holds every knob that can change a verdict; its hash goes into each verdict so a
    verdict cache keyed by (response, id@version, config hash) is never stale.
    """

    id: ClassVar[str]
    version: ClassVar[str]
    family: ClassVar[Family] = "programmatic"
    label_source: ClassVar[str] = "programmatic"

    def __init__(self, **config: Any) -> None:
        self.config = config

    @property
    def config_hash(self) -> str:
        return json_digest(self.config)

    def verify(self, reference: Any, response: str) -> Verdict:
        raise NotImplementedError

    def verify_record(self, record: Record) -> list[Verdict]:
        """Every verdict on one record. By default `verify` on each checkable response it holds (its
        answer, each rollout, chosen and rejected), each verdict stamped with that target; verifiers
        that judge a record as a whole (the environmental family) override it."""
        found = targets(record)
        checks = self.verdicts_many([(record.task.reference, response) for _, response in found])
        return [verdict for (target, _), verdicts in zip(found, checks) for verdict in stamped(verdicts, target)]

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        """Sequential by default; verifiers whose checks are expensive override this to use every core."""
        return [self.verify(reference, response) for reference, response in pairs]

    def verdicts_many(self, pairs: Iterable[tuple[Any, str]]) -> list[list[Verdict]]:
        """Per pair, every verdict the check gives: those on parts of the response first (targets such as
        `rubric:<id>`, from verifiers that judge parts), the one on the whole response last (what
        `verify_many` gives)."""
        return [[verdict] for verdict in self.verify_many(pairs)]

    def close(self) -> None:
        """Release what the verifier holds (worker processes, sandboxes); it may start them again if used."""

    def verdict(self, passed: bool, score: float | None = None, target: str = "answer", **evidence: Any) -> Verdict:
        """Build a verdict stamped with this verifier's id, version and config hash."""
        return Verdict(
            verifier=self.id,
            version=self.version,
            config_hash=self.config_hash,
            target=target,
            score=float(passed) if score is None else float(score),
            passed=bool(passed),
            label_source=self.label_source,
            evidence=evidence,
        )

    def card(self) -> dict[str, Any]:
        """The verifier card: what it checks and how often it is wrong. Subclasses extend it."""
        return {
            "id": self.id,
            "version": self.version,
            "family": self.family,
            "config": self.config,
            "checks": (self.__doc__ or "").strip().splitlines()[0] if self.__doc__ else "",
        }


def stamped(verdicts: list[Verdict], whole: str) -> list[Verdict]:
    """A check's verdicts (`verdicts_many`) on the response `whole` names, stamped with their targets
    there: the last, on the whole response, with `whole`; those on its parts with `part_target`."""
    *parts, last = verdicts
    return [*(v.model_copy(update={"target": part_target(whole, v.target)}) for v in parts),
            last.model_copy(update={"target": whole})]
