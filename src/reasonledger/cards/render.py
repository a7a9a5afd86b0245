"""Write every rendering of a card into a run's `card/` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonledger.cards.croissant import CROISSANT, to_croissant
from reasonledger.cards.hub import render_hub_readme
from reasonledger.cards.markdown import render_markdown
from reasonledger.cards.report import render_report
from reasonledger.records.parquet import write_json_atomic


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_renderings(card: dict[str, Any], out: Path, root: Path) -> None:
    """The card's renderings into `out`; croissant.json at the release root `root` (the folder holding
    data/ and exports/), since a Croissant reader finds the files it names below the file itself."""
    out.mkdir(parents=True, exist_ok=True)
    _write_text(out / "card.md", render_markdown(card))
    _write_text(out / "report.html", render_report(card))
    write_json_atomic(to_croissant(card, root), root / CROISSANT)
    _write_text(out / "README.md", render_hub_readme(card))
