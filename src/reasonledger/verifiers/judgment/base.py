"""What every judgment verifier shares: its spec as its config, the template and its grammar, the
client, and how one reply becomes a label (a strict majority of the n samples, or parse_failure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.judgment.client import JudgeClient, Reply
from reasonledger.verifiers.judgment.grammar import PARSE_FAILURE, Parsed
from reasonledger.verifiers.judgment.spec import JudgeSpec

_KEEP = 4_000  # characters of a judge's output kept in a verdict's evidence


@dataclass(frozen=True)
class Judged:
    """A reply read through the grammar: the label, its value, and the reply it came from."""

    label: str
    value: str | None
    reply: Reply
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.label == PARSE_FAILURE


class JudgmentVerifier(Verifier):
    """Base class: subclasses set `Spec` (a JudgeSpec with their own fields) and implement `verify_many`."""

    family = "judgment"
    label_source = "judge"
    Spec: ClassVar[type[JudgeSpec]] = JudgeSpec
    card_fields: ClassVar[dict[str, Any]] = {}  # a subclass's card: its formats, native signal, known errors

    def __init__(self, **config: Any) -> None:
        self.spec = self.Spec(**config)
        super().__init__(**self.spec.model_dump(mode="json"))
        self.template = self.spec.loaded_template()
        self.client = JudgeClient(self.spec)

    def verify(self, reference: Any, response: str):  # type: ignore[no-untyped-def]
        return self.verify_many([(reference, response)])[0]

    def read(self, reply: Reply, template: Any = None) -> Judged:
        """The reply's label by the template's grammar: the strict majority of its samples."""
        grammar = (template or self.template).grammar
        if reply.error is not None:
            return Judged(PARSE_FAILURE, None, reply, f"no reply: {reply.error}")
        parsed: list[Parsed] = [grammar.parse(text) for text in reply.texts]
        if not parsed:
            return Judged(PARSE_FAILURE, None, reply, "the backend returned no sample")
        label, count = Counter(p.label for p in parsed).most_common(1)[0]
        if count * 2 <= len(parsed):
            return Judged(PARSE_FAILURE, None, reply, f"no strict majority among {len(parsed)} samples")
        first = next(p for p in parsed if p.label == label)
        return Judged(label, first.value, reply, first.problem)

    def ask(self, conversations: Sequence[list[dict[str, str]]], template: Any = None,
            max_tokens: int | None = None) -> list[Judged]:
        return [self.read(reply, template) for reply in self.client.ask(conversations, max_tokens)]

    def identity(self, template: Any = None) -> dict[str, Any]:
        """Which judge and template a verdict came from: model, revision, template id and its hash."""
        template = template or self.template
        return {"model": self.spec.model, "revision": self.spec.revision, "template": template.id,
                "template_sha256": template.sha256}

    def evidence(self, judged: Judged | None, template: Any = None) -> dict[str, Any]:
        """What a verdict carries about the call: the judge's identity, request hash, output."""
        out = self.identity(template)
        if judged is None:
            return {**out, "request": None, "calls": 0}
        reply = judged.reply
        out.update(request=reply.request, label=judged.label, served_model=reply.model,
                   judge_output=[t[:_KEEP] for t in reply.texts], finish_reason=list(reply.finish_reasons),
                   usage=list(reply.usage), cached=reply.cached, calls=1)
        if judged.problem:
            out["problem"] = judged.problem
        return out

    def close(self) -> None:
        self.client.close()

    def card(self) -> dict[str, Any]:
        card = super().card()
        card.update(label_source=self.label_source, template={"id": self.template.id, "sha256": self.template.sha256,
                                                              "about": self.template.about,
                                                              "grammar": self.template.grammar.describe()},
                    cost=self.client.cost(),
                    operator_consent=("named by a data row, a recipe or a recorded verdict, it runs only when the "
                                      "operator's config file allows it: limits: {judgment: {allow: true, max_calls: "
                                      "N}} (backends: default openai; models: default any); max_calls bounds the "
                                      "judge requests of a run, for every judge"), **self.card_fields)
        return card


__all__ = ["Judged", "JudgmentVerifier"]
