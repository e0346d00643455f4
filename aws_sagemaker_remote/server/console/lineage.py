"""Which jobs made this job's inputs, and which jobs read its outputs.

A ``job://prep/features`` input reaches the request already resolved to the S3 prefix
where that output landed, so lineage is found by S3 location: an input is another job's
output when its URI is that output's prefix or lies under it. Candidates come from the
source's search of requests (SQLite for the local engine; for SageMaker, the jobs it has
described) and from the job name the default layout puts in an output's path, and are
then checked against the candidate's own description, so a job that merely reads the same
data is no parent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...errors import Error
from ...job.lineage import JOB_NAME
from ...script import layout
from .html import esc, job_url

MAX_HOPS = 4
MAX_NODES = 30
_CODE_CHANNELS = (layout.CODE_CHANNEL, layout.REQUIREMENTS_CHANNEL, layout.CONFIGURATION_CHANNEL)


@dataclass(frozen=True)
class Link:
    """One edge: ``producer``'s output ``output`` is read as ``consumer``'s ``input``."""

    producer: str
    output: str  # the producer's output name
    consumer: str
    input: str  # the consumer's input name


def data_inputs(description: dict[str, Any]) -> list[tuple[str, str]]:
    """(input name, S3 URI) of the inputs that are data, not shipped code."""
    found = []
    for item in description.get("ProcessingInputs", []):
        name = item.get("InputName", "")
        uri = (item.get("S3Input") or {}).get("S3Uri")
        if uri and name not in _CODE_CHANNELS and not name.startswith(layout.MODULE_CHANNEL_PREFIX):
            found.append((name, uri))
    return found


def outputs(description: dict[str, Any]) -> list[tuple[str, str]]:
    """(output name, S3 URI) of the job's outputs."""
    config = description.get("ProcessingOutputConfig") or {}
    return [
        (item.get("OutputName", ""), (item.get("S3Output") or {}).get("S3Uri", ""))
        for item in config.get("Outputs", [])
        if (item.get("S3Output") or {}).get("S3Uri")
    ]


def covers(output_uri: str, input_uri: str) -> bool:
    """Whether reading ``input_uri`` reads (part of) what went to ``output_uri``."""
    root = output_uri.rstrip("/")
    return input_uri.rstrip("/") == root or input_uri.startswith(root + "/")


def _ancestors(uri: str) -> list[str]:
    """The URI and each parent prefix (with and without its "/"), as a request spells them."""
    bucket_end = uri.find("/", len("s3://"))
    found, path = [], uri.rstrip("/")
    while bucket_end > 0 and len(path) > bucket_end:
        found += [path, path + "/"]
        path = path[: path.rfind("/")]
    return found


def _describe(source: Any, name: str, seen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if name not in seen:
        try:
            seen[name] = source.describe(name)
        except Error:
            seen[name] = {}
    return seen[name]


def _named_in_path(uri: str) -> list[str]:
    """Job names the default output layout puts in a URI: ``.../jobs/<job>/<output>/``."""
    parts = uri[len("s3://") :].split("/")
    return [
        after
        for before, after in zip(parts, parts[1:])
        if before == "jobs" and JOB_NAME.fullmatch(after)
    ]


def producers_of(source: Any, name: str, seen: dict[str, dict[str, Any]]) -> list[Link]:
    inputs = data_inputs(_describe(source, name, seen))
    texts = [json.dumps(a) for _, uri in inputs for a in _ancestors(uri)]
    candidates = dict.fromkeys(source.jobs_mentioning(texts) if texts else [])
    candidates.update(dict.fromkeys(n for _, uri in inputs for n in _named_in_path(uri)))
    links = []
    for candidate in candidates:
        if candidate == name:
            continue
        for output, output_uri in outputs(_describe(source, candidate, seen)):
            for input_name, uri in inputs:
                if covers(output_uri, uri):
                    links.append(Link(candidate, output, name, input_name))
    return links


def consumers_of(source: Any, name: str, seen: dict[str, dict[str, Any]]) -> list[Link]:
    made = outputs(_describe(source, name, seen))
    texts = [json.dumps(uri.rstrip("/"))[:-1] for _, uri in made]  # the opening quote: a prefix
    links = []
    for candidate in source.jobs_mentioning(texts) if texts else []:
        if candidate == name:
            continue
        for input_name, uri in data_inputs(_describe(source, candidate, seen)):
            for output, output_uri in made:
                if covers(output_uri, uri):
                    links.append(Link(name, output, candidate, input_name))
    return links


@dataclass(frozen=True)
class Lineage:
    """A job's place among the jobs it reads from and that read from it."""

    parents: list[Link]  # jobs whose outputs this job reads
    children: list[Link]  # jobs that read this job's outputs
    edges: list[Link]  # the whole graph within MAX_HOPS, this job included
    depth: dict[str, int]  # job -> generation relative to this one (parents < 0)


def lineage_of(source: Any, name: str) -> Lineage:
    seen: dict[str, dict[str, Any]] = {}
    parents = producers_of(source, name, seen)
    children = consumers_of(source, name, seen)
    depth = {name: 0}
    edges = {*parents, *children}
    for step, links_of, first_hop in ((-1, producers_of, parents), (1, consumers_of, children)):
        frontier = [name]
        for hop in range(1, MAX_HOPS + 1):
            following = []
            for job in frontier:
                found = first_hop if job == name else links_of(source, job, seen)
                for link in found:
                    other = link.producer if step < 0 else link.consumer
                    edges.add(link)
                    if other not in depth and len(depth) < MAX_NODES:
                        depth[other] = step * hop
                        following.append(other)
            frontier = following
    edges = {e for e in edges if e.producer in depth and e.consumer in depth}
    order = sorted(edges, key=lambda e: (depth[e.producer], e.producer, e.consumer))
    return Lineage(parents, children, order, depth)


def lineage_svg(lineage: Lineage, current: str) -> str:
    """The graph as inline SVG: a column per generation, each job a linked box."""
    columns: dict[int, list[str]] = {}
    for job, generation in sorted(lineage.depth.items(), key=lambda item: (item[1], item[0])):
        columns.setdefault(generation, []).append(job)
    first = min(columns)
    box_w, box_h, gap_x, gap_y = 210, 34, 70, 16
    place = {}
    for generation, jobs in columns.items():
        for row, job in enumerate(jobs):
            place[job] = ((generation - first) * (box_w + gap_x), row * (box_h + gap_y))
    width = (max(columns) - first + 1) * (box_w + gap_x) - gap_x
    height = max(len(jobs) for jobs in columns.values()) * (box_h + gap_y) - gap_y
    parts = [
        f'<svg class="lineage" role="img" aria-label="Lineage graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for edge in lineage.edges:
        x1, y1 = place[edge.producer]
        x2, y2 = place[edge.consumer]
        x1, y1, y2 = x1 + box_w, y1 + box_h // 2, y2 + box_h // 2
        middle = (x1 + x2) // 2
        parts.append(
            f'<path class="edge" d="M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}">'
            f"<title>{esc(edge.producer)}/{esc(edge.output)} → "
            f"{esc(edge.consumer)} ({esc(edge.input)})</title></path>"
        )
    for job, (x, y) in place.items():
        label = job if len(job) <= 28 else job[:26] + "…"
        kind = "node current" if job == current else "node"
        parts.append(
            f'<a href="{esc(job_url(job))}"><g class="{kind}">'
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6"/>'
            f'<text x="{x + 10}" y="{y + box_h // 2 + 5}">{esc(label)}</text>'
            f"<title>{esc(job)}</title></g></a>"
        )
    parts.append("</svg>")
    return "".join(parts)
