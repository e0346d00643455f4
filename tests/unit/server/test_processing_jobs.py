"""Processing jobs as the SageMaker API sees them, over the test's own local engine: jobs
recorded as ``create_job`` records them (no runner), then described, listed, tagged and
stopped through the model, and refused with SageMaker's errors."""

from __future__ import annotations

import pytest
from consolekit import job_request, record

from aws_sagemaker_remote.server.processing_jobs import ProcessingJobs
from aws_sagemaker_remote.server.protocols import ServiceFault

ACCOUNT = "123456789012"
REGION = "eu-west-1"


@pytest.fixture()
def jobs(engine) -> ProcessingJobs:
    return ProcessingJobs(engine, ACCOUNT)


def arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}"


def recorded(engine, name: str, status: str = "Completed", **request) -> None:
    """A job as ``create_job`` leaves it: its record and its directory."""
    record(engine, name, status, **request)
    engine.store.job_dir(name).mkdir(parents=True)


def refused(call, *args) -> ServiceFault:
    with pytest.raises(ServiceFault) as fault:
        call(*args)
    return fault.value


def test_a_description_carries_the_defaults_sagemaker_writes_back_and_no_tags(engine, jobs):
    made = job_request(
        "Described", inputs=[("data", "s3://b/in/")], tags=[{"Key": "k", "Value": "v"}]
    )
    del made["StoppingCondition"]
    del made["ProcessingInputs"][0]["S3Input"]["S3InputMode"]
    engine.store.insert("Described", made, docker=False, profile=None)
    engine.store.finish("Described", "Completed")
    described = jobs.describe("Described", REGION)
    assert described["ProcessingJobArn"] == arn("described")
    assert described["ProcessingJobStatus"] == "Completed"
    s3_input = described["ProcessingInputs"][0]
    assert s3_input["AppManaged"] is False
    assert s3_input["S3Input"]["S3InputMode"] == "File"
    assert s3_input["S3Input"]["S3CompressionType"] == "None"
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] > 0
    assert "Tags" not in described
    assert isinstance(described["CreationTime"], float)
    assert "FailureReason" not in described


@pytest.mark.parametrize("name", [None, "", "no-such-job", "not/a/name"])
def test_describing_a_job_that_is_not_there_is_a_validation_exception(jobs, name):
    fault = refused(jobs.describe, name, REGION)
    assert fault.code == "ValidationException" and fault.status == 400


def test_jobs_are_listed_filtered_sorted_and_paged(engine, jobs):
    for name, status in (("alpha", "Completed"), ("beta", "Failed"), ("gamma", "Completed")):
        record(engine, name, status)
    listed = jobs.list_jobs({"SortBy": "Name", "SortOrder": "Ascending"}, REGION)
    assert [s["ProcessingJobName"] for s in listed["ProcessingJobSummaries"]] == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert "NextToken" not in listed
    completed = jobs.list_jobs({"StatusEquals": "Completed", "NameContains": "AMM"}, REGION)
    assert [s["ProcessingJobName"] for s in completed["ProcessingJobSummaries"]] == ["gamma"]
    alpha_created = engine.store.get("alpha").creation_time
    after = jobs.list_jobs({"CreationTimeAfter": alpha_created, "SortBy": "Name"}, REGION)
    assert "alpha" not in [s["ProcessingJobName"] for s in after["ProcessingJobSummaries"]]

    query = {"SortBy": "Name", "SortOrder": "Descending", "MaxResults": 2}
    first = jobs.list_jobs(query, REGION)
    second = jobs.list_jobs({**query, "NextToken": first["NextToken"]}, REGION)
    names = [
        s["ProcessingJobName"] for page in (first, second) for s in page["ProcessingJobSummaries"]
    ]
    assert names == ["gamma", "beta", "alpha"]
    assert "NextToken" not in second


