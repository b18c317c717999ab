"""The dashboard's one HTML page: tiles, SVG charts and tables, no script, no asset.

Everything the page needs is in the page. The only inline style is one ``<style>``
element whose SHA-256 goes into the Content-Security-Policy, so the policy can forbid
every other style, every script and every external load. A date picker is a plain GET
form; the token, when it came in the query, rides along as a hidden field and in the
JSON links.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from . import _svg
from ._reader import average_ms
from ._svg import BAD, fmt

CSS = """
:root{color-scheme:light}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f6fb;
  color:#1f2433}
header{background:#1f2433;color:#fff;padding:14px 28px;display:flex;align-items:center;gap:24px;
  flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600}
header form{display:flex;gap:8px;align-items:center;margin-left:auto}
header input,header button{font:inherit;padding:4px 8px;border-radius:4px;
  border:1px solid #59607a}
header button{background:#4f6bed;color:#fff;border-color:#4f6bed;cursor:pointer}
main{padding:20px 28px;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));
  gap:18px}
.tiles{grid-column:1/-1;display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));
  gap:14px}
.tile,section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(20,30,60,.12)}
.tile{padding:14px 18px}
.tile b{display:block;font-size:28px;font-weight:650}
.tile span{color:#5b6179;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.bad b{color:#d64545}
section{padding:14px 18px 18px}
section.wide{grid-column:1/-1}
section h2{font-size:15px;margin:0 0 8px;display:flex;justify-content:space-between}
section h2 a{font-size:12px;font-weight:400;color:#4f6bed}
table{width:100%;border-collapse:collapse;font-size:13px;margin-top:8px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eceef4;word-break:break-all}
th{color:#5b6179;font-weight:600}
td.num{text-align:right;white-space:nowrap}
p.note{color:#5b6179;font-size:12px;margin:6px 0 0}
footer{padding:0 28px 24px;color:#5b6179;font-size:12px}
"""

STYLE_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()

CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{STYLE_HASH}'; "
    "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

SHOWN_ROWS = 20


@dataclass(frozen=True, slots=True)
class PageData:
    """What the page shows (all read before rendering)."""

    path: str
    day: str
    token: str | None
    counters: dict[str, int]
    daily: list[dict[str, Any]]
    top_pages: list[dict[str, Any]]
    slow: list[dict[str, Any]]
    slow_threshold: float
    errors: list[dict[str, Any]]
    sources: dict[str, int]


def link(data: PageData, chart: str) -> str:
    """URL of a chart's JSON endpoint, for the same day (and token, if given in the query)."""
    params = {"date": data.day}
    if data.token is not None:
        params["token"] = data.token
    return f"{data.path}/api/{chart}?{urlencode(params)}"


def _section(title: str, json_url: str, body: str, *, wide: bool = False) -> str:
    css = ' class="wide"' if wide else ""
    return (
        f"<section{css}><h2>{escape(title)}"
        f'<a href="{escape(json_url)}">JSON</a></h2>{body}</section>'
    )


def _table(headings: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _tile(label: str, value: str, *, bad: bool = False) -> str:
    css = "tile bad" if bad else "tile"
    return f'<div class="{css}"><b>{value}</b><span>{escape(label)}</span></div>'


def render(data: PageData) -> str:
    """The whole page as text."""
    c = data.counters
    avg = average_ms(c["rt_us"], c["requests"])
    tiles = [
        _tile("requests", fmt(c["requests"])),
        _tile("unique visitors", fmt(c["visitors"])),
        _tile("avg response time", f"{fmt(avg)} ms"),
        _tile("errors", fmt(c["errors"]), bad=c["errors"] > 0),
    ]
    if c["untracked"]:
        tiles.append(_tile("requests past the IP cap", fmt(c["untracked"])))
    labels = [row["date"][5:] for row in data.daily]
    selected = len(data.daily) - 1
    traffic = _svg.columns(
        "Daily requests and unique visitors",
        labels,
        [row["total_requests"] for row in data.daily],
        line=[row["unique_visitors"] for row in data.daily],
        line_label="unique visitors",
        highlight=selected,
        width=_svg.WIDTH * 2,
    )
    legend = (
        '<p class="note">Bars: requests. Line: unique visitors. '
        f"Last {len(data.daily)} days up to {escape(data.day)}.</p>"
    )
    pages = _svg.bars("Top pages", [(row["path"], row["views"]) for row in data.top_pages])
    times = _svg.columns(
        "Average response time per day",
        labels,
        [row["avg_response_time"] for row in data.daily],
        unit=" ms",
        highlight=selected,
    )
    slow_rows = [
        [escape(r["timestamp"][11:19]), escape(r["ip"]), escape(r["path"]), fmt(r["response_time"])]
        for r in data.slow[:SHOWN_ROWS]
    ]
    slow = (
        f'<p class="note">{fmt(len(data.slow))} request(s) slower than '
        f"{fmt(data.slow_threshold)} ms on {escape(data.day)}.</p>"
        + (_table(["time", "ip", "path", "ms"], slow_rows, {3}) if slow_rows else "")
    )
    errors_chart = _svg.columns(
        "Errors per day",
        labels,
        [row["total_errors"] for row in data.daily],
        color=BAD,
        highlight=selected,
    )
    error_rows = [
        [
            escape(r["timestamp"][11:19]),
            escape(r["ip"]),
            escape(r["path"]),
            str(r["error"]["code"]),
            escape(r["error"]["message"]),
        ]
        for r in data.errors[:SHOWN_ROWS]
    ]
    errors = (
        f'<p class="note">{fmt(len(data.errors))} errored request(s) kept for '
        f"{escape(data.day)}.</p>"
        + (_table(["time", "ip", "path", "code", "message"], error_rows, {3}) if error_rows else "")
    )
    sources = _svg.bars("Traffic sources", list(data.sources.items()))
    hidden = (
        f'<input type="hidden" name="token" value="{escape(data.token)}">'
        if data.token is not None
        else ""
    )
    body = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Telemetry · {escape(data.day)}</title><style>{CSS}</style></head><body>",
        "<header><h1>Harpia telemetry</h1>",
        f'<form method="get" action="{escape(data.path)}">',
        f'<label for="date">Day (UTC)</label><input type="date" id="date" name="date" '
        f'value="{escape(data.day)}">{hidden}<button type="submit">Show</button></form></header>',
        f'<main><div class="tiles" id="summary">{"".join(tiles)}</div>',
        _section(
            "Daily requests and unique visitors", link(data, "daily"), traffic + legend, wide=True
        ),
        _section("Top pages", link(data, "pages"), pages),
        _section("Traffic sources", link(data, "sources"), sources),
        _section("Average response time", link(data, "response-times"), times),
        _section("Errors per day", link(data, "errors"), errors_chart),
        _section("Slow requests", link(data, "slow"), slow),
        _section("Errors", link(data, "errors"), errors),
        f'</main><footer>Day {escape(data.day)} (UTC) · '
        f'<a href="{escape(link(data, "summary"))}">summary JSON</a></footer></body></html>',
    ]  # fmt: skip
    return "".join(body)


def message_page(status: int, title: str, text: str) -> str:
    """A small page for 400/401/404 answers (same CSP as the dashboard)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{status} {escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{status} {escape(title)}</h1></header>"
        f'<main><section class="wide"><p>{escape(text)}</p></section></main></body></html>'
    )
