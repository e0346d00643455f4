"""The parts of a job's page that render its description alone: settings, tags (with the
git state), environment, the local engine's block and the exact request."""

from __future__ import annotations

from typing import Any

from ...aws.gittags import BRANCH_TAG, COMMIT_TAG, DIRTY_TAG, REMOTE_TAG
from ...backends import to_json
from .html import code, duration, esc, fields, section, status_badge, table, when
from .source import as_datetime


def _seconds(later: Any, earlier: Any) -> float | None:
    end, start = as_datetime(later), as_datetime(earlier)
    return (end - start).total_seconds() if end and start else None


def settings_sections(d: dict[str, Any]) -> str:
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


def tags_section(tags: list[dict[str, str]] | None) -> str:
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


def environment_section(d: dict[str, Any]) -> str:
    rows = [[code(k), code(v)] for k, v in sorted((d.get("Environment") or {}).items())]
    return section("Environment", table(("Key", "Value"), rows, "No environment"), anchor="env")


def local_engine_section(d: dict[str, Any]) -> str:
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


def request_section(request: dict[str, Any]) -> str:
    text = to_json(request)
    return section(
        "Request",
        '<p class="muted">The CreateProcessingJob request, exactly as the job was created.</p>'
        '<button type="button" class="copy" data-copy="request-json">Copy JSON</button>'
        f'<pre id="request-json" class="json">{esc(text)}</pre>',
        anchor="request",
    )
