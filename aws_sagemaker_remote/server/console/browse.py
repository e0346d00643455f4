"""The S3 browser: a prefix as folders and files, and a file's download.

What may be opened is decided here, once: a bucket the source's reader serves and, for
SageMaker, only paths at or under an S3 path the named job reads or writes (the console
is not a way to read every bucket the credentials reach). Keys travel in query strings,
never in the URL's path, so any key (``..``, ``%2F``, quotes) is just data, escaped on the
page and in ``Content-Disposition``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ...errors import NotFound
from ...job.lineage import JOB_NAME
from ...uris import parse_s3_uri
from ...wording import size
from .html import code, esc, job_url, page, table, url, when
from .objects import ObjectBody
from .source import ConsoleSource


def job_paths(description: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of every S3 path a job names: its inputs and outputs."""
    uris = [(i.get("S3Input") or {}).get("S3Uri") for i in description.get("ProcessingInputs", [])]
    outputs = (description.get("ProcessingOutputConfig") or {}).get("Outputs", [])
    uris += [(o.get("S3Output") or {}).get("S3Uri") for o in outputs]
    found: list[tuple[str, str]] = []
    for uri in uris:
        try:
            bucket, key = parse_s3_uri(uri if isinstance(uri, str) else "")
        except ValueError:
            continue
        found.append((bucket, key))
    return found


def check_browsable(source: ConsoleSource, bucket: str, key: str, job: str | None) -> None:
    """NotFound unless the console may show ``s3://bucket/key`` (see the module's docstring)."""
    where = f"s3://{bucket}/{key}"
    if not bucket or not source.objects.serves(bucket):
        raise NotFound(f"{where} is not in a bucket this console serves")
    if not getattr(source, "job_paths_only", False):
        return
    if job and JOB_NAME.fullmatch(job):
        for root_bucket, root_key in job_paths(source.describe(job)):
            if root_bucket == bucket and key.startswith(root_key):
                return
    raise NotFound(f"{where} is not a path of job {job or '(none named)'}")


def _crumbs(bucket: str, prefix: str, job: str | None, allowed) -> list[tuple[str, str | None]]:
    trail: list[tuple[str, str | None]] = []
    if job:
        trail.append((job, job_url(job)))
    parts = prefix.split("/")
    for depth in range(len(parts)):
        upto = "/".join(parts[:depth]) + ("/" if depth else "")
        label = bucket if depth == 0 else parts[depth - 1]
        trail.append(
            (label, url("s3", bucket=bucket, prefix=upto, job=job) if allowed(upto) else None)
        )
    if parts[-1]:
        trail.append((parts[-1], None))
    return trail


def browse_page(
    source: ConsoleSource, bucket: str, prefix: str, job: str | None, token: str | None
) -> bytes:
    check_browsable(source, bucket, prefix, job)
    listing = source.objects.list(bucket, prefix, token)

    def allowed(key: str) -> bool:
        try:
            check_browsable(source, bucket, key, job)
            return True
        except NotFound:
            return False

    rows = []
    for folder in listing.folders:
        name = folder[len(prefix) :] or folder
        href = url("s3", bucket=bucket, prefix=folder, job=job)
        rows.append([f'<a class="folder" href="{esc(href)}">{esc(name)}</a>', "-", "-"])
    for item in listing.objects:
        name = item.key[len(prefix) :] if item.key.startswith(prefix) else item.key
        href = url("s3/object", bucket=bucket, key=item.key, job=job)
        rows.append(
            [
                f'<a class="file" href="{esc(href)}" download>{esc(name or item.key)}</a>',
                esc(size(item.size)),
                esc(when(item.modified)),
            ]
        )
    more = ""
    if listing.next_token:
        href = url("s3", bucket=bucket, prefix=prefix, job=job, token=listing.next_token)
        more = f'<nav class="pager"><a rel="next" href="{esc(href)}">More &rarr;</a></nav>'
    uri = f"s3://{bucket}/{prefix}"
    body = (
        f'<div class="title"><h1>Objects</h1>{code(uri)}</div>'
        + table(("Name", "Size", "Last modified"), rows, "No objects under this prefix")
        + more
    )
    return page(uri, body, crumbs=_crumbs(bucket, prefix, job, allowed))


def open_object(source: ConsoleSource, bucket: str, key: str, job: str | None) -> ObjectBody:
    check_browsable(source, bucket, key, job)
    return source.objects.open(bucket, key)


def content_disposition(key: str) -> str:
    """``attachment`` with the key's last part as the file name: an ASCII fallback with
    nothing that could end the header, and the exact name in RFC 5987's ``filename*``."""
    name = key.rstrip("/").rpartition("/")[2] or "object"
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
