"""A job's log streams: rendered with the page, then followed by ``console.js``.

The page carries each stream's cursor; the script asks ``logs.json`` for what came after
it (and for streams that appeared since) about once a second, and stops once the job's
status is terminal. Instances sit side by side, one column per stream.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import UserError
from ...job.status import ACTIVE
from .html import esc, job_url, section

SHOWN_LINES = 5000  # per stream in the page; older lines are left to `jobs logs`


def instance_label(stream: str) -> str:
    """``job/algo-2-1733577600`` -> ``algo-2``: the instance, as the SageMaker console says."""
    tail = stream.rpartition("/")[2]
    parts = tail.split("-")
    return "-".join(parts[:2]) if len(parts) >= 2 else tail


def _read(source: Any, stream: str, cursor: str | None) -> tuple[list[str], str | None]:
    page = source.read_log(stream, cursor)
    return [event.message for event in page.events], page.cursor


def initial_logs(source: Any, name: str, active: bool) -> str:
    columns = []
    for stream in source.log_streams(name):
        lines, cursor = _read(source, stream, None)
        cut = len(lines) - SHOWN_LINES
        note = f'<p class="muted">{cut} earlier lines not shown</p>' if cut > 0 else ""
        text = "\n".join(lines[-SHOWN_LINES:])
        columns.append(
            f'<div class="stream" data-stream="{esc(stream)}" data-cursor="{esc(cursor or "")}">'
            f"<h3>{esc(instance_label(stream))}</h3>{note}"
            f'<pre class="log">{esc(text + chr(10) if text else "")}</pre></div>'
        )
    if not columns:
        columns.append(
            '<p class="empty waiting">No log streams yet: they appear when the instances start</p>'
        )
    where = f"{job_url(name)}/logs.json"
    return section(
        "Logs",
        f'<div class="streams" data-logs="{esc(where)}" data-active="{"1" if active else "0"}" '
        f'data-poll-ms="{int(getattr(source, "poll_seconds", 1.0) * 1000)}">'
        + "".join(columns)
        + "</div>",
        anchor="logs",
    )


def logs_update(source: Any, name: str, after_text: str | None) -> dict[str, Any]:
    """What ``logs.json`` answers: the status and, per stream, the lines after its cursor.

    ``after_text``: a JSON object ``{stream: cursor}`` the page sends back."""
    try:
        after = json.loads(after_text) if after_text else {}
    except ValueError:
        after = {}
    if not isinstance(after, dict):
        after = {}
    status = source.describe(name).get("ProcessingJobStatus", "")
    streams = {}
    for stream in source.log_streams(name):
        cursor = after.get(stream)
        cursor = cursor if isinstance(cursor, str) and cursor else None
        try:
            lines, new_cursor = _read(source, stream, cursor)
        except ValueError:  # a cursor this backend never gave out
            raise UserError(f"{cursor!r} is not a cursor of {stream}") from None
        streams[stream] = {
            "label": instance_label(stream),
            "lines": lines,
            "cursor": new_cursor or cursor or "",
        }
    return {"status": status, "active": status in ACTIVE, "streams": streams}
