"""The local engine never drops an input object silently: an object it cannot place fails
the job, naming it, as SageMaker fails on data it cannot download; a manifest's entries are
keys appended to its prefix, as SageMaker reads them, a leading "/" included."""

from __future__ import annotations

import json

import pytest
from e2e.test_local_engine import log_messages, make_request, s3_input, unique, wait_status

from aws_sagemaker_remote.backends.local import LocalBackend

pytestmark = pytest.mark.e2e  # real jobs against moto S3

BUCKET = "inputs-placed"
INPUT = "/opt/ml/processing/input/data"
# What arrived under the input's LocalPath: every file, and its bytes.
SHOW = """
import json, os
root = "/opt/ml/processing/input/data"
found = {}
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        found[os.path.relpath(path, root)] = open(path).read()
print("RESULT " + json.dumps(found, sort_keys=True), flush=True)
"""


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="code/job.py", Body=SHOW.encode())
    return s3


def run(backend: LocalBackend, data: dict) -> tuple[dict, list[str]]:
    name = unique("placed")
    request = make_request(
        name, f"s3://{BUCKET}/code/job.py", inputs=[s3_input("data", **data, local=INPUT)]
    )
    backend.create_job(request)
    return wait_status(backend, name, timeout=120), log_messages(backend, name)


def result(messages: list[str]) -> dict:
    (line,) = [m for m in messages if m.startswith("RESULT ")]
    return json.loads(line[len("RESULT ") :])


def test_objects_that_cannot_be_placed_fail_the_job_naming_them(bucket):
    keys = ["in/a.txt", "in/b.txt", "in/c", "in/c/d.txt", "in/e/../../x.txt"]
    for key in keys:
        bucket.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    described, messages = run(LocalBackend(), {"uri": f"s3://{BUCKET}/in/"})

    assert described["ProcessingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("ClientError: ") and "2 objects of input data" in reason
    for key in ("in/c", "in/e/../../x.txt"):
        assert f"s3://{BUCKET}/{key}" in reason
    assert not [m for m in messages if m.startswith("RESULT ")]  # the job never started


def test_a_manifest_entry_is_appended_to_the_prefix_a_leading_slash_included(bucket):
    bucket.put_object(Bucket=BUCKET, Key="m/a.txt", Body=b"a")
    bucket.put_object(Bucket=BUCKET, Key="m/sub/c.txt", Body=b"c")
    manifest = [{"prefix": f"s3://{BUCKET}/m"}, "/a.txt", "/sub/c.txt"]  # m + /a.txt
    bucket.put_object(Bucket=BUCKET, Key="lists/all.manifest", Body=json.dumps(manifest).encode())
    data = {"uri": f"s3://{BUCKET}/lists/all.manifest", "S3DataType": "ManifestFile"}
    described, messages = run(LocalBackend(), data)

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert result(messages) == {"a.txt": "a", "sub/c.txt": "c"}


def test_a_manifest_entry_naming_no_object_fails_the_job_naming_it(bucket):
    bucket.put_object(Bucket=BUCKET, Key="m/a.txt", Body=b"a")
    bucket.put_object(Bucket=BUCKET, Key="m/b.txt", Body=b"b")
    manifest = [{"prefix": f"s3://{BUCKET}/m/"}, "a.txt", "/b.txt"]  # m//b.txt, not m/b.txt
    bucket.put_object(Bucket=BUCKET, Key="lists/gap.manifest", Body=json.dumps(manifest).encode())
    data = {"uri": f"s3://{BUCKET}/lists/gap.manifest", "S3DataType": "ManifestFile"}
    described, _ = run(LocalBackend(), data)

    assert described["ProcessingJobStatus"] == "Failed"
    assert f"s3://{BUCKET}/m//b.txt" in described["FailureReason"]


def test_two_manifest_entries_for_one_file_keep_the_last_and_say_so_in_the_log(bucket):
    bucket.put_object(Bucket=BUCKET, Key="ma.txt", Body=b"first")
    bucket.put_object(Bucket=BUCKET, Key="m/a.txt", Body=b"second")
    manifest = [{"prefix": f"s3://{BUCKET}/m"}, "a.txt", "/a.txt"]  # both land at a.txt
    bucket.put_object(Bucket=BUCKET, Key="lists/twice.manifest", Body=json.dumps(manifest).encode())
    data = {"uri": f"s3://{BUCKET}/lists/twice.manifest", "S3DataType": "ManifestFile"}
    described, messages = run(LocalBackend(), data)

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert result(messages) == {"a.txt": "second"}
    said = [m for m in messages if f"s3://{BUCKET}/ma.txt is not placed" in m]
    assert said and said[0].startswith("[aws-sagemaker-remote]"), messages
