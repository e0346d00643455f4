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

from ..awserrors import aws_error_answers, aws_error_code, aws_not_found, map_aws_errors
from ..errors import UserError
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
    from ..boto import default_session
    from .transfer import TransferConfig

    bucket = parse_s3_uri(staging_root.rstrip("/")).bucket
    session = session if session is not None else default_session()
    client = boto3_s3_client(session, config or TransferConfig(), region)
    endpoint = endpoint_name(region)

    def fail(message: str) -> UserError:
        return UserError(message, field=PREFIX_FIELD, fix=PREFIX_FIX)

    def forbidden(failure: object) -> UserError:
        return fail(f"bucket {bucket} exists but this account may not use it")

    denied = dict.fromkeys(("403", "AccessDenied", "Forbidden"), forbidden)
    with _bucket_errors(endpoint, bucket, "check", "cannot use", denied):
        try:
            answer = client.head_bucket(Bucket=bucket)
        except aws_error_answers() as error:
            if not aws_not_found(error):
                raise
        else:
            where = answer["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
            if where and where != region:
                raise fail(f"bucket {bucket} is in {where}, but the job runs in {region}")
            return
    _create(client, bucket, region, endpoint, fail)


def _bucket_errors(endpoint: str, bucket: str, verb: str, refused: str, codes: dict):
    """S3's errors about the staging bucket as ours: a refusal names the s3_prefix field."""
    return map_aws_errors(
        "S3",
        endpoint,
        doing=f"to {verb} bucket {bucket}",
        refused=f"{refused} bucket {bucket}",
        field=PREFIX_FIELD,
        fix=PREFIX_FIX,
        codes=codes,
    )


def _create(client, bucket: str, region: str, endpoint: str, fail) -> None:
    options: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}

    def taken(failure: object) -> UserError:
        return fail(f"bucket name {bucket} is taken by another account")

    with _bucket_errors(
        endpoint, bucket, "create", "cannot create", {"BucketAlreadyExists": taken}
    ):
        try:
            client.create_bucket(**options)
        except aws_error_answers() as error:
            if aws_error_code(error) != "BucketAlreadyOwnedByYou":
                raise
            return
        try:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": [LIFECYCLE_RULE]}
            )
        except (
            aws_error_answers()
        ):  # a safety net, not a requirement (some S3 servers lack the API)
            pass


def check_output_buckets(outputs: list[tuple[str, str]], *, session, region: str) -> None:
    """UserError for the first output whose bucket does not exist. ``outputs``: (field,
    S3 URI). SageMaker accepts such a job and fails it only once it has run, at upload."""
    from .transfer import TransferConfig

    if not outputs:
        return
    client = boto3_s3_client(session, TransferConfig(), region)
    for field, uri in outputs:
        bucket = parse_s3_uri(uri).bucket
        with map_aws_errors("S3", client, doing=f"to check bucket {bucket}", field=field):
            try:
                client.head_bucket(Bucket=bucket)
            except aws_error_answers() as error:
                if aws_not_found(error):
                    raise UserError(
                        f"bucket {bucket} of {uri} does not exist",
                        field=field,
                        fix="create the bucket first, or write the output to an existing one",
                    ) from None
                # 403 and the like: the bucket exists; whether the job may write is IAM's call
