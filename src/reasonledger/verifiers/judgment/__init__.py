"""The judgment family: model judges (reference equivalence, rubric, pairwise) called through the
generation layer, each with its whole specification in its config, a strict verdict grammar, a
deterministic gate before any call, attack probes and a card computed from measurements."""
