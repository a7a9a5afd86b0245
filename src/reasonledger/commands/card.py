"""Release-card commands: `card RUN` (re-render), `card set`, `card diff`, `card verifiers`, `card export`, `reaudit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from reasonledger.commands._common import console, fail, print_json, run_faults
from reasonledger.engine.rundir import RunDir


class _CardGroup(TyperGroup):
    """`reasonledger card RUN` means `reasonledger card render RUN`; named subcommands work as usual."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


card_app = typer.Typer(cls=_CardGroup, no_args_is_help=True, help="Compute, fill in, compare and check release cards.")


def _render(run: Path) -> dict[str, Any]:
    """Recompute the card of a run (folding in its audit and overrides) and write every rendering."""
    from reasonledger.cards.audit import AuditError
    from reasonledger.cards.overrides import CardFieldError
    from reasonledger.cards.release import load_recipe_of, write_release_card
    from reasonledger.cards.schema import CardSchemaError
    from reasonledger.engine.rundir import OwnershipError, check_run_dir

    try:
        check_run_dir(run)  # the card is written into the run: only one reasonledger made, with no links
        return write_release_card(run, load_recipe_of(run))
    except (FileNotFoundError, AuditError, CardFieldError, CardSchemaError, OwnershipError) as exc:
        fail(str(exc))


def _summary(run: Path, card: dict[str, Any]) -> None:
    from reasonledger.cards.croissant import CROISSANT, check_croissant
    from reasonledger.cards.schema import check_card

    out = RunDir(run).card
    schema = "valid" if check_card(card) else "not checked (install reasonledger[cards] for jsonschema)"
    console.print(escape(f"card of {card['name']}: {card['records']:,} records, contract {card['verification']['contract']}; "
                  f"card.json schema {schema}"))
    console.print(escape(f"  written: {', '.join(sorted(p.name for p in out.iterdir() if p.is_file()))} in {out}"))
    for problem in check_croissant(json.loads((run / CROISSANT).read_text())):
        console.print(f"  [yellow]croissant: {escape(problem)}[/yellow]")
    if card["missing"]:
        console.print(escape(f"  {len(card['missing'])} field(s) still unknown: {', '.join(card['missing'])}"))


@card_app.command("render")
def render(run: Path = typer.Argument(..., help="A run directory (the --out of `reasonledger build`)."),
           as_json: bool = typer.Option(False, "--json", help="Print card.json to stdout.")) -> None:
    """Recompute a run's card from its data, run log, audit and overrides; write every rendering."""
    card = _render(run)
    _summary(run, card)
    if as_json:
        print_json(json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False))


@card_app.command("set")
def set_field(key: str = typer.Argument(..., help="Card field, e.g. motivation, biases, recipe.search."),
              value: str = typer.Argument(..., help="The value (parsed as YAML: lists and numbers work)."),
              run: Path = typer.Option(..., "--run", "-r", help="The run directory whose card to fill.")) -> None:
    """Fill a field only a person can answer (or one the data left unknown), then re-render the card."""
    import yaml

    from reasonledger.cards import overrides
    from reasonledger import safe_yaml
    from reasonledger.cards.release import build_card, load_recipe_of, missing_fields
    from reasonledger.cards.schema import CardSchemaError, check_card
    from reasonledger.engine.rundir import OwnershipError, check_run_dir

    try:  # YAML for lists and numbers; dates stay the text they were written as
        parsed = json.loads(json.dumps(safe_yaml.safe_load(value), default=str))
    except yaml.YAMLError:
        parsed = value
    try:
        check_run_dir(run)
        trial = build_card(run, load_recipe_of(run))
        overrides.apply(trial, {key: parsed}, "card set")
        trial["missing"] = missing_fields(trial)
        check_card(trial)  # a value the schema refuses is never saved
        fields = {**overrides.load(RunDir(run).card), key: parsed}
    except (FileNotFoundError, overrides.CardFieldError, CardSchemaError, OwnershipError) as exc:
        fail(str(exc))
    overrides.save(RunDir(run).card, fields)
    card = _render(run)
    console.print(escape(f"set {key} in {RunDir(run).card / overrides.OVERRIDES}"))
    _summary(run, card)


