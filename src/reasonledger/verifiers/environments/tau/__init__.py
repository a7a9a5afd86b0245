"""τ-bench's airline and retail domains as environments: its tools written here over its JSON
databases, pinned to a data revision, with τ-bench's own data hash and reward components."""
