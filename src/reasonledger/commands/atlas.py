"""`reasonledger atlas query|show|coverage`: the survey's literature atlas, in reasonledger's terms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from reasonledger.commands._common import console, fail, print_json

_FILE = typer.Option(None, "--file", help="A papers.yaml to read instead of the shipped, pinned atlas.")


def _atlas(path: Path | None) -> Any:
    from reasonledger.atlas import AtlasError, load

    try:
        return load(path)
    except AtlasError as exc:
        fail(str(exc))


def _pinned(atlas: Any) -> str:
    return f"{atlas.pin.source} @ {atlas.pin.revision}" if atlas.pin else "unpinned file"


def register(app: typer.Typer) -> None:
    atlas_app = typer.Typer(no_args_is_help=True, help=(
        "The survey's literature atlas (280 studies, pinned): query it by verifier family, record kind and "
        "curation level, show an entry with each field marked fact / question / placeholder, and see coverage."))
    app.add_typer(atlas_app, name="atlas")

    @atlas_app.command("query")
    def query(family: str = typer.Option(None, "--family", help="programmatic, environmental or judgment."),
              kind: str = typer.Option(None, "--kind", help="A record kind, e.g. prompt_answer, episode."),
              level: str = typer.Option(None, "--level", help="L4 (exactly), L4+ (and above) or L2-L4."),
              status: str = typer.Option(None, "--status", help="An atlas status, e.g. verified."),
              as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON."),
              path: Path = _FILE) -> None:
        """Atlas entries matching every filter, highest curation level first."""
        from reasonledger.atlas.query import select
        from reasonledger.atlas.vocab import FAMILIES
        from reasonledger.records.model import Kind

        if family is not None and family not in FAMILIES:
            fail(f"--family {family!r}: expected one of {', '.join(FAMILIES)}")
        if kind is not None and kind not in {k.value for k in Kind}:
            fail(f"--kind {kind!r}: expected one of {', '.join(k.value for k in Kind)}")
        atlas = _atlas(path)
        try:
            found = sorted(select(atlas.entries, family, kind, level, status), key=lambda e: (-e.level, e.id))
        except ValueError as exc:
            fail(str(exc))
        if as_json:
            print_json(json.dumps([e.quote() for e in found], indent=2, ensure_ascii=False))
            return
        table = Table(title=escape(f"{len(found)} of {len(atlas.entries)} atlas entries ({_pinned(atlas)})"))
        for column in ("level", "id", "year", "families", "kinds", "failure modes (facts)"):
            table.add_column(column)
        for e in found:
            table.add_row(e.level_label, escape(e.id), str(e.raw["year"]), ", ".join(e.families) or "-",
                          ", ".join(e.kinds) or "-", str(len(e.failure_modes)))
        console.print(table)

    @atlas_app.command("show")
    def show(entry_id: str = typer.Argument(..., help="An atlas id (see `reasonledger atlas query`)."),
             as_json: bool = typer.Option(False, "--json", help="Every field as {value, kind}, as JSON."),
             path: Path = _FILE) -> None:
        """One entry: every field with its kind (fact, question or placeholder) and the entry's curation level."""
        atlas = _atlas(path)
        try:
            entry = atlas.get(entry_id)
        except KeyError as exc:
            fail(exc.args[0])
        fields = entry.tagged()
        if as_json:
            print_json(json.dumps({"id": entry.id, "level": entry.level_label, "families": entry.families,
                                   "kinds": entry.kinds, "steps": entry.steps,
                                   "fields": {k: t.as_json() for k, t in fields.items()}}, indent=2, ensure_ascii=False))
            return
        lines = [f"{entry.raw['title']} ({entry.raw['year']})", f"  id {entry.id}; {entry.level_label}; status {entry.raw['status']}; "
                 f"atlas {_pinned(atlas)} line {entry.line}",
                 f"  reasonledger terms: families {', '.join(entry.families) or 'none'}; kinds "
                 f"{', '.join(entry.kinds) or 'none'}; steps {', '.join(entry.steps) or 'none'}"]
        for kind, label in (("fact", "Facts"), ("question", "Open questions (not findings)"),
                            ("placeholder", "Placeholders (not known)")):
            chosen = {k: t.value for k, t in fields.items() if t.kind == kind}
            if chosen:
                lines.append(f"{label}:")
                lines += [f"  {k}: {v if kind != 'placeholder' else v!r}" for k, v in chosen.items()]
        print_json("\n".join(lines))

    @atlas_app.command("coverage")
    def coverage(level: str = typer.Option(None, "--level", help="Count only these atlas levels, e.g. L4+."),
                 as_json: bool = typer.Option(False, "--json", help="Print the cells as JSON."),
                 path: Path = _FILE) -> None:
        """Families x record kinds: atlas entries per cell beside the verifiers, importers and steps reasonledger has."""
        from reasonledger.atlas.coverage import KINDS, coverage as compute
        from reasonledger.atlas.query import select
        from reasonledger.atlas.vocab import FAMILIES

        atlas = _atlas(path)
        try:
            entries = select(atlas.entries, level=level)
        except ValueError as exc:
            fail(str(exc))
        cov = compute(entries)
        if as_json:
            print_json(json.dumps(cov.as_json(), indent=2))
            return
        table = Table(title=escape(f"atlas entries ({level or 'all levels'}) / reasonledger today ({_pinned(atlas)})"))
        table.add_column("kind")
        for family in FAMILIES:
            table.add_column(f"{family}\nverifiers: {', '.join(cov.verifiers[family]) or 'none'}")
        for kind in KINDS:
            tools = cov.importers[kind] + cov.steps[kind]
            cells = [f"{len(cov.atlas[f, kind])} | {'yes' if cov.tool(f, kind) else 'no'}" for f in FAMILIES]
            table.add_row(escape(f"{kind}\n({', '.join(tools) or 'no importer or step'})"), *cells)
        console.print(table)
        console.print(escape(f"cell: atlas entries | reasonledger can verify the family and import or build the kind. "
                             f"Any kind: importers {', '.join(cov.any_kind_importers)}; "
                             f"steps {', '.join(cov.any_kind_steps)}."))
        if cov.unavailable_verifiers:
            console.print(escape(f"not installed here: {', '.join(cov.unavailable_verifiers)}"))
