"""boto3 against ``serve``'s SageMaker: jobs really run on the local engine."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from .conftest import job_request, wait_for_end

pytestmark = pytest.mark.e2e

WRITE_OUTPUT = (  # one line: SageMaker's pattern for entrypoint items is ".*"
    "import os, shutil; src = '/opt/ml/processing/input/data'; "
    "dst = '/opt/ml/processing/output/result'; "
    "[shutil.copyfile(os.path.join(src, n), os.path.join(dst, n + '.copy')) "
    "for n in sorted(os.listdir(src))]; print('copied', sorted(os.listdir(src)))"
)


def error_of(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_create_runs_the_job_over_the_servers_buckets(serve, job_name):
    s3 = serve.client("s3")
    bucket = f"in-{job_name}"
    s3.create_bucket(Bucket=bucket)
    payload = {"a.bin": bytes(range(256)) * 40, "b.txt": b"second\n"}
    for key, data in payload.items():
        s3.put_object(Bucket=bucket, Key=f"data/{key}", Body=data)
    sagemaker = serve.client("sagemaker")
    request = job_request(
        job_name,
        WRITE_OUTPUT,
        ProcessingInputs=[
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/data/",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/out",
                        "LocalPath": "/opt/ml/processing/output/result",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        Environment={"MY_SETTING": "1"},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    arn = sagemaker.create_processing_job(**request)["ProcessingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:processing-job/{job_name}"

    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    for member in ("CreationTime", "LastModifiedTime", "ProcessingStartTime", "ProcessingEndTime"):
        assert isinstance(described[member], datetime), member
    assert described["ProcessingJobArn"] == arn
    assert described["ProcessingResources"] == request["ProcessingResources"]
    assert described["AppSpecification"] == request["AppSpecification"]
    assert described["Environment"] == {"MY_SETTING": "1"}
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}
    assert described["RoleArn"] == request["RoleArn"]
    s3_input = described["ProcessingInputs"][0]["S3Input"]
    assert s3_input["S3InputMode"] == "File"  # SageMaker's defaults, written back
    assert s3_input["S3DataDistributionType"] == "FullyReplicated"
    for key, data in payload.items():
        assert s3.get_object(Bucket=bucket, Key=f"out/{key}.copy")["Body"].read() == data


def test_a_failed_job_says_why(serve, job_name):
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, "raise SystemExit('bad input')"))
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("AlgorithmError: ")
    assert "bad input" in described["FailureReason"]


def test_an_output_to_a_bucket_the_server_lacks_fails_the_job(serve, job_name):
    sagemaker = serve.client("sagemaker")
    output = {
        "OutputName": "out",
        "S3Output": {
            "S3Uri": "s3://no-such-bucket-here/out",
            "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob",
        },
    }
    code = "open('/opt/ml/processing/output/x', 'w').write('x')"
    request = job_request(job_name, code, ProcessingOutputConfig={"Outputs": [output]})
    sagemaker.create_processing_job(**request)
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert "no-such-bucket-here" in described["FailureReason"]


def test_list_filters_sorts_and_pages(serve, job_name):
    sagemaker = serve.client("sagemaker")
    before = datetime.now().astimezone()
    names = [f"{job_name}-{i}" for i in range(3)]
    for name in names:
        sagemaker.create_processing_job(**job_request(name, "pass"))
    for name in names:
        wait_for_end(sagemaker, name)
    ours = sagemaker.list_processing_jobs(
        NameContains=job_name, SortBy="Name", SortOrder="Ascending"
    )
    assert [s["ProcessingJobName"] for s in ours["ProcessingJobSummaries"]] == names
    newest_first = sagemaker.list_processing_jobs(NameContains=job_name)["ProcessingJobSummaries"]
    assert [s["ProcessingJobName"] for s in newest_first] == names[::-1]

    paged, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sagemaker.list_processing_jobs(NameContains=job_name, MaxResults=2, **kwargs)
        paged += [s["ProcessingJobName"] for s in page["ProcessingJobSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == names[::-1]
    paginator = sagemaker.get_paginator("list_processing_jobs")
    pages = paginator.paginate(NameContains=job_name, PaginationConfig={"PageSize": 1})
    assert sum(len(p["ProcessingJobSummaries"]) for p in pages) == 3

    after = sagemaker.list_processing_jobs(
        NameContains=job_name, CreationTimeAfter=before, StatusEquals="Completed"
    )
    assert len(after["ProcessingJobSummaries"]) == 3
    none = sagemaker.list_processing_jobs(NameContains=job_name, CreationTimeBefore=before)
    assert none["ProcessingJobSummaries"] == []
    failed = sagemaker.list_processing_jobs(NameContains=job_name, StatusEquals="Failed")
    assert failed["ProcessingJobSummaries"] == []

    error = error_of(lambda: sagemaker.list_processing_jobs(NextToken="not-a-token"))
    assert error["Code"] == "ValidationException"


def test_stop_ends_a_running_job_stopped(serve, job_name):
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, "import time; time.sleep(300)"))
    sagemaker.stop_processing_job(ProcessingJobName=job_name)
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Stopped"
    error = error_of(lambda: sagemaker.stop_processing_job(ProcessingJobName=job_name))
    assert error["Code"] == "ValidationException"
    assert "Stopped" in error["Message"]


def test_tags_are_added_listed_and_deleted(serve, job_name):
    sagemaker = serve.client("sagemaker")
    arn = sagemaker.create_processing_job(
        **job_request(job_name, "pass", Tags=[{"Key": "team", "Value": "a"}])
    )["ProcessingJobArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "test"}])
    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}, {"Key": "stage", "Value": "test"}]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "test"}]
    missing = arn.replace(job_name, "no-such-job-anywhere")
    assert error_of(lambda: sagemaker.list_tags(ResourceArn=missing))["Code"] == "ResourceNotFound"


def test_mistakes_get_sagemakers_errors(serve, job_name):
    sagemaker = serve.client("sagemaker")
    error = error_of(lambda: sagemaker.describe_processing_job(ProcessingJobName="no-such-job"))
    assert error == {
        "Code": "ValidationException",
        "Message": "Could not find requested job with name no-such-job",
    }
    bad = job_request("bad_name")
    error = error_of(lambda: sagemaker.create_processing_job(**bad))
    assert error["Code"] == "ValidationException"
    assert "ProcessingJobName" in error["Message"]
    assert sagemaker.list_processing_jobs(NameContains="bad_name")["ProcessingJobSummaries"] == []

    sagemaker.create_processing_job(**job_request(job_name, "pass"))
    error = error_of(lambda: sagemaker.create_processing_job(**job_request(job_name.upper())))
    assert error["Code"] == "ResourceInUse"

    no_entrypoint = job_request(f"{job_name}-x")
    del no_entrypoint["AppSpecification"]["ContainerEntrypoint"]
    error = error_of(lambda: sagemaker.create_processing_job(**no_entrypoint))
    assert error["Code"] == "ValidationException"
    assert "ContainerEntrypoint" in error["Message"]

    error = error_of(lambda: sagemaker.list_training_jobs())
    assert error["Code"] == "UnknownOperationException"
    assert "ListTrainingJobs" in error["Message"]


def test_describe_answers_every_member_the_sdk_reads(serve, job_name):
    """moto's DescribeProcessingJob lacks ProcessingResources, which the SDK reads."""
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, "pass"))
    described = sagemaker.describe_processing_job(ProcessingJobName=job_name)
    cluster = described["ProcessingResources"]["ClusterConfig"]
    assert cluster["InstanceCount"] == 1
    assert described["ProcessingJobStatus"] in ("InProgress", "Completed")
    json.dumps(described, default=str)  # every member is a plain value or a datetime
    wait_for_end(sagemaker, job_name)


