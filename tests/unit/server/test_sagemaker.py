"""The SageMaker face: JSON 1.1 in and out, the operation read from the target, ARNs in
the request's region, and an operation it does not answer named, never a silent success."""

from __future__ import annotations

import pytest
from consolekit import record

from aws_sagemaker_remote.server.processing_jobs import ProcessingJobs
from aws_sagemaker_remote.server.sagemaker import SageMaker

from .wire import json_call, request

ACCOUNT = "123456789012"


@pytest.fixture()
def sagemaker(engine) -> SageMaker:
    return SageMaker(ProcessingJobs(engine, ACCOUNT), lambda request: "ap-south-1")


def test_a_job_is_described_with_an_arn_in_the_requests_region(engine, sagemaker):
    record(engine, "seen", "Failed")
    status, answer = json_call(
        sagemaker, "SageMaker.DescribeProcessingJob", {"ProcessingJobName": "seen"}
    )
    assert status == 200
    assert answer["ProcessingJobArn"] == (
        f"arn:aws:sagemaker:ap-south-1:{ACCOUNT}:processing-job/seen"
    )
    assert answer["ProcessingJobStatus"] == "Failed"
    assert answer["FailureReason"].startswith("AlgorithmError")


def test_jobs_are_listed_through_the_face(engine, sagemaker):
    record(engine, "listed")
    status, answer = json_call(sagemaker, "SageMaker.ListProcessingJobs", {})
    assert status == 200
    assert [s["ProcessingJobName"] for s in answer["ProcessingJobSummaries"]] == ["listed"]


def test_a_model_refusal_is_a_json_error_with_its_code(sagemaker):
    status, answer = json_call(
        sagemaker, "SageMaker.DescribeProcessingJob", {"ProcessingJobName": "nobody"}
    )
    assert status == 400 and answer["__type"] == "ValidationException"


def test_an_operation_not_answered_is_named_with_those_that_are(sagemaker):
    status, answer = json_call(sagemaker, "SageMaker.CreateTrainingJob", {})
    assert status == 400 and answer["__type"] == "UnknownOperationException"
    assert "CreateTrainingJob" in answer["message"]
    assert "CreateProcessingJob" in answer["message"]


def test_only_posts_are_operations(sagemaker):
    answer = sagemaker(request("GET", X_Amz_Target="SageMaker.ListProcessingJobs"))
    assert answer.status == 400 and b"InvalidAction" in answer.body
