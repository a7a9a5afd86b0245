"""`reasonledger plugins`: every registered plugin (steps, sources, verifiers, environments, formats, outputs,
commands, audit sections, ...) by kind, with the package it came from."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from reasonledger.commands._common import console, print_json


def register(app: typer.Typer) -> None:
    @app.command()
    def plugins(as_json: bool = typer.Option(False, "--json", help="Print JSON: {kind: {name: origin}}.")) -> None:
        """List every registered plugin by kind, with the package it came from.

        The origin is the distribution whose `reasonledger.plugins` entry point added the plugin."""
        from reasonledger.registry import REGISTRIES, load_plugins

        load_plugins()  # every kind's registry exists once the plugins have added to it
        found = {kind: REGISTRIES[kind].origins() for kind in sorted(REGISTRIES)}
        if as_json:
            print_json(json.dumps(found, indent=2, sort_keys=True))
            return
        table = Table("kind", "name", "origin")
        for kind, names in found.items():
            for name, origin in names.items():
                table.add_row(escape(kind), escape(name), escape(origin))
        console.print(table)
