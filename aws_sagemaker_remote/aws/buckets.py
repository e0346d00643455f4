"""The staging bucket: created when missing, refused when it cannot serve the job.

Bucket management is a separate job from staging: it runs once per submission, before
anything is uploaded, and needs boto3's S3 client (obstore has no bucket API). The local
store has no bucket to manage. boto3 is imported inside the function that uses it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ServiceError, UserError
from ..job.s3uri import parse_s3_uri
from ..storage.localstore import is_local_store_uri
from ..storage.staging import PREFIX_FIELD, PREFIX_FIX


def ensure_bucket(staging_root: str, *, session=None, region: str) -> None:
    """Create the staging bucket when it is missing; the local store needs nothing.

    A bucket in another region, owned by someone else or forbidden is a UserError naming
    --sagemaker-s3-prefix (SageMaker reads its inputs from the job's own region).
    """
    if is_local_store_uri(staging_root):
        return
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = parse_s3_uri(staging_root.rstrip("/")).bucket
    session = session if session is not None else boto3.Session()
    client = session.client("s3", region_name=region)

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
                raise fail(f"cannot check bucket {bucket}: {error}") from None
        options: dict[str, Any] = {"Bucket": bucket}  # boto3 request parameters
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
    except BotoCoreError as error:
        raise fail(f"cannot reach S3 for bucket {bucket}: {error}") from None


def check_output_buckets(outputs: list[tuple[str, str]], *, session, region: str) -> None:
    """UserError for the first output whose bucket does not exist. ``outputs``: (field,
    S3 URI). SageMaker accepts such a job and fails it only once it has run, at upload."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = session.client("s3", region_name=region)
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
