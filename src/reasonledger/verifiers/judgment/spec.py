"""A judge's whole specification, as the verifier config: its hash pins every verdict to it.

Mode, template (id and sha256), judge model and revision, decoding (temperature, max tokens, n,
seed) and the backend that answers (and, for replay or scripted judges, what it answers from) all
live here, so two judges that could give different verdicts never share a config hash, and a
verdict cache keyed by it is never stale. Where the endpoint is and which key it takes are not part
of the judge: they come from the user (`REASONLEDGER_ENDPOINT`, the generation layer's rules).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.verifiers.answers import DEFAULT_RULES, RULES
from reasonledger.verifiers.judgment.templates import Template, load_template


class Decoding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(512, gt=0)
    n: int = Field(1, ge=1, description="samples per question; the verdict is their strict majority")
    seed: int | None = 0


class JudgeSpec(BaseModel):
    """Fields every judgment verifier shares; each verifier adds its own (mode, aggregation, ...)."""

    model_config = ConfigDict(extra="forbid")
    template: str
    template_sha256: str | None = Field(None, description="filled from the shipped template; a different value "
                                        "is refused (the config was written for another prompt)")
    model: str | None = Field(None, description="the judge model as the backend names it; required before any call "
                              "(unset, the verifier can still be listed and carded)")
    revision: str | None = None
    decoding: Decoding = Field(default_factory=Decoding)
    backend: str = "openai"
    backend_options: dict[str, Any] = Field(default_factory=dict, description="what the backend answers from: "
                                            "`replay` files, a `scripted` judge; no endpoints or keys")

    @model_validator(mode="after")
    def _pin_template(self) -> "JudgeSpec":
        self.template_sha256 = pinned_sha256("template_sha256", self.template, self.template_sha256)
        for key in ("endpoint", "api_key_env", "api_key"):
            if key in self.backend_options:
                raise ValueError(f"backend_options.{key}: where the judge runs is the user's setting "
                                 "(REASONLEDGER_ENDPOINT, --api-key-env), not part of the judge's config")
        return self

    def loaded_template(self) -> Template:
        return load_template(self.template)


def pinned_sha256(field: str, template: str, pinned: str | None) -> str:
    """The shipped sha256 of `template`; a config's `field` that pins another (it was written for
    another prompt) is refused."""
    shipped = load_template(template).sha256
    if pinned is not None and pinned != shipped:
        raise ValueError(f"{field}: the config pins {template!r} at {pinned}, the shipped template is {shipped}; "
                         "the prompt changed, so re-measure the judge and update the config")
    return shipped


def template_by(field: str, templates: dict[str, str], default: str) -> Any:
    """A `before` model validator for a spec whose template follows one of its fields (a judge's mode, a
    rubric's aggregation): an unset `template` becomes that value's shipped template (`default`'s when
    the field is unset or unknown, which the field's own validation then refuses)."""

    def fill(cls: type, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("template"):
            data = {**data, "template": templates.get(data.get(field, default), templates[default])}
        return data

    return model_validator(mode="before")(classmethod(fill))


def check_rules(rules: list[str]) -> list[str]:
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"extraction_rules: unknown {', '.join(unknown)}; known: {', '.join(RULES)}")
    return rules


DEFAULT_EXTRACTION = list(DEFAULT_RULES)

__all__ = ["DEFAULT_EXTRACTION", "Decoding", "JudgeSpec", "check_rules", "pinned_sha256", "template_by"]
