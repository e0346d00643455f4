"""The "Processing jobs" list: newest first, filtered by status and name, 50 a page."""

from __future__ import annotations

from datetime import datetime, timezone

from ... import wording
from ...job import status as statuses
from .html import duration, esc, job_url, page, status_badge, table, url, when
from .source import ConsoleSource, JobRow

PER_PAGE = 50
STATUSES = (
    statuses.IN_PROGRESS,
    statuses.COMPLETING,
    statuses.COMPLETED,
    statuses.FAILED,
    statuses.STOPPING,
    statuses.STOPPED,
)


def _row(job: JobRow, now: datetime) -> list[str]:
    if job.created and job.ended:
        took = duration((job.ended - job.created).total_seconds())
    elif job.created and job.status in statuses.ACTIVE:
        took = duration((now - job.created).total_seconds()) + "+"
    else:
        took = "-"
    instances = esc(job.instance_type or "-")
    if job.instance_count:
        instances += f" &times; {esc(job.instance_count)}"
    return [
        f'<a href="{esc(job_url(job.name))}">{esc(job.name)}</a>',
        status_badge(job.status),
        esc(when(job.created)),
        esc(took),
        instances,
        f'<span class="image" title="{esc(job.image)}">{esc(_short_image(job.image))}</span>',
    ]


def _short_image(image: str) -> str:
    """The repository and tag of an image URI: the registry host is the same for all."""
    return image.rpartition("/")[2] or "-"


def jobs_list_page(
    source: ConsoleSource, *, page_number: int, status: str | None, name_contains: str | None
) -> bytes:
    status = status if status in STATUSES else None
    listed = source.jobs_page(
        page=max(1, page_number), per_page=PER_PAGE, status=status, name_contains=name_contains
    )
    now = datetime.now(timezone.utc)
    options = "".join(
        f'<option value="{esc(s)}"{" selected" if s == status else ""}>{esc(s)}</option>'
        for s in STATUSES
    )
    where = source.where
    count = wording.count(listed.total, "job") if listed.total is not None else "newest first"
    form = (
        f'<form class="filters" method="get" action="{esc(url(""))}">'
        f'<input type="search" name="name" placeholder="Name contains" '
        f'value="{esc(name_contains or "")}" aria-label="Name contains">'
        '<select name="status" aria-label="Status"><option value="">Any status</option>'
        f"{options}</select><button>Filter</button></form>"
    )
    rows = [_row(job, now) for job in listed.rows]
    headers = ("Name", "Status", "Creation time", "Duration", "Instance", "Image")
    filters = {"status": status, "name": name_contains}
    pager = []
    if listed.page > 1:
        pager.append(
            f'<a rel="prev" href="{esc(url("", page=listed.page - 1, **filters))}">'
            "&larr; Previous</a>"
        )
    pages = -(-listed.total // PER_PAGE) if listed.total else None
    pager.append(f"<span>Page {listed.page}" + (f" of {pages}" if pages else "") + "</span>")
    if listed.has_next:
        pager.append(
            f'<a rel="next" href="{esc(url("", page=listed.page + 1, **filters))}">Next &rarr;</a>'
        )
    body = (
        f'<div class="title"><h1>Processing jobs</h1><span class="muted">{esc(count)} on '
        f"{esc(where)}</span></div>{form}"
        f'<div class="jobs">{table(headers, rows, "No processing jobs")}</div>'
        f'<nav class="pager">{"".join(pager)}</nav>'
    )
    return page("Processing jobs", body)
