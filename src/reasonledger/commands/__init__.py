"""CLI command modules. Each module defines `register(app)`; cli.py discovers them all."""
