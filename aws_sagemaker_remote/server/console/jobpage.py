"""A processing job's page, in the SageMaker console's sections and words.

Job settings, app specification, resources, the tracked code (script, requirements,
configuration script, supporting code: the request's code channels), processing inputs
and outputs with each S3 path opening the console's browser, lineage, logs (live while the
job runs: ``console.js`` polls ``logs.json``), tags with the git state, environment, the
local engine's block and the exact request as JSON.
"""

from __future__ import annotations

from typing import Any

from ...aws.gittags import BRANCH_TAG, COMMIT_TAG, DIRTY_TAG, REMOTE_TAG
from ...backends import to_json
from ...backends.status import ACTIVE
from ...script import layout
from .html import (
    code,
    duration,
    esc,
    fields,
    job_url,
    page,
    section,
    status_badge,
    table,
    url,
    when,
)
from .lineage import lineage_of, lineage_svg
from .logs import initial_logs
from .source import ConsoleSource, as_datetime

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
    from ...job.s3uri import parse_s3_uri

    try:
        bucket, key = parse_s3_uri(uri)
    except ValueError:
        return code(uri)
    if not source.objects.serves(bucket):
        return code(uri)
    href = url("s3", bucket=bucket, prefix=key, job=job_name)
    return f'<a class="s3" href="{esc(href)}">{esc(uri)}</a>'


def _seconds(later: Any, earlier: Any) -> float | None:
    end, start = as_datetime(later), as_datetime(earlier)
    return (end - start).total_seconds() if end and start else None


def _settings(d: dict[str, Any]) -> str:
    app = d.get("AppSpecification") or {}
    cluster = (d.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    network = d.get("NetworkConfig") or {}
    runtime = (d.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    processing = _seconds(d.get("ProcessingEndTime"), d.get("ProcessingStartTime"))
    entrypoint = " ".join(app.get("ContainerEntrypoint") or []) or "-"
    arguments = app.get("ContainerArguments") or []
    job = fields(
        [
            ("Job name", esc(d.get("ProcessingJobName"))),
            ("ARN", code(d.get("ProcessingJobArn"))),
            ("Status", status_badge(d.get("ProcessingJobStatus", ""))),
            ("Creation time", esc(when(as_datetime(d.get("CreationTime"))))),
            ("Processing start time", esc(when(as_datetime(d.get("ProcessingStartTime"))))),
            ("Processing end time", esc(when(as_datetime(d.get("ProcessingEndTime"))))),
            ("Last modified time", esc(when(as_datetime(d.get("LastModifiedTime"))))),
            ("Processing time", esc(duration(processing))),
            ("IAM role ARN", code(d.get("RoleArn", "-"))),
        ]
    )
    spec = fields(
        [
            ("Image URI", code(app.get("ImageUri", "-"))),
            ("Container entrypoint", code(entrypoint)),
            (
                "Container arguments",
                "<ol class='args'>" + "".join(f"<li>{code(a)}</li>" for a in arguments) + "</ol>"
                if arguments
                else "-",
            ),
        ]
    )
    resources = fields(
        [
            ("Instance type", esc(cluster.get("InstanceType", "-"))),
            ("Instance count", esc(cluster.get("InstanceCount", "-"))),
            ("Volume size (GB)", esc(cluster.get("VolumeSizeInGB", "-"))),
            ("Max runtime", esc(duration(runtime) if runtime else "-")),
            (
                "Network isolation",
                esc("Enabled" if network.get("EnableNetworkIsolation") else "Disabled"),
            ),
        ]
    )
    return (
        section("Job settings", job, anchor="settings")
        + section("App specification", spec, anchor="app")
        + section("Resource configuration", resources, anchor="resources")
    )


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
                code(s3.get("LocalPath", "-")),
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
                code(s3.get("LocalPath", "-")),
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


def _tags(tags: list[dict[str, str]] | None) -> str:
    if tags is None:
        return section(
            "Tags",
            '<p class="empty">Not shown: reading them needs sagemaker:ListTags</p>',
            anchor="tags",
        )
    values = {t.get("Key"): t.get("Value") for t in tags}
    git = []
    if COMMIT_TAG in values:
        git.append(("Git commit", code(values[COMMIT_TAG])))
    if BRANCH_TAG in values:
        git.append(("Git branch", esc(values[BRANCH_TAG])))
    if DIRTY_TAG in values:
        dirty = values[DIRTY_TAG] == "true"
        git.append(
            (
                "Uncommitted changes",
                f'<span class="{"warn" if dirty else "ok"}">'
                f"{'Yes (dirty)' if dirty else 'No (clean)'}</span>",
            )
        )
    if REMOTE_TAG in values:
        git.append(("Git remote", code(values[REMOTE_TAG])))
    rows = [[esc(t.get("Key")), esc(t.get("Value"))] for t in tags]
    return section(
        "Tags",
        (fields(git) if git else "") + table(("Key", "Value"), rows, "No tags"),
        anchor="tags",
    )


def _environment(d: dict[str, Any]) -> str:
    rows = [[code(k), code(v)] for k, v in sorted((d.get("Environment") or {}).items())]
    return section("Environment", table(("Key", "Value"), rows, "No environment"), anchor="env")


def _local_engine(d: dict[str, Any]) -> str:
    engine = d.get("LocalEngine")
    if not engine:
        return ""

    def value(item: Any) -> str:
        if isinstance(item, (dict, list)):
            return f"<pre>{esc(to_json(item))}</pre>"
        return code(item)

    return section(
        "Local engine", fields((k, value(v)) for k, v in engine.items()), anchor="local-engine"
    )


def _request(request: dict[str, Any]) -> str:
    text = to_json(request)
    return section(
        "Request",
        '<p class="muted">The CreateProcessingJob request, exactly as the job was created.</p>'
        '<button type="button" class="copy" data-copy="request-json">Copy JSON</button>'
        f'<pre id="request-json" class="json">{esc(text)}</pre>',
        anchor="request",
    )


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
        + _settings(d)
        + _inputs(source, d, name)
        + _outputs(source, d, name)
        + _lineage(source, name)
        + initial_logs(source, name, active)
        + _tags(source.tags(d))
        + _environment(d)
        + _local_engine(d)
        + _request(source.request(name, d))
    )
    return page(name, body, crumbs=[(name, None)])
