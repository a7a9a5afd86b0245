"""One HTML renderer for the release card's report.html and the audit's audit.html: a self-contained
page (inline style, no script, nothing fetched), its sections and tables, every value escaped, so the
two reports look alike and neither can be made to run markup that came from data."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#1e293b;color:#f8fafc;padding:24px 40px}
header h1{margin:0 0 6px 0;font-size:26px} header p{margin:0;color:#cbd5e1}
main{padding:16px 40px 48px 40px;max-width:1100px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:16px 24px;margin:16px 0}
h2{font-size:19px;margin:4px 0 12px 0;border-bottom:2px solid #2563eb;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px} td,th{border:1px solid #e2e8f0;padding:4px 10px;text-align:left}
th{background:#f1f5f9} .done{color:#16a34a;font-weight:bold} .open{color:#dc2626;font-weight:bold}
.unknown{background:#fef3c7;padding:0 4px;border-radius:3px} .empty{color:#64748b}
.kpis{display:flex;gap:14px;flex-wrap:wrap} .kpi{background:#eff6ff;border-radius:8px;padding:10px 16px;min-width:130px}
.kpi b{display:block;font-size:22px;color:#1d4ed8}
"""
# What only the audit uses: its plots as images, long cells aligned at the top, the configuration block.
AUDIT_STYLE = "img{max-width:100%} td,th{vertical-align:top} .flag{color:#b00020;font-weight:bold} pre{white-space:pre-wrap}\n"


def text_cell(value: Any) -> str:
    return escape(str(value))


def table(header: list[str], rows: list[list[Any]], cell: Callable[[Any], str] = text_cell,
          limit: int | None = None, rest: str = "") -> str:
    """A table with a header row; past `limit` rows, a line saying how many more are in `rest`."""
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows[:limit])
    more = f'<p class="empty">… {len(rows) - limit:,} more in {escape(rest)}</p>' if limit is not None and len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def pairs_table(rows: list[tuple[str, str]]) -> str:
    """A two-column table of names and values, the names as row headers."""
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows) + "</table>"


def section(title: str, *parts: str, anchor: str | None = None) -> str:
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def page(title: str, heading: str, subtitle: str, body: list[str], style: str = STYLE, data: str | None = None) -> str:
    """The whole document; `data` (JSON) is kept on <main> for tools that read the page."""
    attribute = f' data-card="{escape(data)}"' if data is not None else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{style}</style></head><body>'
            f'<header><h1>{escape(heading)}</h1><p>{escape(subtitle)}</p></header><main{attribute}>{"".join(body)}</main>'
            f'</body></html>\n')


__all__ = ["AUDIT_STYLE", "STYLE", "page", "pairs_table", "section", "table", "text_cell"]
