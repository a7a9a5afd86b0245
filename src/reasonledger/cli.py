"""The `reasonledger` command line: one typer app whose commands come from the `command` registry
(reasonledger's own are the modules of `reasonledger.commands`, named in builtins.py; a plugin
package adds its own the same way)."""

from __future__ import annotations

import typer

from reasonledger.registry import registry

app = typer.Typer(
    name="reasonledger",
    help="Build, verify, audit and document post-training reasoning data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMANDS = registry("command")  # name -> register(app)
for _name in COMMANDS:
    COMMANDS[_name](app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