def test_a_token_from_another_listing_or_a_bad_parameter_is_refused(engine, jobs):
    for name in ("one", "two"):
        record(engine, name)
    token = jobs.list_jobs({"MaxResults": 1}, REGION)["NextToken"]
    assert (
        refused(
            jobs.list_jobs, {"MaxResults": 1, "NextToken": token, "NameContains": "o"}, REGION
        ).code
        == "ValidationException"
    )
    for params in (
        {"NextToken": "garbage"},
        {"SortBy": "Size"},
        {"SortOrder": "Up"},
        {"MaxResults": 0},
        {"MaxResults": True},
        {"CreationTimeAfter": "yesterday"},
    ):
        assert refused(jobs.list_jobs, params, REGION).code == "ValidationException", params


def test_timestamps_are_read_as_epoch_seconds_or_iso_8601(engine, jobs):
    record(engine, "timed")
    listed = jobs.list_jobs({"CreationTimeBefore": "2000-01-01T00:00:00Z"}, REGION)
    assert listed["ProcessingJobSummaries"] == []
    listed = jobs.list_jobs({"CreationTimeAfter": "946684800"}, REGION)
    assert [s["ProcessingJobName"] for s in listed["ProcessingJobSummaries"]] == ["timed"]


def test_tags_start_as_the_requests_and_are_added_and_deleted_by_key(engine, jobs):
    recorded(engine, "tagged", tags=[{"Key": "team", "Value": "ml"}])
    jobs.add_tags({"ResourceArn": arn("tagged"), "Tags": [{"Key": "stage", "Value": "dev"}]})
    jobs.add_tags({"ResourceArn": arn("tagged"), "Tags": [{"Key": "team", "Value": "data"}]})
    assert jobs.list_tags({"ResourceArn": arn("tagged")})["Tags"] == [
        {"Key": "team", "Value": "data"},
        {"Key": "stage", "Value": "dev"},
    ]
    jobs.delete_tags({"ResourceArn": arn("tagged"), "TagKeys": ["team"]})
    assert jobs.list_tags({"ResourceArn": arn("tagged")})["Tags"] == [
        {"Key": "stage", "Value": "dev"}
    ]
    page = jobs.list_tags({"ResourceArn": arn("tagged"), "MaxResults": 1})
    assert "NextToken" not in page


def test_tags_of_a_job_that_is_not_there_or_not_a_job_are_refused(engine, jobs):
    fault = refused(jobs.list_tags, {"ResourceArn": arn("missing")})
    assert fault.code == "ResourceNotFound"
    fault = refused(jobs.list_tags, {"ResourceArn": "arn:aws:s3:::bucket"})
    assert fault.code == "ValidationException"
    recorded(engine, "tagged")
    fault = refused(jobs.delete_tags, {"ResourceArn": arn("tagged"), "TagKeys": []})
    assert fault.code == "ValidationException"
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(26)]
    jobs.add_tags({"ResourceArn": arn("tagged"), "Tags": many[:25]})
    more = [{"Key": f"m{i}", "Value": "v"} for i in range(26)]
    fault = refused(jobs.add_tags, {"ResourceArn": arn("tagged"), "Tags": more[:26]})
    assert fault.code == "ValidationException"


def test_a_running_job_is_stopped_and_an_ended_one_cannot_be(engine, jobs):
    record(engine, "running", "InProgress")
    assert jobs.stop("running") == {}
    assert engine.store.get("running").status == "Stopping"
    record(engine, "done", "Completed")
    fault = refused(jobs.stop, "done")
    assert fault.code == "ValidationException" and "status Completed" in fault.message


def test_a_name_taken_in_any_case_is_resource_in_use(engine, jobs):
    record(engine, "Taken")
    fault = refused(jobs.create, job_request("tAKEN"), REGION)
    assert fault.code == "ResourceInUse" and arn("taken") in fault.message


def test_a_request_the_model_or_the_engine_refuses_is_a_validation_exception(engine, jobs):
    bad = job_request("bad")
    bad["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = 0
    fault = refused(jobs.create, bad, REGION)
    assert fault.code == "ValidationException" and "validation error" in fault.message
    piped = job_request("piped", inputs=[("data", "s3://b/in/")])
    piped["ProcessingInputs"][0]["S3Input"]["S3InputMode"] = "Pipe"
    fault = refused(jobs.create, piped, REGION)
    assert fault.code == "ValidationException" and "File mode only" in fault.message
    assert engine.store.names() == []
