"""`publish`: a run laid out as a Hugging Face dataset repository, pushed when asked."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from reasonledger.commands._common import console, fail


def register(app: typer.Typer) -> None:
    @app.command()
    def publish(
        run: Path = typer.Argument(..., help="A run directory (the --out of `reasonledger build`)."),
        out: Path = typer.Option(..., "--out", "-o", help="The folder to lay the release out in; new or empty, "
                                 "written whole at the end."),
        push_to: str = typer.Option(None, "--push", help="Also upload the folder to this Hub dataset repository "
                                    "(owner/name), with the token in HF_TOKEN or from `hf auth login`."),
        private: bool = typer.Option(False, "--private", help="With --push: create the repository private."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (only a release reasonledger wrote)."),
    ) -> None:
        """Lay a run out as a Hugging Face dataset repository; push it with --push.

        README.md (a config for the records and one per export, the card's figures), croissant.json,
        data/, exports/ and card/; `datasets.load_dataset(OUT, CONFIG)` loads each config."""
        from reasonledger.cards.audit import AuditError
        from reasonledger.cards.croissant import CROISSANT, check_croissant
        from reasonledger.cards.overrides import CardFieldError
        from reasonledger.cards.publish import PushError, configs_of, lay_out, push
        from reasonledger.cards.release import build_card, load_recipe_of
        from reasonledger.cards.schema import CardSchemaError, check_card
        from reasonledger.engine.rundir import OwnershipError, check_run_dir, staged_output

        try:
            check_run_dir(run)
            card = build_card(run, load_recipe_of(run))  # recomputed from the data, as `card` does; the run is not written
            check_card(card)
            with staged_output(out, "publish", [run], force) as staging:
                todo = lay_out(run, card, staging)
                problems = check_croissant(json.loads((staging / CROISSANT).read_text()))
        except (FileNotFoundError, AuditError, CardFieldError, CardSchemaError, OwnershipError, ValueError) as exc:
            fail(str(exc))
        console.print(escape(f"release of {card['name']} laid out in {out}: configs {', '.join(configs_of(card))}"))
        for item in [*todo, *(f"croissant: {p}" for p in problems)]:
            console.print(f"[yellow]  still to do: {escape(item)}[/yellow]")
        if push_to:
            try:
                url = push(out, push_to, private, f"Publish {card['name']} ({card['generated_by']})")
            except PushError as exc:
                fail(str(exc))
            console.print(escape(f"pushed to {push_to}: {url}"))
