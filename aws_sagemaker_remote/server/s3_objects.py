"""S3's object operations over local buckets: put, get (ranges), head, delete, copy.

A PUT streams into a temporary file in the bucket's directory and is renamed into place
only once every digest it carries has been checked, so a dropped connection or a bad
checksum leaves no object and no temporary file. A GET opens the file once and streams
from that descriptor, so an object replaced meanwhile is answered whole, old or new.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator

from ..storage.localbuckets import LocalBuckets, ObjectMeta, StoredObject
from .http import Request, Response
from .s3_body import MAX_OBJECT, READ, receive, stored_content_encoding
from .s3_checksums import checksum_header
from .s3_xml import (
    S3Error,
    base_headers,
    element,
    http_date,
    iso_date,
    precondition_failed,
    request_id,
    xml_response,
)

KEPT_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Language", "Expires")
DEFAULT_TYPE = "binary/octet-stream"
_MAX_USER_METADATA = 2048  # bytes of x-amz-meta-* names and values, as S3 allows
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_FOLD = re.compile(r"[\r\n]+[ \t]*")


def no_such_key(key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", Key=key)


def _unfolded(value: str) -> str:
    return _FOLD.sub(" ", value).strip()


def request_meta(request: Request) -> ObjectMeta:
    """What a PUT, a multipart upload or a REPLACE copy asks to keep beside the bytes
    (values unfolded: what is answered later is one header line each)."""
    headers = {
        name: _unfolded(request.header(name) or "") for name in KEPT_HEADERS if request.header(name)
    }
    encoding = stored_content_encoding(request)
    if encoding:
        headers["Content-Encoding"] = _unfolded(encoding)
    user = {
        name.lower()[len("x-amz-meta-") :]: _unfolded(value)
        for name, value in request.headers.items()
        if name.lower().startswith("x-amz-meta-")
    }
    if sum(len(k) + len(v.encode()) for k, v in user.items()) > _MAX_USER_METADATA:
        raise S3Error(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            MaxSizeAllowed=_MAX_USER_METADATA,
        )
    return ObjectMeta(
        etag="",
        content_type=_unfolded(request.header("Content-Type") or "") or DEFAULT_TYPE,
        headers=headers,
        user=user,
    )


def object_headers(meta: ObjectMeta, checksums: bool) -> list[tuple[str, str]]:
    """The headers S3 answers a GET or HEAD with, bar the length and range."""
    headers = [
        ("ETag", f'"{meta.etag}"'),
        ("Last-Modified", http_date(meta.mtime_ns / 1e9)),
        ("Content-Type", meta.content_type),
        ("Accept-Ranges", "bytes"),
        *meta.headers.items(),
        *((f"x-amz-meta-{name}", value) for name, value in meta.user.items()),
    ]
    if checksums and meta.checksums:
        headers += [(checksum_header(a), v) for a, v in meta.checksums.items()]
        headers.append(("x-amz-checksum-type", meta.checksum_type or "FULL_OBJECT"))
    return headers


def _etags(value: str) -> set[str]:
    return {tag.strip().strip('"') for tag in value.split(",")}


def check_conditions(request: Request, meta: ObjectMeta, prefix: str = "") -> None:
    """If-Match, If-None-Match, If-(Un)Modified-Since as S3 applies them (``prefix``:
    ``x-amz-copy-source-`` for a copy's source)."""
    from email.utils import parsedate_to_datetime

    def since(name: str) -> float | None:
        text = request.header(prefix + name)
        try:
            return parsedate_to_datetime(text).timestamp() if text else None
        except (TypeError, ValueError):
            return None

    modified = int(meta.mtime_ns // 1_000_000_000)
    if_match = request.header(prefix + "If-Match")
    if_none = request.header(prefix + "If-None-Match")
    if if_match is not None and not ({"*", meta.etag} & _etags(if_match)):
        raise precondition_failed("If-Match")
    unmodified = since("If-Unmodified-Since")
    if if_match is None and unmodified is not None and modified > unmodified:
        raise precondition_failed("If-Unmodified-Since")
    if if_none is not None and {"*", meta.etag} & _etags(if_none):
        if prefix or request.method not in ("GET", "HEAD"):
            raise precondition_failed("If-None-Match")
        raise S3Error("NotModified", "Not Modified")
    modified_since = since("If-Modified-Since")
    if if_none is None and modified_since is not None and modified <= modified_since:
        if prefix:
            raise precondition_failed("If-Modified-Since")
        raise S3Error("NotModified", "Not Modified")


def parse_range(text: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a ``Range: bytes=...`` header; None for the whole object
    (no header, or one S3 ignores); InvalidRange when it cannot be satisfied."""
    if not text:
        return None
    match = _RANGE.fullmatch(text.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None  # several ranges, or nonsense: S3 answers with the whole object
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size
        if int(last) == 0:
            start = size
    else:
        start = int(first)
        end = size if last == "" else min(int(last) + 1, size)
        if last != "" and int(last) < start:
            return None
    if start >= size or start >= end:
        raise S3Error(
            "InvalidRange",
            "The requested range is not satisfiable",
            RangeRequested=text,
            ActualObjectSize=size,
        )
    return start, end


def _open_found(buckets: LocalBuckets, bucket: str, key: str, request: Request):
    """(the object, an open file of exactly the bytes its record describes, or None for a
    HEAD): opened, then checked against the record, so an object replaced between the two
    is looked up again rather than answered with another object's length and ETag."""
    for _ in range(5):
        found = buckets.find(bucket, key)
        if found is None:
            raise no_such_key(key)
        if request.method == "HEAD":
            return found, None
        try:
            source = open(found.path, "rb")
        except FileNotFoundError:
            continue
        if found.meta.matches(os.fstat(source.fileno())):
            return found, source
        source.close()
    raise S3Error("SlowDown", "The object kept changing while it was read; try again.", 503)


def get_object(buckets: LocalBuckets, bucket: str, key: str, request: Request) -> Response:
    found, source = _open_found(buckets, bucket, key, request)
    try:
        return _answer(found, source, request)
    except BaseException:
        if source is not None:
            source.close()
        raise


def _answer(found: StoredObject, source, request: Request) -> Response:
    check_conditions(request, found.meta)
    size = found.stat.st_size
    part = request.param("partNumber")
    wanted = (
        part_range(part, found.meta, size) if part else parse_range(request.header("Range"), size)
    )
    checksums = (request.header("x-amz-checksum-mode") or "").upper() == "ENABLED"
    headers = base_headers(request_id()) + object_headers(found.meta, checksums and not wanted)
    if part is not None and found.meta.part_sizes:
        headers.append(("x-amz-mp-parts-count", str(len(found.meta.part_sizes))))
    for parameter, header in (
        ("response-content-type", "Content-Type"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
        ("response-content-language", "Content-Language"),
        ("response-cache-control", "Cache-Control"),
        ("response-expires", "Expires"),
    ):
        value = request.param(parameter)
        if value is not None and ("\r" in value or "\n" in value):
            raise S3Error(
                "InvalidArgument",
                f"{parameter} may not hold a line break.",
                ArgumentName=parameter,
            )
        if value is not None:
            headers = [(n, v) for n, v in headers if n.lower() != header.lower()]
            headers.append((header, value))
    status, start, end = 200, 0, size
    if wanted is not None:
        status, (start, end) = 206, wanted
        headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
    if source is None:
        return Response(status, headers, b"", length=end - start)
    # from the file opened before: a later replace cannot change what this answer sends
    return Response(status, headers, _stream_from(source, start, end), length=end - start)


def part_range(text: str, meta: ObjectMeta, size: int) -> tuple[int, int] | None:
    """(start, end) of part ``text`` of a multipart object (a single-part object is its own
    part 1, answered whole); InvalidPartNumber past the last part."""
    sizes = meta.part_sizes if sum(meta.part_sizes) == size and meta.part_sizes else [size]
    if not text.isdigit() or not 1 <= int(text) <= len(sizes):
        raise S3Error(
            "InvalidPartNumber", "The requested partnumber is not satisfiable", 416,
            PartNumberRequested=text, ActualPartCount=len(sizes),
        )  # fmt: skip
    if len(sizes) == 1:
        return None
    start = sum(sizes[: int(text) - 1])
    return start, start + sizes[int(text) - 1]


def _stream_from(source, start: int, end: int) -> Iterator[bytes]:
    with source:
        source.seek(start)
        left = end - start
        while left > 0:
            data = source.read(min(READ, left))
            if not data:
                return
            left -= len(data)
            yield data


def put_object(buckets: LocalBuckets, bucket: str, key: str, request: Request) -> Response:
    meta = request_meta(request)
    buckets.object_path(bucket, key)  # NoSuchBucket or InvalidArgument before any byte
    if request.header("If-None-Match") or request.header("If-Match"):
        existing = buckets.find(bucket, key)
        if existing is None and request.header("If-Match"):
            raise no_such_key(key)
        if existing is not None:
            check_conditions(request, existing.meta)
    temp = buckets.temp_file(bucket)
    try:
        received = receive(request, temp, MAX_OBJECT)
        meta.etag = received.md5.hex()
        meta.checksums = received.checksums
        meta.checksum_type = "FULL_OBJECT" if received.checksums else ""
        buckets.commit(bucket, key, temp, meta)
    finally:
        temp.unlink(missing_ok=True)
    headers = base_headers(request_id()) + [("ETag", f'"{meta.etag}"')]
    headers += [(checksum_header(a), v) for a, v in received.checksums.items()]
    return Response(200, headers, b"")


def delete_object(buckets: LocalBuckets, bucket: str, key: str) -> Response:
    buckets.delete_object(bucket, key)
    return Response(204, base_headers(request_id()), b"")


def copy_source(request: Request, header: str = "x-amz-copy-source") -> tuple[str, str]:
    """(bucket, key) of ``x-amz-copy-source`` (``bucket/key`` or ``/bucket/key``, encoded)."""
    from urllib.parse import unquote

    text = unquote(request.header(header) or "")
    text = text.split("?versionId=", 1)[0].lstrip("/")
    bucket, _, key = text.partition("/")
    if not bucket or not key:
        raise S3Error(
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
            ArgumentName=header,
        )
    return bucket, key


def find_source(buckets: LocalBuckets, request: Request) -> StoredObject:
    source_bucket, source_key = copy_source(request)
    if not buckets.exists(source_bucket):
        raise S3Error(
            "NoSuchBucket", "The specified bucket does not exist", BucketName=source_bucket
        )
    found = buckets.find(source_bucket, source_key)
    if found is None:
        raise no_such_key(source_key)
    check_conditions(request, found.meta, prefix="x-amz-copy-source-")
    return found


def open_checked(found: StoredObject):
    """``found``'s file, opened and checked to be the one its record describes (replaced
    since it was found: SlowDown, the client tries again)."""
    source = open(found.path, "rb")
    if not found.meta.matches(os.fstat(source.fileno())):
        source.close()
        raise S3Error("SlowDown", "The source changed while it was copied; try again.", 503)
    return source


def copy_range(source, out, start: int, count: int) -> None:
    """``count`` bytes of ``source`` from ``start`` appended to ``out``: in the kernel
    (``copy_file_range``, which also shares extents where the file system can)."""
    out.flush()
    moved = 0
    try:
        while moved < count:
            step = os.copy_file_range(source.fileno(), out.fileno(), count - moved, start + moved)
            if step == 0:
                raise S3Error("InternalError", "The source shrank while it was copied; try again.")
            moved += step
    except (AttributeError, OSError):  # no copy_file_range here: copy in user space
        source.seek(start + moved)
        out.seek(0, os.SEEK_END)
        left = count - moved
        while left > 0 and (data := source.read(min(READ, left))):
            out.write(data)
            left -= len(data)
        if left:
            raise S3Error(
                "InternalError", "The source shrank while it was copied; try again."
            ) from None


def copy_object(buckets: LocalBuckets, bucket: str, key: str, request: Request) -> Response:
    source = find_source(buckets, request)
    directive = (request.header("x-amz-metadata-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise S3Error("InvalidArgument", f"Unknown metadata directive: {directive}.")
    target = buckets.object_path(bucket, key)
    if target == source.path and directive == "COPY":
        raise S3Error(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect "
            "location or encryption attributes.",
        )
    if directive == "REPLACE":
        meta = request_meta(request)
    else:
        meta = dataclasses.replace(source.meta)
    multipart = "-" in source.meta.etag
    meta.part_sizes = []  # a copy is one part
    meta.checksums = {} if source.meta.checksum_type == "COMPOSITE" else dict(source.meta.checksums)
    meta.checksum_type = "FULL_OBJECT" if meta.checksums else ""
    temp = buckets.temp_file(bucket)
    try:
        with open_checked(source) as src, open(temp, "xb") as out:
            copy_range(src, out, 0, source.stat.st_size)
        if multipart:
            from ..storage.localbuckets import file_md5

            meta.etag = file_md5(temp)  # one part now: S3 gives the copy a plain MD5 ETag
        else:
            meta.etag = source.meta.etag
        buckets.commit(bucket, key, temp, meta)
    finally:
        temp.unlink(missing_ok=True)
    inner = element("LastModified", iso_date(meta.mtime_ns / 1e9)) + element(
        "ETag", f'"{meta.etag}"'
    )
    return xml_response("CopyObjectResult", inner)
