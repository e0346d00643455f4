"""S3 URIs: parsing and joining, with no AWS library in sight."""

from __future__ import annotations

import re
from typing import NamedTuple

# S3 bucket naming rules: 3-63 chars, lower case, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


class S3Uri(NamedTuple):
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def join(self, *parts: str) -> S3Uri:
        key = "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/"))
        return S3Uri(self.bucket, key)


def parse_s3_uri(text: str) -> S3Uri:
    """Split ``s3://bucket/key``; ValueError with the reason when it is not one."""
    if not text.startswith("s3://"):
        raise ValueError("an S3 URI starts with s3://")
    bucket, _, key = text[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"{bucket!r} is not a valid bucket name")
    return S3Uri(bucket, key)


def checked_s3_uri(text: str, field: str) -> S3Uri:
    """parse_s3_uri for user input: a UserError naming ``field`` instead of a ValueError."""
    from .errors import UserError

    try:
        return parse_s3_uri(text)
    except ValueError as error:
        raise UserError(
            f"{text!r} is not a valid S3 URI: {error}",
            field=field,
            fix="write it as s3://bucket/key",
        ) from None
