"""Quality audits: what makes reasoning data useful, measured rather than assumed.

`reasonledger audit DATA --against BENCH ... --out DIR` runs them all over one pass of the data
(`audit.Auditor`) and writes DIR/audit.json (structure in `audit`'s docstring), audit.md and a
self-contained audit.html (`report`). The modules, one audit each:

- `contamination` (with `ngrams`, `embed`, `quantities`, `relations`): exact n-gram containment,
  then a semantic shortlist and one on the problem's rare quantities; each hit names its relation
  (verbatim, reworded, renumbered, derived, template) on rarity-weighted evidence, and a policy says
  which relations flag;
- `minhash`: near-duplicates, every candidate verified by exact Jaccard; exact duplicates reuse
  `records.normalise.prompt_digest`;
- `difficulty`: pass rate per prompt with a Beta posterior interval, always with its conditioning;
- `length_trap`, `consistency` (trace–answer), `agreement` (verifier agreement), `lineage`
  (provenance completeness), `agent_failures` (how episodes fail, per environment), `mixture`
  (sources, domains, task families, 2-D map).

Each runs as a named `audit section` (`sections`, and `whole_data` for the audits of the whole data).

As recipe steps (`steps`): `decontaminate` and `near_dedup` drop records with reasons
`contaminated` and `near_duplicate`; `audit` writes the report into the run directory.
"""

# Importing the step modules registers their steps (dedup; decontaminate, near_dedup, audit).
from reasonledger.quality import dedup_exact, steps  # noqa: F401
