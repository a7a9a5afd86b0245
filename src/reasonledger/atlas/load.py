"""Load the atlas shipped with reasonledger (or a given papers.yaml), check it against the pinned
sha256 and against its own schema and enums, and hand back typed entries."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reasonledger.atlas import vocab
from reasonledger.atlas.fields import Tagged, facts, tag
from reasonledger import safe_yaml

LEVEL = re.compile(r"^L([0-5])_[a-z_]+$")
# A study's name is what it is called, even when it is phrased as a question ("Is your agent smarter ...?").
NAMES = frozenset({"id", "title"})
MAX_ERRORS_SHOWN = 20


class AtlasError(ValueError):
    """The atlas file is not the pinned one, or an entry breaks the schema."""


@dataclass(frozen=True)
class Pin:
    source: str
    revision: str
    sha256: str


def _tag(path: str, value: Any) -> Tagged:
    return Tagged(value, "fact") if path in NAMES and value else tag(value)


@dataclass(frozen=True)
class Entry:
    """One study. `raw` is the entry exactly as the atlas holds it; `line` is where it starts."""

    raw: dict[str, Any]
    line: int

    @property
    def id(self) -> str:
        return self.raw["id"]

    @property
    def level(self) -> int:
        return int(LEVEL.match(self.raw["curation_level"]).group(1))  # type: ignore[union-attr]

    @property
    def level_label(self) -> str:
        return self.raw["curation_level"]

    @property
    def families(self) -> list[str]:
        return vocab.families(self.raw["verification_contract"])

    @property
    def kinds(self) -> list[str]:
        return vocab.kinds(self.raw["supervision_granularity"])

    @property
    def steps(self) -> list[str]:
        return vocab.steps(self.raw["construction_layer"])

    def field(self, path: str) -> Tagged:
        """A value by dotted path (`audit.source_mixture`), tagged fact / question / placeholder."""
        value: Any = self.raw
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return _tag(path, value)

    def tagged(self) -> dict[str, Tagged]:
        """Every leaf field by dotted path, each tagged."""
        out: dict[str, Tagged] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict) and value:
                for key, item in value.items():
                    walk(f"{prefix}.{key}" if prefix else key, item)
            else:
                out[prefix] = _tag(prefix, value)

        walk("", self.raw)
        return out

    @property
    def failure_modes(self) -> list[str]:
        """Known failure modes that are stated as findings (questions and placeholders left out)."""
        return facts(self.raw["audit"].get("known_failure_modes") or [])

    def quote(self) -> dict[str, Any]:
        """What a card may quote: facts only, with the curation level and the open questions apart."""
        summary = self.field("one_line_summary")
        return {
            "id": self.id, "title": self.raw["title"], "year": self.raw["year"],
            "level": self.level_label, "status": self.raw["status"],
            "families": self.families, "kinds": self.kinds,
            "summary": summary.value if summary.kind == "fact" else None,
            "failure_modes": self.failure_modes,
            "open_questions": sorted({str(t.value) for t in self.tagged().values() if t.kind == "question"}),
        }


@dataclass(frozen=True)
class Atlas:
    pin: Pin | None
    schema: dict[str, Any]
    entries: tuple[Entry, ...]

    def get(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(f"no atlas entry {entry_id!r}; `reasonledger atlas query` lists the ids")


def _data(name: str) -> Any:
    return resources.files("reasonledger.atlas").joinpath("data", name)


def pin() -> Pin:
    """Source, revision and sha256 as the shipped data/README.md states them (one place to update)."""
    text = _data("README.md").read_text(encoding="utf-8")
    found = {key: re.search(rf"^- {label}:?\s*`?([^`\n]+?)`?\s*$", text, re.MULTILINE)
             for key, label in (("source", "Source"), ("revision", "Revision"),
                                ("sha256", r"sha256 of the uncompressed `papers.yaml`"))}
    missing = [key for key, match in found.items() if match is None]
    if missing:
        raise AtlasError(f"atlas data/README.md does not state: {', '.join(missing)}")
    return Pin(**{key: match.group(1).strip() for key, match in found.items()})  # type: ignore[union-attr]


def schema() -> dict[str, Any]:
    return json.loads(_data("schema.json").read_text(encoding="utf-8"))


def _entry_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("- id:")]


def validate(raw: Any, schema_: dict[str, Any], where: str, lines: list[int] | None = None) -> list[str]:
    """Every problem in a parsed papers.yaml, each naming the file, line, entry and field."""
    if not isinstance(raw, list):
        return [f"{where}: expected a list of entries, got {type(raw).__name__}"]
    problems: list[str] = []
    enums: dict[str, list[str]] = schema_.get("enums", {})
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        at = f"{where} line {lines[i]}" if lines and i < len(lines) else f"{where} entry {i + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{at}: an entry must be a mapping")
            continue
        at = f"{at} ({entry.get('id', 'no id')})"
        problems += [f"{at}: required key {key!r} is missing" for key in schema_.get("required", []) if key not in entry]
        for key, allowed in enums.items():
            if key not in entry:
                continue
            values = entry[key] if isinstance(entry[key], list) else [entry[key]]
            problems += [f"{at}: {key} {v!r} is not one of {', '.join(allowed)}" for v in values if v not in allowed]
        if not LEVEL.match(str(entry.get("curation_level", ""))):
            problems.append(f"{at}: curation_level {entry.get('curation_level')!r} is not L0_... to L5_...")
        if not isinstance(entry.get("audit"), dict):
            problems.append(f"{at}: audit must be a mapping")
        if entry.get("id") in seen:
            problems.append(f"{at}: duplicate id")
        seen.add(entry.get("id"))
    return problems


def parse(text: str, schema_: dict[str, Any], where: str, pinned: Pin | None = None) -> Atlas:
    """An atlas from papers.yaml text; raises AtlasError listing what is wrong (fix the file, or use
    the shipped atlas by giving no path)."""
    if pinned is not None:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest != pinned.sha256:
            raise AtlasError(f"{where}: sha256 {digest} is not the pinned {pinned.sha256} "
                             f"({pinned.source} @ {pinned.revision}); reinstall reasonledger")
    try:
        # the shipped text is checked against its pin, so the fast loader reads it; a user's file gets
        # the alias, depth and size bounds every other user YAML gets
        raw = (yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if pinned is not None
               else safe_yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise AtlasError(f"{where}: not valid YAML: {exc}") from None
    lines = _entry_lines(text)
    problems = validate(raw, schema_, where, lines)
    if problems:
        shown = "\n  ".join(problems[:MAX_ERRORS_SHOWN])
        more = f"\n  ... and {len(problems) - MAX_ERRORS_SHOWN} more" if len(problems) > MAX_ERRORS_SHOWN else ""
        raise AtlasError(f"{len(problems)} problem(s) in the atlas:\n  {shown}{more}")
    return Atlas(pinned, schema_, tuple(Entry(e, lines[i] if i < len(lines) else 0) for i, e in enumerate(raw)))


@cache
def _shipped() -> Atlas:
    text = gzip.decompress(_data("papers.yaml.gz").read_bytes()).decode("utf-8")
    return parse(text, schema(), "papers.yaml (shipped)", pin())


def load(path: Path | None = None) -> Atlas:
    """The shipped atlas (sha256-checked, read once per process), or the papers.yaml at `path` checked
    against the shipped schema."""
    if path is None:
        return _shipped()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AtlasError(f"{path}: cannot read the atlas: {exc.strerror}") from None
    return parse(text, schema(), str(path))
