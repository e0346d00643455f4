"""An input that denotes a directory is sent as a prefix ending in "/".

SageMaker delivers every key that starts with an S3Prefix, so ``job://prep/clean`` sent as
``.../clean`` would also hand the job ``.../clean_v2/...``. Each test has sibling outputs
``clean`` and ``clean_v2`` and checks what is asked for (dry run, SageMaker on moto) and
what a job really receives (the local engine).
"""

from __future__ import annotations

import json
import os

import boto3
import pytest
from conftest import run_script
from integration.test_sagemaker_backend import processing_request
from scripts import write_script

from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend

BUCKET = "lineage-bucket"
CONSUMER = 'inputs={"input": "data"}, outputs={"output": "out"},'


def input_uri(request: dict) -> str:
    return next(
        i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"] if i["InputName"] == "input"
    )


@pytest.fixture()
def prep(moto_reset, s3):
    """A completed SageMaker job "prep" with sibling outputs clean and clean_v2."""
    s3.create_bucket(Bucket=BUCKET)
    for key in ("prep/clean/a.txt", "prep/clean_v2/b.txt", "raw/clean/c.txt", "raw/clean_v2/d"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    outputs = {"clean": f"s3://{BUCKET}/prep/clean", "clean_v2": f"s3://{BUCKET}/prep/clean_v2"}
    SageMakerBackend(resolve_aws(None)).create_job(processing_request("prep", outputs=outputs))


@pytest.fixture()
def consumer(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x\n")
    return write_script(tmp_path, CONSUMER)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "given, sent",
    [
        ("job://prep/clean", f"s3://{BUCKET}/prep/clean/"),
        ("job://prep/clean/", f"s3://{BUCKET}/prep/clean/"),
        (f"s3://{BUCKET}/raw/clean", f"s3://{BUCKET}/raw/clean/"),
        (f"s3://{BUCKET}/raw/clean_v2/d", f"s3://{BUCKET}/raw/clean_v2/d"),  # one object
    ],
)
def test_the_dry_run_sends_directories_with_a_trailing_slash(prep, consumer, given, sent):
    done = run_script(consumer, "--sagemaker-dry-run", "true", "--input", given)
    assert done.returncode == 0, done.stderr
    assert input_uri(json.loads(done.stdout)) == sent


@pytest.mark.e2e
def test_the_dry_run_without_aws_guesses_a_directory(consumer, no_aws_env):
    done = run_script(
        consumer, "--sagemaker-dry-run", "true", "--input", "job://prep/clean", env=no_aws_env
    )
    assert done.returncode == 0, done.stderr
    assert input_uri(json.loads(done.stdout)).endswith("/jobs/prep/clean/")


@pytest.mark.e2e
def test_the_sagemaker_job_gets_the_directory_prefix(prep, consumer):
    done = run_script(
        consumer,
        "--sagemaker-run",
        "true",
        "--sagemaker-wait",
        "false",
        "--sagemaker-job-name",
        "consume",
        "--input",
        "job://prep/clean",
    )
    assert done.returncode == 0, done.stderr
    job = boto3.client("sagemaker").describe_processing_job(ProcessingJobName="consume")
    assert input_uri(job) == f"s3://{BUCKET}/prep/clean/"


PRODUCER = """
import os
from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    for folder, name in ((args.clean, "kept.txt"), (args.clean_v2, "leaked.txt")):
        with open(os.path.join(folder, name), "w") as f:
            f.write(name + "\\n")


if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"clean": "clean", "clean_v2": "clean_v2"})
"""

LISTER = """
import os
from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    found = sorted(
        os.path.relpath(os.path.join(root, name), args.input)
        for root, _, files in os.walk(args.input)
        for name in files
    )
    with open(os.path.join(args.output, "received.txt"), "w") as f:
        f.write("\\n".join(found) + "\\n")


if __name__ == "__main__":
    sagemaker_processing_main(main=main, inputs={"input": "data"}, outputs={"output": "out"})
"""


@pytest.mark.e2e
def test_the_local_engine_job_receives_only_that_output(tmp_path, no_aws_env):
    (tmp_path / "producer.py").write_text(PRODUCER)
    (tmp_path / "lister.py").write_text(LISTER)
    local = ("--sagemaker-run", "true", "--sagemaker-instance", "local")
    made = run_script(
        tmp_path / "producer.py",
        *local,
        "--sagemaker-job-name",
        "producer",
        cwd=tmp_path,
        env=no_aws_env,
    )
    assert made.returncode == 0, made.stderr
    used = run_script(
        tmp_path / "lister.py",
        *local,
        "--input",
        "job://producer/clean",
        "--output",
        tmp_path / "listing",
        cwd=tmp_path,
        env=no_aws_env,
    )
    assert used.returncode == 0, used.stderr
    assert (tmp_path / "listing" / "received.txt").read_text() == "kept.txt\n"
    assert not os.path.exists(tmp_path / "listing" / "leaked.txt")


@pytest.fixture()
def object_with_sibling(moto_reset, s3):
    """``raw/f.csv`` and, beside it, ``raw/f.csv.bak``: an S3Prefix ``raw/f.csv`` gets both."""
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="raw/f.csv", Body=b"a,b\n")
    s3.put_object(Bucket=BUCKET, Key="raw/f.csv.bak", Body=b"old\n")
    return f"s3://{BUCKET}/raw/f.csv"


def input_of(request: dict) -> dict:
    return next(i for i in request["ProcessingInputs"] if i["InputName"] == "input")["S3Input"]


@pytest.mark.e2e
def test_one_object_with_keys_beside_it_goes_as_a_one_entry_manifest(
    object_with_sibling, consumer, s3
):
    done = run_script(
        consumer,
        "--sagemaker-run",
        "true",
        "--sagemaker-wait",
        "false",
        "--sagemaker-job-name",
        "one-object",
        "--input",
        object_with_sibling,
    )
    assert done.returncode == 0, done.stderr
    job = boto3.client("sagemaker").describe_processing_job(ProcessingJobName="one-object")
    sent = input_of(job)
    assert sent["S3DataType"] == "ManifestFile"
    bucket, key = sent["S3Uri"][len("s3://") :].split("/", 1)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert manifest == [{"prefix": f"s3://{BUCKET}/raw/"}, "f.csv"]
    assert "--input /opt/ml/processing/input/input/f.csv" in " ".join(
        job["AppSpecification"]["ContainerArguments"]
    )


@pytest.mark.e2e
def test_one_object_alone_is_still_sent_as_its_prefix(moto_reset, s3, consumer):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="raw/f.csv", Body=b"a,b\n")
    done = run_script(
        consumer, "--sagemaker-dry-run", "true", "--input", f"s3://{BUCKET}/raw/f.csv"
    )
    assert done.returncode == 0, done.stderr
    sent = input_of(json.loads(done.stdout))
    assert (sent["S3Uri"], sent["S3DataType"]) == (f"s3://{BUCKET}/raw/f.csv", "S3Prefix")


@pytest.mark.e2e
def test_the_local_engine_job_receives_only_the_object(object_with_sibling, tmp_path):
    # the argument is the object's path: list the folder it is in
    (tmp_path / "lister.py").write_text(LISTER.replace("args.input", "os.path.dirname(args.input)"))
    used = run_script(
        tmp_path / "lister.py",
        "--sagemaker-run",
        "true",
        "--sagemaker-instance",
        "local",
        "--input",
        object_with_sibling,
        "--output",
        tmp_path / "listing",
        cwd=tmp_path,
    )
    assert used.returncode == 0, used.stderr
    assert (tmp_path / "listing" / "received.txt").read_text() == "f.csv\n"
