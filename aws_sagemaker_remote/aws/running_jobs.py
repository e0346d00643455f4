"""The processing jobs running as a role in a region: whose grants a policy must keep."""

from __future__ import annotations

from typing import Any

from ..boto import client_of

RUNNING = ("InProgress", "Stopping")


def running_jobs(ctx: Any, role_arn: str) -> list[dict]:
    """DescribeProcessingJob of every job running as ``role_arn`` in this region; botocore's
    errors when SageMaker cannot be asked."""
    client = client_of(ctx.session, "sagemaker", ctx.region)
    found = []
    for status in RUNNING:
        pages = client.get_paginator("list_processing_jobs").paginate(StatusEquals=status)
        for page in pages:
            for summary in page.get("ProcessingJobSummaries", []):
                job = client.describe_processing_job(ProcessingJobName=summary["ProcessingJobName"])
                if job.get("RoleArn") == role_arn and job.get("ProcessingJobStatus") in RUNNING:
                    found.append(job)
    return found
