"""Questions about S3 inputs asked before a job exists: is it there, one object or a prefix?"""

from __future__ import annotations

import os

from ..errors import UserError
from ..job.s3uri import parse_s3_uri


def s3_input_kind(session, uri: str, *, field: str) -> bool:
    """True when ``uri`` names one object, False for a prefix; UserError when neither exists."""
    from botocore.exceptions import ClientError

    target = parse_s3_uri(uri)
    client = session.client("s3")
    try:
        if target.key and not target.key.endswith("/"):
            try:
                client.head_object(Bucket=target.bucket, Key=target.key)
                return True
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                    raise
        listing = client.list_objects_v2(Bucket=target.bucket, Prefix=target.key, MaxKeys=1)
    except ClientError as error:
        message = error.response["Error"].get("Message") or error.response["Error"]["Code"]
        raise UserError(
            f"cannot read {uri}: {message}",
            field=field,
            fix="check the bucket name and your access to it",
        ) from None
    if not listing.get("KeyCount"):
        raise UserError(
            f"{uri} does not exist (no object or prefix)",
            field=field,
            fix="check the URI, e.g. with `aws s3 ls`",
        )
    return False


def download_object_or_prefix(session, uri: str, dest: str, *, field: str) -> str:
    """Fetch one object (to ``dest/<name>``) or a whole prefix (into ``dest``); the local path."""
    from .downloads import download_prefix

    os.makedirs(dest, exist_ok=True)
    if s3_input_kind(session, uri, field=field):
        target = parse_s3_uri(uri)
        path = os.path.join(dest, os.path.basename(target.key))
        session.client("s3").download_file(target.bucket, target.key, path)
        return path
    download_prefix(session, uri, dest)
    return dest
