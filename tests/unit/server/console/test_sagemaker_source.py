"""The console over SageMaker, against moto server: jobs created with boto3 are listed and
described (list and describe only); S3 paths open only where a job names them."""

from __future__ import annotations

import html
import re
import urllib.request
from urllib.parse import urlencode

import boto3
import pytest
from consolekit import fetch, job_request, links_of, served

from aws_sagemaker_remote.aws.gittags import COMMIT_TAG
from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend
from aws_sagemaker_remote.server.console import S3Objects, SageMakerSource, console_face

BUCKET = "console-data"


@pytest.fixture(scope="module")
def moto_jobs(moto_server):
    """The emulated account's jobs and objects, made once for this module's tests."""
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10
    ).close()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="jobs/made/out/result.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket=BUCKET, Key="jobs/made/out/part/x.bin", Body=bytes(range(256)))
    s3.put_object(Bucket=BUCKET, Key="secret/key.txt", Body=b"not for the console")
    sagemaker = boto3.client("sagemaker")
    for name in ("prep-1", "prep-2", "made"):
        request = job_request(
            name,
            inputs=[("data", f"s3://{BUCKET}/raw/")],
            outputs=[("out", f"s3://{BUCKET}/jobs/{name}/out/")],
            tags=[{"Key": COMMIT_TAG, "Value": "feedface" * 5}],
        )
        sagemaker.create_processing_job(**request)
    reader = job_request("reads-made", inputs=[("data", f"s3://{BUCKET}/jobs/made/out/part/")])
    sagemaker.create_processing_job(**reader)


@pytest.fixture()
def sagemaker_console(moto_jobs):
    """A console with nothing described yet, over the module's account."""
    context = resolve_aws(None)
    source = SageMakerSource(SageMakerBackend(context), S3Objects(context.session, context.region))
    with served(console_face(source, read_only=True)) as base:
        yield base


def test_jobs_are_listed_and_filtered(sagemaker_console):
    page = fetch(sagemaker_console + "/_console/").text
    listed = re.findall(r'<a href="/_console/jobs/([^"]+)">', page)
    assert sorted(listed) == ["made", "prep-1", "prep-2", "reads-made"]
    assert "on SageMaker" in page and "sagemaker-scikit-learn:1.2-1-cpu-py3" in page
    named = fetch(f"{sagemaker_console}/_console/?{urlencode({'name': 'prep'})}").text
    assert sorted(re.findall(r'<a href="/_console/jobs/([^"]+)">', named)) == ["prep-1", "prep-2"]
    failed = fetch(f"{sagemaker_console}/_console/?status=Failed").text
    assert "No processing jobs" in failed


def test_a_job_is_described_with_its_paths_and_tags(sagemaker_console):
    page = fetch(sagemaker_console + "/_console/jobs/made").text
    assert "arn:aws:sagemaker:us-east-1:123456789012:processing-job/made" in page
    assert "sagemaker-scikit-learn:1.2-1-cpu-py3" in page and "feedface" * 5 in page
    assert f">s3://{BUCKET}/jobs/made/out/</a>" in page and f">s3://{BUCKET}/raw/</a>" in page
    assert 'class="stop"' not in page  # read-only
    assert fetch(sagemaker_console + "/_console/jobs/nope").status == 404


def test_s3_paths_of_the_job_are_browsed_and_downloaded(sagemaker_console):
    page = fetch(sagemaker_console + "/_console/jobs/made").text
    link = next(html.unescape(x) for x in links_of(page) if "jobs%2Fmade%2Fout" in x)
    listing = fetch(sagemaker_console + link)
    assert listing.status == 200 and "result.csv" in listing.text and "part/" in listing.text
    download = next(html.unescape(x) for x in links_of(listing.text) if "result.csv" in x)
    answer = fetch(sagemaker_console + download)
    assert answer.body == b"a,b\n1,2\n" and "result.csv" in answer.headers["content-disposition"]


@pytest.mark.parametrize(
    "path, query",
    [
        ("s3", {"bucket": BUCKET, "prefix": "secret/", "job": "made"}),
        ("s3", {"bucket": BUCKET, "prefix": "jobs/made/out/"}),  # no job named
        ("s3", {"bucket": BUCKET, "prefix": "jobs/", "job": "made"}),  # above its paths
        ("s3/object", {"bucket": BUCKET, "key": "secret/key.txt", "job": "made"}),
        ("s3/object", {"bucket": "other", "key": "jobs/made/out/result.csv", "job": "made"}),
        ("s3", {"bucket": BUCKET, "prefix": "jobs/made/out/", "job": "../made"}),
    ],
)
def test_paths_no_job_names_are_not_served(sagemaker_console, path, query):
    answer = fetch(f"{sagemaker_console}/_console/{path}?{urlencode(query)}")
    assert answer.status == 404 and b"not for the console" not in answer.body


def test_a_read_only_console_refuses_stop(sagemaker_console):
    answer = fetch(sagemaker_console + "/_console/jobs/made/stop", method="POST", body=b"csrf=x")
    assert answer.status == 405


def test_lineage_is_found_among_sagemaker_jobs(sagemaker_console):
    reader = fetch(sagemaker_console + "/_console/jobs/reads-made").text
    assert 'href="/_console/jobs/made"' in reader  # its producer, named by the output path
    fetch(sagemaker_console + "/_console/")  # the list describes (and keeps) ended jobs
    producer = fetch(sagemaker_console + "/_console/jobs/made").text
    assert 'href="/_console/jobs/reads-made"' in producer  # and the consumer, both ways
