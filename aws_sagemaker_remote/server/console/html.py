"""The console's HTML pieces: the page shell, escaping, times, status badges, tables.

Pages are built as strings; every value that came from a job, a key or a query passes
through :func:`esc` (attributes too). No inline script or style, so the Content Security
Policy can forbid both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

ROOT = "/_console/"
STATIC = ROOT + "static/"


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def url(path: str, **query: object) -> str:
    """A console URL: ``path`` under the root, with the query's non-empty values."""
    kept = {k: str(v) for k, v in query.items() if v not in (None, "")}
    return ROOT + path + ("?" + urlencode(kept) if kept else "")


def job_url(name: str) -> str:
    return url(f"jobs/{name}")  # job names are letters, digits and hyphens


def page(title: str, body: str, *, crumbs: Iterable[tuple[str, str | None]] = ()) -> bytes:
    """A whole page: head, the breadcrumb bar, ``body`` (already escaped)."""
    trail = " / ".join(
        f'<a href="{esc(href)}">{esc(text)}</a>' if href else f"<span>{esc(text)}</span>"
        for text, href in [("Processing jobs", ROOT), *crumbs]
    )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · aws-sagemaker-remote</title>"
        f'<link rel="stylesheet" href="{STATIC}console.css">'
        f'<script src="{STATIC}console.js" defer></script>'
        "</head><body>"
        f'<header><a class="brand" href="{ROOT}">SageMaker · processing</a>'
        f'<nav class="crumbs">{trail}</nav></header>'
        f"<main>{body}</main></body></html>\n"
    ).encode()


def status_badge(status: str) -> str:
    return f'<span class="status status-{esc(status.lower())}">{esc(status)}</span>'


def when(value: datetime | None) -> str:
    """A time as the SageMaker console writes it, in this machine's time zone."""
    if value is None:
        return "-"
    return value.astimezone().strftime("%b %d, %Y %H:%M:%S %Z")


def duration(seconds: float | None) -> str:
    """``1h 2m 3s`` (``1h``, ``0s``): a duration the way people say it."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if value
    ]
    return " ".join(parts) or "0s"


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str = "None") -> str:
    """A table of cells already rendered as HTML; ``empty`` when there are no rows."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fields(pairs: Iterable[tuple[str, str]]) -> str:
    """A block of label / value pairs (values already rendered), in columns."""
    items = "".join(f"<div><dt>{esc(label)}</dt><dd>{value}</dd></div>" for label, value in pairs)
    return f'<dl class="fields">{items}</dl>'


def section(title: str, content: str, *, anchor: str = "") -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{esc(title)}</h2>{content}</section>"


def code(value: object) -> str:
    return f"<code>{esc(value)}</code>"
