"""Select atlas entries by verifier family, record kind, curation level and status."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reasonledger.atlas.load import Entry

_LEVELS = re.compile(r"^L?([0-5])(\+|-L?([0-5]))?$", re.IGNORECASE)


def level_range(spec: str) -> tuple[int, int]:
    """'L4+' -> (4, 5); 'L4' -> (4, 4); 'L2-L4' -> (2, 4). ValueError says what is accepted."""
    match = _LEVELS.match(spec.strip())
    if not match:
        raise ValueError(f"level {spec!r}: expected L0..L5, L4+ (that level and above) or a range like L2-L4")
    low = int(match.group(1))
    high = 5 if match.group(2) == "+" else int(match.group(3)) if match.group(3) else low
    if high < low:
        raise ValueError(f"level {spec!r}: the range is empty ({low} > {high})")
    return low, high


def select(entries: Iterable[Entry], family: str | None = None, kind: str | None = None,
           level: str | None = None, status: str | None = None) -> list[Entry]:
    """Entries matching every filter given; kind and family match any of an entry's mapped values."""
    low, high = level_range(level) if level else (0, 5)
    return [e for e in entries
            if (family is None or family in e.families) and (kind is None or kind in e.kinds)
            and low <= e.level <= high and (status is None or e.raw["status"] == status)]