def test_many_clients_at_once(serve, job_name):
    from concurrent.futures import ThreadPoolExecutor

    sagemaker = serve.client("sagemaker", max_pool_connections=16)
    sagemaker.create_processing_job(**job_request(job_name, "pass"))

    def ask(i: int) -> str:
        if i % 2:
            return sagemaker.describe_processing_job(ProcessingJobName=job_name)[
                "ProcessingJobName"
            ]
        names = sagemaker.list_processing_jobs(NameContains=job_name)["ProcessingJobSummaries"]
        return names[0]["ProcessingJobName"]

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(64)))
    assert answers == [job_name] * 64, time.monotonic() - started
    wait_for_end(sagemaker, job_name)


def test_sharded_inputs_reach_each_instance_from_the_servers_bucket(serve, job_name):
    s3 = serve.client("s3")
    bucket = f"shard-{job_name}"
    s3.create_bucket(Bucket=bucket)
    for i in range(4):
        s3.put_object(Bucket=bucket, Key=f"parts/p{i}", Body=f"part {i}".encode())
    code = (
        "import os; names = sorted(os.listdir('/opt/ml/processing/input')); "
        "host = os.environ['HOSTNAME']; "
        "open(f'/opt/ml/processing/output/{host}.txt', 'w').write(','.join(names))"
    )
    request = job_request(
        job_name,
        code,
        ProcessingInputs=[
            {
                "InputName": "parts",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/parts/",
                    "LocalPath": "/opt/ml/processing/input",
                    "S3DataType": "S3Prefix",
                    "S3DataDistributionType": "ShardedByS3Key",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "seen",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/seen",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )
    request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = 2
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**request)
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    seen = {
        host: s3.get_object(Bucket=bucket, Key=f"seen/{host}.txt")["Body"].read()
        for host in ("algo-1", "algo-2")
    }
    assert seen == {"algo-1": b"p0,p2", "algo-2": b"p1,p3"}


def test_max_runtime_stops_the_job(serve, job_name):
    sagemaker = serve.client("sagemaker")
    request = job_request(
        job_name, "import time; time.sleep(300)", StoppingCondition={"MaxRuntimeInSeconds": 1}
    )
    sagemaker.create_processing_job(**request)
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Stopped"
    assert described["FailureReason"].startswith("MaxRuntimeExceeded")


def test_a_job_gets_its_roles_credentials_from_the_servers_sts(serve, job_name):
    """As in a container: the credentials endpoint answers the role's temporary credentials
    (AssumeRole, answered by the server), and AWS_ENDPOINT_URL names the server."""
    code = (
        "import json,os,urllib.request as u;e=os.environ;"
        "r=u.Request(e['AWS_CONTAINER_CREDENTIALS_FULL_URI'],"
        "headers={'Authorization':e['AWS_CONTAINER_AUTHORIZATION_TOKEN']});"
        "print(json.load(u.urlopen(r))['AccessKeyId'][:4],e['AWS_ENDPOINT_URL'])"
    )
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, code))
    described = wait_for_end(sagemaker, job_name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    logs = serve.client("logs")
    group = "/aws/sagemaker/ProcessingJobs"
    stream = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{job_name}/")
    events = logs.get_log_events(
        logGroupName=group,
        logStreamName=stream["logStreams"][0]["logStreamName"],
        startFromHead=True,
    )["events"]
    assert f"ASIA {serve.url}" in [e["message"] for e in events]


def test_the_jobs_config_file_names_its_arn_with_the_servers_account(serve, job_name):
    code = (
        "import json; print(json.load(open('/opt/ml/config/processingjobconfig.json'))"
        "['ProcessingJobArn'])"
    )
    sagemaker = serve.client("sagemaker")
    arn = sagemaker.create_processing_job(**job_request(job_name, code))["ProcessingJobArn"]
    assert wait_for_end(sagemaker, job_name)["ProcessingJobStatus"] == "Completed"
    logs = serve.client("logs")
    found = logs.filter_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix=f"{job_name}/"
    )
    assert arn in [e["message"] for e in found["events"]]


def test_jobs_created_at_once_by_many_clients_all_run(serve, job_name):
    from concurrent.futures import ThreadPoolExecutor

    sagemaker = serve.client("sagemaker", max_pool_connections=8)
    names = [f"{job_name}-{i}" for i in range(6)]

    def create(name: str) -> str:
        return sagemaker.create_processing_job(**job_request(name, f"print('{name}')"))[
            "ProcessingJobArn"
        ]

    with ThreadPoolExecutor(6) as pool:
        arns = list(pool.map(create, names))
    assert [arn.rsplit("/", 1)[1] for arn in arns] == names
    for name in names:
        described = wait_for_end(sagemaker, name)
        assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
