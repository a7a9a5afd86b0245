"""The `reasonledger` command line: one typer app whose commands live in `reasonledger.commands`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

import reasonledger.commands

app = typer.Typer(
    name="reasonledger",
    help="Build, verify, audit and document post-training reasoning data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in sorted(m.name for m in pkgutil.iter_modules(reasonledger.commands.__path__) if not m.name.startswith("_")):
    importlib.import_module(f"reasonledger.commands.{_module}").register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
