"""How much of a quickstart build the release card costs: build once, then time the card step
(card.json, card.md, report.html, croissant.json, README.md) on the built run, three times.

Run: .venv/bin/python benchmarks/cards_build_share.py [--size 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from reasonledger.cards.release import load_recipe_of, write_release_card
from reasonledger.product import build

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        started = time.perf_counter()
        result = build(QUICKSTART, run, [f"sources.0.size={args.size}"], show_progress=False)
        build_s = time.perf_counter() - started
        recipe = load_recipe_of(run)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            write_release_card(run, recipe)
            times.append(time.perf_counter() - started)
    card_s = statistics.median(times)
    print(f"quickstart build ({result.records:,} records, card included): {build_s:.2f} s")
    print(f"card step alone (median of 3): {card_s:.3f} s = {card_s / build_s:.1%} of the build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
