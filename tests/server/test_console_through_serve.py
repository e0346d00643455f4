"""The console mounted by ``serve``: a job created with boto3 through the server shows in
the list, its page links every S3 path to the server's own buckets (whose files download
byte for byte), its log lines arrive while it runs, and its stop button stops it."""

from __future__ import annotations

import html
import json
import re
import urllib.parse

import pytest
from consolekit import dump_dom, fetch, links_of, token_of, wait_for

from .conftest import job_request, wait_for_end

TICKER = "import time; [(print('tick', i, flush=True), time.sleep(0.1)) for i in range(600)]"
COPY = (
    "import shutil; shutil.copy('/opt/ml/processing/input/data/words.txt', "
    "'/opt/ml/processing/output/result/words.txt')"
)


def _job_with_channels(serve, name: str, bucket: str, data: bytes) -> None:
    s3 = serve.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/words.txt", Body=data)
    request = job_request(
        name,
        COPY,
        ProcessingInputs=[
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/in/",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/out/{name}/",
                        "LocalPath": "/opt/ml/processing/output/result",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )
    serve.client("sagemaker").create_processing_job(**request)


def test_serve_prints_where_its_console_is(serve):
    answer = fetch(serve.url + "/_console/")
    assert answer.status == 200 and "Processing jobs" in answer.text


def test_a_job_made_through_serve_is_listed_and_its_paths_browse_its_buckets(serve, job_name):
    data = b"one two\nthree\n" * 100
    bucket = f"console-{job_name}"
    _job_with_channels(serve, job_name, bucket, data)
    described = wait_for_end(serve.client("sagemaker"), job_name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")

    listed = fetch(serve.url + "/_console/?name=" + job_name).text
    assert f">{job_name}</a>" in listed
    page = fetch(f"{serve.url}/_console/jobs/{job_name}").text
    for uri in (f"s3://{bucket}/in/", f"s3://{bucket}/out/{job_name}/"):
        assert f">{html.escape(uri)}</a>" in page, uri
    output_listing = [
        link
        for link in links_of(page)
        if link.startswith("/_console/s3")
        and f"prefix=out/{job_name}/" in urllib.parse.unquote(html.unescape(link))
    ]
    assert output_listing, "the output's path links to a listing"
    listing = fetch(serve.url + html.unescape(output_listing[0])).text
    downloads = [html.unescape(link) for link in links_of(listing) if "s3/object" in link]
    assert downloads, listing
    assert fetch(serve.url + downloads[0]).body == data


def test_logs_arrive_while_a_job_runs_and_the_stop_button_stops_it(serve, job_name):
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, TICKER))
    logs_url = f"{serve.url}/_console/jobs/{job_name}/logs.json"

    def ticks() -> int:
        logs = json.loads(fetch(logs_url).body)
        lines = [line for stream in logs["streams"].values() for line in stream["lines"]]
        return len([line for line in lines if re.fullmatch(r"tick \d+", line)])

    first = wait_for(ticks, what="the job's first line")
    wait_for(lambda: ticks() > first, what="more lines while it runs")
    page = fetch(f"{serve.url}/_console/jobs/{job_name}").text
    cross_site = fetch(
        f"{serve.url}/_console/jobs/{job_name}/stop",
        method="POST",
        body=f"csrf={token_of(page)}".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://evil.example",
        },
    )
    assert cross_site.status == 403
    assert sagemaker.describe_processing_job(ProcessingJobName=job_name)["ProcessingJobStatus"] in (
        "InProgress",
        "Completing",
    )
    stopped = fetch(
        f"{serve.url}/_console/jobs/{job_name}/stop",
        method="POST",
        body=f"csrf={token_of(page)}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": serve.url},
    )
    assert stopped.status in (303, 200), stopped.text
    assert wait_for_end(sagemaker, job_name)["ProcessingJobStatus"] == "Stopped"


@pytest.mark.e2e
def test_chromium_lists_a_job_made_through_serve(serve, job_name, tmp_path):
    serve.client("sagemaker").create_processing_job(**job_request(job_name))
    wait_for_end(serve.client("sagemaker"), job_name)
    listed = dump_dom(tmp_path / "chromium", serve.url + "/_console/")
    assert f">{job_name}</a>" in listed
