"""CLI command modules. Each module defines `register(app)` and is named in builtins.BUILTIN_COMMANDS;
cli.py calls every entry of the `command` registry."""
