"""Near-duplicates on quickstart builds of two sizes: template clusters apart from near-duplicates,
the largest near-duplicate cluster of each task family, and the time per record of the
near-duplicate audit at each size (linear cost: the two per-record times agree).

Each run directory is audited in a fresh process (`near_duplicates` section only, records streamed
from the run's data/ and the time counted from the first record read to the section's result;
the clustering at the end is also timed alone); CPU seconds (process time) are reported beside wall seconds, because the
machine may be shared; each size is audited `--runs` times and the run with the least CPU time
kept. With `--before` the same audit also runs with templates and line shingles off.

Build the inputs (1/5 of the size, then the size):
  reasonledger build examples/quickstart.yaml --out /tmp/qs4k --set sources.0.size=4000 --quiet
  reasonledger build examples/quickstart.yaml --out /tmp/qs20k --set sources.0.size=20000 --quiet
Run: .venv/bin/python benchmarks/quality_templates.py /tmp/qs4k /tmp/qs20k
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

_ONE = textwrap.dedent("""
    import json, resource, sys, time
    from collections import Counter
    from reasonledger.quality.audit import AuditConfig, Auditor
    from reasonledger.quality.minhash import NearDupConfig, near_duplicates
    from reasonledger.quality.mixture import task_family
    from reasonledger.records.parquet import read_parquet_records

    run, templates = sys.argv[1], sys.argv[2] == "on"
    config = AuditConfig(sections=["near_duplicates"], embedding_map=False, max_listed=1,
                         near_duplicates=NearDupConfig(templates=templates, by_line=templates))
    warm = Auditor(config)  # imports and caches warm
    warm.add_many(r for _, r in zip(range(50), read_parquet_records(run + "/data")))
    warm.finish()
    families = {}
    wall, cpu = time.perf_counter(), time.process_time()
    auditor = Auditor(config)
    for record in read_parquet_records(run + "/data"):  # streamed, as `reasonledger audit` reads a run
        families[record.id] = task_family(record)
        auditor.add(record)
    added = time.process_time()
    section = auditor.finish()["near_duplicates"]
    wall, cpu, finish = time.perf_counter() - wall, time.process_time() - cpu, time.process_time() - added
    records = auditor.ids
    largest = Counter()  # every cluster, not only the listed ones: cluster again, untimed
    for cluster in near_duplicates(auditor.dup_texts, config.near_duplicates).clusters:
        for family, size in Counter(families[records[i]] for i in cluster).items():
            largest[family] = max(largest[family], size)
    print(json.dumps({"records": len(records), "wall_ms": 1000 * wall / len(records), "cpu_ms": 1000 * cpu / len(records),
                      "finish_ms": 1000 * finish / len(records), "candidates": section["candidates"],
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "flagged": section["flagged"], "clusters": section["clusters"],
                      "largest_cluster": section["largest_cluster"], "largest_by_family": dict(largest.most_common(5)),
                      "template_clusters": [{k: c[k] for k in ("source", "shingles", "records", "digest")}
                                            for c in section["template_clusters"]]}))
""")


def audit(run: Path, templates: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", _ONE, str(run), "on" if templates else "off"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path, help="run directory of the smaller build")
    parser.add_argument("large", type=Path, help="run directory of the larger build (about 5x)")
    parser.add_argument("--before", action="store_true", help="also audit with templates and line shingles off")
    parser.add_argument("--runs", type=int, default=3, help="audit each size this many times, keep the least CPU time")
    args = parser.parse_args()
    results = {}
    for label, run in (("small", args.small), ("large", args.large)):
        for templates in (True, False) if args.before else (True,):
            r = results[label, templates] = min((audit(run, templates) for _ in range(args.runs)), key=lambda x: x["cpu_ms"])
            print(f"{label} {'templates on ' if templates else 'templates off'}: {r['records']:,} records, "
                  f"{r['cpu_ms']:.3f} ms CPU ({r['wall_ms']:.3f} ms wall) per record read and audited, of which "
                  f"{r['finish_ms']:.3f} ms clustering; peak {r['peak_mib']:.0f} MiB; {r['candidates']:,} candidate pairs; "
                  f"{r['flagged']:,} flagged in {r['clusters']:,} clusters, largest {r['largest_cluster']:,}; "
                  f"largest cluster by family {r['largest_by_family']}; {len(r['template_clusters'])} template clusters")
    for c in results["large", True]["template_clusters"]:
        print(f"  template {c['source']}: {c['shingles']} shingles, {c['records']:,} records, digest {c['digest']}")
    small, large = results["small", True], results["large", True]
    print(f"per-record CPU time, large / small: {large['cpu_ms'] / small['cpu_ms']:.3f} "
          f"(wall {large['wall_ms'] / small['wall_ms']:.3f}; clustering alone {large['finish_ms'] / small['finish_ms']:.3f})")


if __name__ == "__main__":
    main()
