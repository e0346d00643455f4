"""A processing job's page, in the SageMaker console's sections and words.

Job settings, app specification, resources, the tracked code (script, requirements,
configuration script, supporting code: the request's code channels), processing inputs
and outputs with each S3 path opening the console's browser, lineage, logs (live while the
job runs: ``console.js`` polls ``logs.json``), tags with the git state, environment, the
local engine's block and the exact request as JSON.
"""

from __future__ import annotations

from typing import Any

from ...job.status import ACTIVE
from ...script import layout
from .html import (
    code,
    esc,
    fields,
    job_url,
    page,
    section,
    status_badge,
    table,
    url,
)
from .lineage import lineage_of, lineage_svg
from .logs import initial_logs
from .sections import (
    environment_section,
    local_engine_section,
    request_section,
    settings_sections,
    tags_section,
)
from .source import ConsoleSource

_CODE_ROLES = {
    layout.CODE_CHANNEL: "Script (and the code shipped with it)",
    layout.REQUIREMENTS_CHANNEL: "Requirements",
    layout.CONFIGURATION_CHANNEL: "Configuration script",
}


_SECTIONS = (
    ("settings", "Job settings"),
    ("code", "Tracked code"),
    ("inputs", "Inputs"),
    ("outputs", "Outputs"),
    ("lineage", "Lineage"),
    ("logs", "Logs"),
    ("tags", "Tags"),
    ("env", "Environment"),
    ("request", "Request"),
)


def s3_link(source: ConsoleSource, uri: str, job_name: str) -> str:
    """An S3 URI that opens the console's browser where the source serves its bucket."""
    from ...uris import parse_s3_uri

    try:
        bucket, key = parse_s3_uri(uri)
    except ValueError:
        return code(uri)
    if not source.objects.serves(bucket):
        return code(uri)
    href = url("s3", bucket=bucket, prefix=key, job=job_name)
    return f'<a class="s3" href="{esc(href)}">{esc(uri)}</a>'


def _code_role(name: str) -> str | None:
    if name in _CODE_ROLES:
        return _CODE_ROLES[name]
    if name.startswith(layout.MODULE_CHANNEL_PREFIX):
        return f"Supporting code: {name[len(layout.MODULE_CHANNEL_PREFIX) :]}"
    return None


def _inputs(source: ConsoleSource, d: dict[str, Any], name: str) -> str:
    tracked, rows = [], []
    for item in d.get("ProcessingInputs", []):
        s3 = item.get("S3Input") or {}
        uri = s3.get("S3Uri", "")
        link = s3_link(source, uri, name) if uri else "-"
        role = _code_role(item.get("InputName", ""))
        if role:
            tracked.append((role, link))
        rows.append(
            [
                esc(item.get("InputName")),
                link,
                f'<code class="path">{esc(s3.get("LocalPath", "-"))}</code>',
                esc(s3.get("S3DataType", "-")),
                esc(s3.get("S3InputMode", "-")),
                esc(s3.get("S3DataDistributionType", "-")),
            ]
        )
    headers = ("Input name", "Source", "Local path", "Data type", "Input mode", "Distribution")
    code_block = fields(tracked) if tracked else '<p class="empty">No code channels</p>'
    return section("Tracked code", code_block, anchor="code") + section(
        "Processing inputs", table(headers, rows, "No inputs"), anchor="inputs"
    )


def _outputs(source: ConsoleSource, d: dict[str, Any], name: str) -> str:
    rows = []
    for item in (d.get("ProcessingOutputConfig") or {}).get("Outputs", []):
        s3 = item.get("S3Output") or {}
        uri = s3.get("S3Uri", "")
        rows.append(
            [
                esc(item.get("OutputName")),
                f'<code class="path">{esc(s3.get("LocalPath", "-"))}</code>',
                s3_link(source, uri, name) if uri else "-",
                esc(s3.get("S3UploadMode", "-")),
            ]
        )
    headers = ("Output name", "Local path", "Destination", "Upload mode")
    return section("Processing outputs", table(headers, rows, "No outputs"), anchor="outputs")


def _lineage(source: ConsoleSource, name: str) -> str:
    found = lineage_of(source, name)
    if not found.parents and not found.children:
        return section(
            "Lineage",
            '<p class="empty">No job made its inputs or read its outputs</p>',
            anchor="lineage",
        )

    def rows(links, other):
        return [
            [
                f'<a href="{esc(job_url(getattr(link, other)))}">{esc(getattr(link, other))}</a>',
                esc(link.output),
                esc(link.input),
            ]
            for link in links
        ]

    parts = []
    if found.parents:
        parts.append(
            "<h3>Made its inputs</h3>"
            + table(("Job", "Its output", "This job's input"), rows(found.parents, "producer"))
        )
    if found.children:
        parts.append(
            "<h3>Read its outputs</h3>"
            + table(("Job", "This job's output", "Its input"), rows(found.children, "consumer"))
        )
    if max(found.depth.values()) - min(found.depth.values()) > 1:
        parts.insert(0, f'<div class="graph">{lineage_svg(found, name)}</div>')
    return section("Lineage", "".join(parts), anchor="lineage")


def _stop_form(name: str, token: str) -> str:
    return (
        f'<form class="stop" method="post" action="{esc(job_url(name))}/stop">'
        f'<input type="hidden" name="csrf" value="{esc(token)}">'
        '<button class="danger" type="submit">Stop</button></form>'
    )


def job_page(source: ConsoleSource, name: str, *, stop_token: str | None) -> bytes:
    """``stop_token``: the CSRF token for the stop form; None where stopping is not offered."""
    d = source.describe(name)
    status = d.get("ProcessingJobStatus", "")
    active = status in ACTIVE
    head = (
        f'<div class="title"><h1>{esc(name)}</h1>{status_badge(status)}'
        + (_stop_form(name, stop_token) if active and stop_token else "")
        + "</div>"
    )
    problems = []
    if d.get("FailureReason"):
        problems.append(("Failure reason", f"<pre>{esc(d['FailureReason'])}</pre>"))
    if d.get("ExitMessage"):
        problems.append(("Exit message", f"<pre>{esc(d['ExitMessage'])}</pre>"))
    alert = f'<div class="alert">{fields(problems)}</div>' if problems else ""
    jump = " · ".join(f'<a href="#{anchor}">{esc(label)}</a>' for anchor, label in _SECTIONS)
    alert += f'<nav class="jump">{jump}</nav>'

    body = (
        head
        + alert
        + settings_sections(d)
        + _inputs(source, d, name)
        + _outputs(source, d, name)
        + _lineage(source, name)
        + initial_logs(source, name, active)
        + tags_section(source.tags(d))
        + environment_section(d)
        + local_engine_section(d)
        + request_section(source.request(name, d))
    )
    return page(name, body, crumbs=[(name, None)])
