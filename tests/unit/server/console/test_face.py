"""The console over the local engine, through real HTTP: pages, paging, filters, logs,
stop and its protection against other sites, the S3 browser, and every link answering."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from consolekit import fetch, links_of, put, record, record_many, served, token_of

from aws_sagemaker_remote.aws.gittags import BRANCH_TAG, COMMIT_TAG, DIRTY_TAG
from aws_sagemaker_remote.backends.local.runner.logstreams import (
    StreamWriter,
    stream_file,
    stream_name,
)
from aws_sagemaker_remote.server.console import LocalSource, console_face
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET

STORE = f"s3://{LOCAL_STORE_BUCKET}"


def names_listed(page: str) -> list[str]:
    return re.findall(r'<a href="/_console/jobs/([^"]+)">', page)


def test_the_bare_path_redirects_to_the_list(console):
    answer = fetch(console + "/_console")
    assert answer.status == 301 and answer.headers["location"] == "/_console/"


def test_a_thousand_jobs_are_listed_newest_first_fifty_a_page(engine, console):
    record_many(
        engine, [(f"bulk-{i:04d}", ("Failed", "Completed")[i % 3 > 0]) for i in range(1000)]
    )
    first = fetch(console + "/_console/")
    assert first.status == 200
    assert names_listed(first.text) == [f"bulk-{i:04d}" for i in range(999, 949, -1)]
    assert "1000 jobs" in first.text and "Page 1 of 20" in first.text
    assert 'rel="prev"' not in first.text
    following = [link for link in links_of(first.text) if "page=2" in link]
    second = fetch(console + html.unescape(following[0]))
    assert names_listed(second.text)[0] == "bulk-0949"
    for beyond in ("21", "9" * 40, "-1", "x"):  # nothing there, or not a page: no fault
        assert fetch(f"{console}/_console/?page={beyond}").status == 200
    last = fetch(console + "/_console/?page=20")
    assert names_listed(last.text)[-1] == "bulk-0000"
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text


def test_the_list_filters_by_status_and_name(engine, console):
    for i in range(30):
        record(
            engine,
            f"prep-{i:02d}" if i % 2 else f"train-{i:02d}",
            ("Failed", "Completed")[i % 3 > 0],
        )
    query = urlencode({"status": "Failed", "name": "PREP"})
    page = fetch(f"{console}/_console/?{query}").text
    assert names_listed(page) == ["prep-27", "prep-21", "prep-15", "prep-09", "prep-03"]
    assert "5 jobs" in page and '<option value="Failed" selected>' in page


def test_the_list_shows_status_instance_and_image(engine, console):
    record(engine, "shown", "Failed")
    page = fetch(console + "/_console/").text
    assert 'class="status status-failed">Failed<' in page
    assert "ml.t3.medium &times; 1" in page and "sagemaker-scikit-learn:1.2-1-cpu-py3" in page


def test_the_job_page_shows_settings_code_paths_tags_environment_and_the_request(engine, console):
    code = f"{STORE}/staging/trees/abc/"
    inputs = [
        ("code", code),
        ("requirements", f"{STORE}/staging/trees/req/requirements.txt"),
        ("configuration", f"{STORE}/staging/trees/cfg/"),
        ("module-textnorm", f"{STORE}/staging/trees/mod/"),
        ("data", "s3://elsewhere/raw/"),
    ]
    tags = [
        {"Key": COMMIT_TAG, "Value": "0123456789abcdef0123456789abcdef01234567"},
        {"Key": BRANCH_TAG, "Value": "main"},
        {"Key": DIRTY_TAG, "Value": "true"},
    ]
    made = record(
        engine,
        "full-job",
        "Failed",
        inputs=inputs,
        outputs=[("out", f"{STORE}/staging/jobs/full-job/out/")],
        tags=tags,
        environment={"LABEL": "<b>x</b>"},
    )
    page = fetch(console + "/_console/jobs/full-job").text
    for label in ("Job settings", "Processing inputs", "Processing outputs", "Tracked code"):
        assert f"<h2>{label}</h2>" in page
    for text in (
        "arn:aws:sagemaker:local:000000000000:processing-job/full-job",
        "ml.t3.medium",
        "AlgorithmError: main failed on purpose",
        "Script (and the code shipped with it)",
        "Requirements",
        "Configuration script",
        "Supporting code: textnorm",
        "0123456789abcdef0123456789abcdef01234567",
        "Yes (dirty)",
        "&lt;b&gt;x&lt;/b&gt;",  # escaped, never markup
    ):
        assert text in page, text
    for _, uri in inputs[:4]:
        assert f">{uri}</a>" in page  # the local store's paths open in the browser
    assert "<code>s3://elsewhere/raw/</code>" in page  # a bucket not served: no dead link
    shown = re.search(r'<pre id="request-json" class="json">(.*?)</pre>', page, re.S).group(1)
    assert json.loads(html.unescape(shown)) == made  # the exact request


def test_an_unknown_job_or_page_is_a_404_page(console):
    for path in ("/_console/jobs/no-such-job", "/_console/jobs/..", "/_console/nothing"):
        answer = fetch(console + path)
        assert answer.status == 404 and "<h1>Not found</h1>" in answer.text, path


def test_a_host_other_than_loopback_is_refused(engine, console):
    record(engine, "rebound")
    port = urlsplit(console).port
    answer = fetch(console + "/_console/jobs/rebound", headers={"Host": f"evil.example:{port}"})
    assert answer.status == 421 and "rebound" not in answer.text


def _post_stop(console, name, form, **headers):
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    return fetch(f"{console}/_console/jobs/{name}/stop", method="POST", body=body, headers=headers)


def test_stop_refuses_a_post_from_another_site(engine, console):
    record(engine, "running", "InProgress")
    token = token_of(fetch(console + "/_console/jobs/running").text)
    own = {"Origin": console}
    refused = [
        ({}, own),
        ({"csrf": "guessed"}, own),
        ({"csrf": token}, {"Origin": "http://evil.example"}),
        ({"csrf": token}, {"Origin": "null"}),
        ({"csrf": token}, {"Sec-Fetch-Site": "cross-site", **own}),
        ({"csrf": token}, {"Sec-Fetch-Site": "same-site"}),
    ]
    for form, headers in refused:
        answer = _post_stop(console, "running", form, **headers)
        assert answer.status == 403, (form, headers)
    assert fetch(console + "/_console/jobs/running/stop").status != 200  # a GET changes nothing
    assert engine.describe_job("running")["ProcessingJobStatus"] == "InProgress"


def test_stop_from_the_console_itself_stops_the_job(engine, console):
    record(engine, "to-stop", "InProgress")
    page = fetch(console + "/_console/jobs/to-stop").text
    assert 'action="/_console/jobs/to-stop/stop"' in page
    answer = _post_stop(
        console,
        "to-stop",
        {"csrf": token_of(page)},
        Origin=console,
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status == 303 and answer.headers["location"] == "/_console/jobs/to-stop"
    assert engine.describe_job("to-stop")["ProcessingJobStatus"] == "Stopping"


def test_a_read_only_console_offers_no_stop_and_takes_no_post(engine):
    record(engine, "watched", "InProgress")
    with served(console_face(LocalSource(engine), read_only=True)) as base:
        page = fetch(base + "/_console/jobs/watched").text
        assert 'class="stop"' not in page and "csrf" not in page
        answer = _post_stop(base, "watched", {"csrf": "anything"}, Origin=base)
        assert answer.status == 405
    assert engine.describe_job("watched")["ProcessingJobStatus"] == "InProgress"


def test_logs_json_gives_the_lines_after_the_cursor(engine, console):
    record(engine, "talky", "InProgress")
    stream = stream_name("talky", 1, 1733570000)
    writer = StreamWriter(stream_file(engine.store.job_dir("talky"), stream))
    writer.write("first <line>")
    page = fetch(console + "/_console/jobs/talky").text
    assert "first &lt;line&gt;" in page and 'data-active="1"' in page
    cursor = re.search(r'data-cursor="([^"]*)"', page).group(1)
    writer.write("second")
    writer.close()
    after = json.dumps({stream: cursor})
    update = json.loads(
        fetch(f"{console}/_console/jobs/talky/logs.json?{urlencode({'after': after})}").body
    )
    assert update["active"] is True and update["status"] == "InProgress"
    assert update["streams"][stream]["lines"] == ["second"]
    assert update["streams"][stream]["label"] == "algo-1"
    whole = json.loads(fetch(f"{console}/_console/jobs/talky/logs.json").body)
    assert whole["streams"][stream]["lines"] == ["first <line>", "second"]
    bad = json.dumps({stream: "not-a-cursor"})
    assert (
        fetch(f"{console}/_console/jobs/talky/logs.json?{urlencode({'after': bad})}").status == 400
    )


def test_the_instances_logs_sit_side_by_side_in_instance_order(engine, console):
    record(engine, "wide", "InProgress")
    for instance in (10, 2, 1):
        stream = stream_name("wide", instance, 1733570000)
        writer = StreamWriter(stream_file(engine.store.job_dir("wide"), stream))
        writer.write(f"from instance {instance}")
        writer.close()
    page = fetch(console + "/_console/jobs/wide").text
    labels = re.findall(
        r'<div class="stream" data-stream="[^"]+" data-cursor="\d+"><h3>([^<]+)', page
    )
    assert labels == ["algo-1", "algo-2", "algo-10"]
    assert (
        page.index("from instance 1\n")
        < page.index("from instance 2")
        < page.index("from instance 10")
    )


def test_the_s3_browser_lists_folders_and_downloads_files_byte_for_byte(engine, console):
    prefix = "staging/jobs/made/out/"
    record(engine, "made", outputs=[("out", f"{STORE}/{prefix}")])
    weird = prefix + 'we"ird; name <x>.txt'
    put(prefix + "a.txt", b"alpha\n")
    put(prefix + "deeper/b.bin", bytes(range(256)) * 5000)
    put(weird, b"\x00\xff")
    job = fetch(console + "/_console/jobs/made").text
    listing_link = next(link for link in links_of(job) if "prefix=" in link)
    listing = fetch(console + html.unescape(listing_link)).text
    assert "deeper/" in listing and "a.txt" in listing and "6 B" in listing
    assert "we&quot;ird; name &lt;x&gt;.txt" in listing
    files = [html.unescape(link) for link in links_of(listing) if "/s3/object?" in link]
    by_key = {parse_qs(urlsplit(link).query)["key"][0]: link for link in files}
    answer = fetch(console + by_key[prefix + "a.txt"])
    assert answer.body == b"alpha\n"
    assert answer.headers["content-disposition"].startswith('attachment; filename="a.txt"')
    odd = fetch(console + by_key[weird])
    assert odd.body == b"\x00\xff"
    assert odd.headers["content-disposition"] == (
        'attachment; filename="we_ird_ name <x>.txt"; '
        "filename*=UTF-8''we%22ird%3B%20name%20%3Cx%3E.txt"
    )
    deeper = next(link for link in links_of(listing) if "deeper" in link)
    big = fetch(console + html.unescape(deeper))
    big_link = next(html.unescape(link) for link in links_of(big.text) if "b.bin" in link)
    assert fetch(console + big_link).body == bytes(range(256)) * 5000


@pytest.mark.parametrize(
    "query, status",
    [
        ({"bucket": "another-bucket", "prefix": ""}, 404),
        ({"bucket": LOCAL_STORE_BUCKET, "prefix": "../"}, 400),
        ({"bucket": LOCAL_STORE_BUCKET, "prefix": "staging/../../"}, 400),
        ({"bucket": "", "prefix": ""}, 404),
    ],
)
def test_the_s3_browser_stays_inside_the_buckets_it_serves(console, query, status):
    assert fetch(f"{console}/_console/s3?{urlencode(query)}").status == status


def test_a_download_outside_the_store_is_refused(console):
    for key, status in (("../jobs.sqlite", 400), ("/etc/passwd", 400), ("missing.txt", 404)):
        query = urlencode({"bucket": LOCAL_STORE_BUCKET, "key": key})
        assert fetch(f"{console}/_console/s3/object?{query}").status == status, key


def test_static_files_are_served_with_the_pages_security_headers(console):
    css = fetch(console + "/_console/static/console.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    assert b"prefers-color-scheme: dark" in css.body
    js = fetch(console + "/_console/static/console.js")
    assert js.status == 200 and b"fetch(" in js.body
    assert fetch(console + "/_console/static/../face.py").status == 404
    page = fetch(console + "/_console/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_every_link_of_the_list_job_and_browser_pages_answers(engine, console):
    prefix = "staging/jobs/linked/out/"
    record(engine, "parent", outputs=[("out", f"{STORE}/staging/jobs/parent/out/")])
    record(
        engine,
        "linked",
        "Failed",
        inputs=[("data", f"{STORE}/staging/jobs/parent/out/"), ("code", f"{STORE}/trees/t/")],
        outputs=[("out", f"{STORE}/{prefix}")],
    )
    put(prefix + "sub/c.txt", b"c")
    put("trees/t/job.py", b"print(1)\n")
    seen: set[str] = set()
    pages = ["/_console/", "/_console/jobs/linked"]
    while pages:
        path = pages.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = fetch(console + path)
        assert answer.status == 200, path
        if answer.headers["content-type"].startswith("text/html"):
            for link in links_of(answer.text):
                if link.startswith("#"):  # the job page's jump links
                    assert f'id="{link[1:]}"' in answer.text, link
                    continue
                target = html.unescape(link).partition("#")[0]
                assert target.startswith("/_console/"), target  # nothing leaves the console
                pages.append(target)
    assert "/_console/jobs/parent" in seen  # lineage links both ways
    assert any("sub%2Fc.txt" in path for path in seen)
