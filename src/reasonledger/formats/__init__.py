"""Formats: importers (public formats in, records out), exporters (records out to what trainers read),
and the `[FORMAT:]PATH` argument of commands. Above records and verifiers; rooms below reach a format
only by name, through the `import format` and `output` registries."""
