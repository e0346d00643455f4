"""ListObjectsV2 and ListObjects (v1): prefix, delimiter, paging, encoding-type=url.

A page is cut from the bucket's keys in S3's order (UTF-8 bytes). A continuation token
is where the last page ended, encoded: the last key, or the last common prefix, whose
keys are then all skipped as S3 skips them.
"""

from __future__ import annotations

import base64
import json

from ..storage.localbuckets import InvalidKey, LocalBuckets
from .http import Request, Response
from .s3_xml import S3Error, element, encode_key, iso_date, xml_response

OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OWNER_NAME = "local"
MAX_KEYS = 1000


def owner_xml(tag: str = "Owner") -> str:
    return f"<{tag}>{element('ID', OWNER_ID)}{element('DisplayName', OWNER_NAME)}</{tag}>"


def _max_keys(request: Request, name: str = "max-keys") -> int:
    text = request.param(name)
    if text is None:
        return MAX_KEYS
    try:
        value = int(text)
        if value < 0:
            raise ValueError
    except ValueError:
        raise S3Error(
            "InvalidArgument", f"Provided {name} not an integer or within integer range",
            ArgumentName=name, ArgumentValue=text,
        ) from None  # fmt: skip
    return min(value, MAX_KEYS)


def _token(last: str, is_prefix: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps([last, is_prefix]).encode()).decode()


def _untoken(token: str) -> tuple[str, bool]:
    try:
        last, is_prefix = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(last, str) and isinstance(is_prefix, bool):
            return last, is_prefix
    except (ValueError, TypeError):
        pass
    raise S3Error(
        "InvalidArgument", "The continuation token provided is incorrect",
        ArgumentName="continuation-token",
    )  # fmt: skip


def _page(keys, prefix: str, delimiter: str, after: str, skip_prefix: bool, max_keys: int):
    """(objects, common prefixes, truncated, last entry) of one page of ``keys``."""
    objects: list[tuple[str, int]] = []
    prefixes: list[str] = []
    last, truncated = "", False
    for key, size in keys:
        if key <= after or (skip_prefix and key.startswith(after)):
            continue
        common = None
        if delimiter:
            at = key.find(delimiter, len(prefix))
            if at >= 0:
                common = key[: at + len(delimiter)]
                if prefixes and prefixes[-1] == common:
                    continue
        if len(objects) + len(prefixes) >= max_keys:
            truncated = max_keys > 0
            break
        if common is not None:
            prefixes.append(common)
            last = common
        else:
            objects.append((key, size))
            last = key
    return objects, prefixes, truncated, last


def list_objects(buckets: LocalBuckets, bucket: str, request: Request, v2: bool) -> Response:
    prefix = request.param("prefix") or ""
    delimiter = request.param("delimiter") or ""
    encoding = request.param("encoding-type")
    if encoding not in (None, "url"):
        raise S3Error(
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
        )
    url = encoding == "url"
    max_keys = _max_keys(request)
    token = request.param("continuation-token") if v2 else None
    start_after = (request.param("start-after") if v2 else request.param("marker")) or ""
    if token is not None:
        after, skip_prefix = _untoken(token)
    else:
        after = start_after
        skip_prefix = bool(delimiter) and after.endswith(delimiter) and not v2
    objects, prefixes, truncated, last = _page(
        buckets.keys(bucket, prefix), prefix, delimiter, after, skip_prefix, max_keys
    )
    fetch_owner = not v2 or (request.param("fetch-owner") or "").lower() == "true"
    parts = [element("Name", bucket), element("Prefix", encode_key(prefix, url))]
    if delimiter:
        parts.append(element("Delimiter", encode_key(delimiter, url)))
    parts.append(element("MaxKeys", max_keys))
    if url:
        parts.append(element("EncodingType", "url"))
    if v2:
        parts.append(element("KeyCount", len(objects) + len(prefixes)))
        if token is not None:
            parts.append(element("ContinuationToken", token))
        if start_after:
            parts.append(element("StartAfter", encode_key(start_after, url)))
        if truncated:
            parts.append(element("NextContinuationToken", _token(last, last in prefixes)))
    else:
        parts.append(element("Marker", encode_key(start_after, url)))
        if truncated and delimiter:
            parts.append(element("NextMarker", encode_key(last, url)))
    parts.append(element("IsTruncated", "true" if truncated else "false"))
    for key, _ in objects:
        try:
            found = buckets.find(bucket, key)
        except InvalidKey:
            continue  # a link out of the bucket, put there by hand: not an object
        if found is None:
            continue  # deleted since it was listed
        meta = found.meta
        entry = [
            element("Key", encode_key(key, url)),
            element("LastModified", iso_date(meta.mtime_ns / 1e9)),
            element("ETag", f'"{meta.etag}"'),
            *(element("ChecksumAlgorithm", name.upper()) for name in meta.checksums),
            *([element("ChecksumType", meta.checksum_type)] if meta.checksum_type else []),
            element("Size", found.stat.st_size),
            element("StorageClass", "STANDARD"),
        ]
        if fetch_owner:
            entry.append(owner_xml())
        parts.append("<Contents>" + "".join(entry) + "</Contents>")
    for common in prefixes:
        prefix_xml = element("Prefix", encode_key(common, url))
        parts.append(f"<CommonPrefixes>{prefix_xml}</CommonPrefixes>")
    return xml_response("ListBucketResult", "".join(parts))
