"""BFCL environments: `function_call` (single-turn calls checked against allowed values) and
`bfcl_multiturn` (BFCL's multi-turn API classes as deterministic state machines, checked by state after
every turn and by the gold calls' results). Model output is parsed with `ast`/JSON, never evaluated."""
