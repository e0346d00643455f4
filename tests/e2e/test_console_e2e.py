"""The console over jobs the local engine really ran, and in a real browser.

Each test runs an example (or a small script of its own) with ``--sagemaker-instance local``
and serves the console over the same job store, on 127.0.0.1. The browser tests drive
Debian's headless Chromium (``--dump-dom``, or its DevTools protocol for what happens while
a job runs) and skip, with the reason, where no browser starts.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import EXAMPLES, REPO, run_script
from consolekit import DevTools, dump_dom, fetch, links_of, served, wait_for

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.server.console import LocalSource, console_face

LOCAL = ("--sagemaker-run", "true", "--sagemaker-instance", "local")

TICKER = """
import time
from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    for i in range(1000):
        print(f"tick {i}", flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"output": "out"})
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def console():
    with served(console_face(LocalSource(LocalBackend()), read_only=False)) as base:
        yield base


def run_example(script, name: str, *args, cwd) -> None:
    done = run_script(script, *LOCAL, "--sagemaker-job-name", name, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr


def not_of_job(path: str, name: str, job_uris: list[str]) -> bool:
    """Whether a console path is another job's page, or S3 data none of ``name``'s paths
    lead to (other jobs' outputs sit beside this one's, one breadcrumb up)."""
    parts = urlsplit(path)
    if parts.path.startswith("/_console/jobs/"):
        return name not in parts.path
    if parts.path not in ("/_console/s3", "/_console/s3/object"):
        return False
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    where = f"s3://{query.get('bucket', '')}/{query.get('prefix', query.get('key', ''))}"
    return not any(uri.startswith(where) or where.startswith(uri) for uri in job_uris)


def s3_paths(name: str) -> list[str]:
    description = LocalBackend().describe_job(name)
    uris = [i["S3Input"]["S3Uri"] for i in description["ProcessingInputs"]]
    uris += [o["S3Output"]["S3Uri"] for o in description["ProcessingOutputConfig"]["Outputs"]]
    return uris


@pytest.mark.e2e
def test_every_console_link_of_an_engine_job_answers_and_outputs_download_exactly(
    tmp_path, console
):
    name = unique("console-wc")
    run_example(EXAMPLES / "wordcount.py", name, "--output", tmp_path / "out", cwd=tmp_path)
    job_uris = s3_paths(name)
    seen, pages, downloads = set(), ["/_console/", f"/_console/jobs/{name}"], {}
    while pages:
        path = pages.pop()
        if path in seen or not_of_job(path, name, job_uris):
            continue  # other tests' jobs, and their data, are theirs to crawl
        seen.add(path)
        answer = fetch(console + path)
        assert answer.status == 200, path
        if "/s3/object?" in path:
            downloads[path] = answer.body
        elif answer.headers["content-type"].startswith("text/html"):
            for link in links_of(answer.text):
                if not link.startswith("#"):
                    pages.append(html.unescape(link))
    produced = (tmp_path / "out" / "counts.tsv").read_bytes()
    assert produced == (REPO / "tests" / "expected" / "wordcount-counts.tsv").read_bytes()
    counts = [body for path, body in downloads.items() if "counts.tsv" in path]
    assert counts == [produced]  # the output, downloaded from the console, byte for byte
    assert any("wordcount.py" in path for path in downloads)  # the tracked script too


@pytest.mark.e2e
def test_chromium_shows_the_job_in_the_list_and_every_tracked_path(tmp_path, console):
    name = unique("console-ts")
    script = EXAMPLES / "textstats" / "textstats.py"
    run_example(script, name, "--output", tmp_path / "out", cwd=tmp_path)
    listed = dump_dom(tmp_path / "chromium", console + "/_console/")
    assert f">{name}</a>" in listed
    page = dump_dom(tmp_path / "chromium", f"{console}/_console/jobs/{name}")
    paths = s3_paths(name)
    assert len(paths) == 6  # code, requirements, configuration, the module, input, output
    for uri in paths:
        assert f">{html.escape(uri)}</a>" in page, uri
    for role in ("Script", "Requirements", "Configuration script", "Supporting code: textnorm"):
        assert role in page
    assert 'status-completed">Completed<' in page


@pytest.mark.e2e
def test_chromium_follows_the_logs_of_a_running_job_and_stops_it(tmp_path, console):
    name = unique("console-tick")
    script = tmp_path / "ticker.py"
    script.write_text(TICKER)
    started = run_script(
        script, *LOCAL, "--sagemaker-job-name", name, "--sagemaker-wait", "false", cwd=tmp_path
    )
    assert started.returncode == 0, started.stderr
    backend = LocalBackend()
    try:
        wait_for(
            lambda: any(
                "tick" in event.message
                for stream in backend.log_streams(name)
                for event in backend.read_log(stream).events
            ),
            what="the job's first line",
        )
        browser = DevTools(tmp_path / "chromium")
        try:
            browser.open(f"{console}/_console/jobs/{name}")
            count = "document.querySelector('pre.log').textContent.split('tick').length - 1"
            first = browser.evaluate(count)
            assert first >= 1
            wait_for(lambda: (browser.evaluate(count) or 0) > first + 2, what="new lines")
            browser.evaluate("document.querySelector('form.stop button').click()")
            wait_for(
                lambda: backend.describe_job(name)["ProcessingJobStatus"] == "Stopped",
                what="the job stopping",
            )
            wait_for(  # the page follows until the job ends, then shows it ended
                lambda: browser.evaluate(
                    "!!document.querySelector('.title .status-stopped') && "
                    "!document.querySelector('form.stop')"
                ),
                what="the page showing Stopped",
            )
        finally:
            browser.close()
    finally:
        if backend.describe_job(name)["ProcessingJobStatus"] in ("InProgress", "Stopping"):
            backend.stop_job(name)
    logs = json.loads(fetch(f"{console}/_console/jobs/{name}/logs.json").body)
    assert logs["active"] is False and logs["status"] == "Stopped"
    lines = [line for stream in logs["streams"].values() for line in stream["lines"]]
    assert [line for line in lines if re.fullmatch(r"tick \d+", line)]
