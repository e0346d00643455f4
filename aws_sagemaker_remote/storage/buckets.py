"""The staging bucket: created when missing, refused when it cannot serve the job.

Bucket management is a separate job from staging: it runs once per submission, before
anything is uploaded, and needs boto3's S3 client (obstore has no bucket API). A bucket
created here gets a lifecycle rule that aborts multipart uploads left incomplete (a killed
run's parts would otherwise be stored, and billed, forever). Reached through
:meth:`~aws_sagemaker_remote.storage.store.ObjectStore.prepare`; the local store has no
bucket. boto3 is imported inside the function that uses it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ServiceError, UserError
from ..uris import parse_s3_uri
from .s3clients import PREFIX_FIELD, PREFIX_FIX, boto3_s3_client, endpoint_name

ABORT_INCOMPLETE_DAYS = 2
LIFECYCLE_RULE = {
    "ID": "aws-sagemaker-remote-abort-incomplete-multipart-uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_INCOMPLETE_DAYS},
}


def ensure_bucket(staging_root: str, *, session=None, region: str, config=None) -> None:
    """Create the staging bucket when it is missing.

    A bucket in another region, owned by someone else or forbidden is a UserError naming
    the s3_prefix field (SageMaker reads its inputs from the job's own region); a network or
    server fault is a ServiceError naming the endpoint.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from ..boto import default_session
    from .transfer import TransferConfig

    bucket = parse_s3_uri(staging_root.rstrip("/")).bucket
    session = session if session is not None else default_session()
    client = boto3_s3_client(session, config or TransferConfig(), region)
    endpoint = endpoint_name(region)

    def fail(message: str) -> UserError:
        return UserError(message, field=PREFIX_FIELD, fix=PREFIX_FIX)

    try:
        try:
            answer = client.head_bucket(Bucket=bucket)
            where = answer["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
            if where and where != region:
                raise fail(f"bucket {bucket} is in {where}, but the job runs in {region}")
            return
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.response.get("Error", {}).get("Code")
            if status == 403 or code in ("403", "AccessDenied", "Forbidden"):
                raise fail(f"bucket {bucket} exists but this account may not use it") from None
            if status != 404 and code not in ("404", "NoSuchBucket", "NotFound"):
                raise ServiceError(
                    f"S3 at {endpoint} failed checking bucket {bucket}: {error}",
                    endpoint=endpoint,
                ) from None
        _create(client, bucket, region, fail)
    except BotoCoreError as error:
        raise ServiceError(
            f"S3 at {endpoint} did not answer for bucket {bucket}: {error}", endpoint=endpoint
        ) from None


def _create(client, bucket: str, region: str, fail) -> None:
    from botocore.exceptions import ClientError

    options: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**options)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "BucketAlreadyOwnedByYou":
            return
        if code == "BucketAlreadyExists":
            raise fail(f"bucket name {bucket} is taken by another account") from None
        raise fail(f"cannot create bucket {bucket}: {error}") from None
    try:
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [LIFECYCLE_RULE]}
        )
    except ClientError:  # a safety net, not a requirement (some S3 servers lack the API)
        pass


def check_output_buckets(outputs: list[tuple[str, str]], *, session, region: str) -> None:
    """UserError for the first output whose bucket does not exist. ``outputs``: (field,
    S3 URI). SageMaker accepts such a job and fails it only once it has run, at upload."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .transfer import TransferConfig

    if not outputs:
        return
    client = boto3_s3_client(session, TransferConfig(), region)
    for field, uri in outputs:
        bucket = parse_s3_uri(uri).bucket
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.response.get("Error", {}).get("Code")
            if status == 404 or code in ("404", "NoSuchBucket", "NotFound"):
                raise UserError(
                    f"bucket {bucket} of {uri} does not exist",
                    field=field,
                    fix="create the bucket first, or write the output to an existing one",
                ) from None
            # 403 and the like: the bucket exists; whether the job may write is IAM's call
        except BotoCoreError as error:
            raise ServiceError(
                f"cannot reach S3 to check bucket {bucket}: {error}",
                endpoint=client.meta.endpoint_url,
            ) from None