@card_app.command("diff")
def diff(a: Path = typer.Argument(..., help="Release A: a run directory or a card.json."),
         b: Path = typer.Argument(..., help="Release B: a run directory or a card.json."),
         as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON.")) -> None:
    """Which knobs changed between two releases, what each can move, and what is missing before a gain is credited."""
    from reasonledger.cards.diff import diff_cards, load_card, render_diff

    try:
        result = diff_cards(load_card(a), load_card(b))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        fail(f"{exc.args[0] if exc.args else exc}")
    if as_json:
        print_json(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print_json(render_diff(result).rstrip("\n"))


@card_app.command("verifiers")
def verifiers(as_json: bool = typer.Option(False, "--json", help="Print the cards as JSON.")) -> None:
    """The verifier card of every registered verifier."""
    from reasonledger.cards.markdown import plain
    from reasonledger.cards.verifier_cards import registered_cards

    cards = registered_cards()
    if as_json:
        print_json(json.dumps(cards, indent=2, sort_keys=True, ensure_ascii=False, default=str))
        return
    for vc in cards:
        if not vc["available"]:
            print_json(f"{vc['id']}: unavailable here ({vc['reason']})\n")
            continue
        print_json("\n".join([f"{vc['id']} {vc['version']} ({vc['family']})", f"  checks: {vc['checks']}"]
                             + [f"  {k.replace('_', ' ')}: {plain(vc[k])}"
                                for k in ("formats", "native_signal", "known_false_positives", "known_false_negatives",
                                          "calibration")]) + "\n")


@card_app.command("export")
def export_card(source: Path = typer.Argument(..., help="A run directory or a card.json."),
                atlas: bool = typer.Option(False, "--atlas", help="As a literature-atlas entry (papers.yaml form)."),
                out: Path = typer.Option(None, "--out", "-o", help="Write the entry to this file instead of stdout.")) -> None:
    """A release card in another catalogue's form; `--atlas`: an entry for the survey's atlas, checked against its schema."""
    import yaml

    from reasonledger.atlas.export import to_entry
    from reasonledger.cards.diff import load_card

    if not atlas:
        fail("say which form to export: --atlas (a papers.yaml entry for the literature atlas)")
    try:
        entry = to_entry(load_card(source))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        fail(f"{exc.args[0] if exc.args else exc}")
    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=120)
    if out is None:
        print_json(text.rstrip("\n"))
        return
    out.write_text(text, encoding="utf-8")
    console.print(escape(f"atlas entry {entry['id']} ({entry['curation_level']}, valid against the atlas schema) written to {out}"))


def register(app: typer.Typer) -> None:
    app.add_typer(card_app, name="card")

    @app.command()
    def reaudit(data: Path = typer.Argument(..., help="The released data: a run directory or its data/ folder."),
                card: Path = typer.Option(..., "--card", "-c", help="The release's card.json (or its run directory)."),
                as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
        """Re-run the recorded verifiers on released records and check the manifest; exit 2 on any disagreement."""
        from reasonledger.cards.diff import load_card
        from reasonledger.cards.reaudit import reaudit as run_reaudit
        from reasonledger.cards.reaudit import render_reaudit

        try:
            result = run_reaudit(data, load_card(card))
        except (FileNotFoundError, ValueError, KeyError, *run_faults()) as exc:
            fail(f"{exc.args[0] if exc.args else exc}")
        print_json(json.dumps(result, indent=2, sort_keys=True) if as_json else render_reaudit(result).rstrip("\n"))
        raise typer.Exit(0 if result["ok"] else 2)
