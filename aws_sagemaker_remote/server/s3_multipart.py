"""S3 multipart uploads over local buckets: create, upload (or copy) parts, complete,
abort, list parts, list uploads.

An upload in progress is a directory under the bucket's ``uploads_dir``: ``upload.json``
(the key, and what to keep with the object) and one file per part, named by its number and
MD5, with a record naming the file that holds the part now (a part sent again replaces
it). Completing checks the parts as S3 does, concatenates them in the kernel
(``copy_file_range``) into a temporary file in the bucket and renames that into place;
the ETag is the MD5 of the parts' MD5s with ``-N``, as S3's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from ..storage.localbuckets import LocalBuckets, ObjectMeta
from ..storage.localstore import PARTIAL_PREFIX
from .http import Request, Response
from .s3_body import MAX_OBJECT, READ, read_xml_body, receive
from .s3_checksums import checksum_header, composite, encode, new_checksum, requested_algorithm
from .s3_list import owner_xml
from .s3_objects import copy_range, find_source, open_checked, parse_range, request_meta
from .s3_xml import (
    MAX_XML_BODY,
    S3Error,
    base_headers,
    child_text,
    element,
    iso_date,
    parse_xml,
    request_id,
    xml_response,
)

MIN_PART = 5 * 1024 * 1024  # every part but the last, as S3 requires
MAX_PARTS = 10_000
_UPLOAD_ID = re.compile(r"[0-9a-f]{48}")
_PART_ORDER = "The list of parts was not in ascending order. Parts must be ordered by part number."
_INVALID_PART = (
    "One or more of the specified parts could not be found. The part may not have been "
    "uploaded, or the specified entity tag may not have matched the part's entity tag."
)


def _no_upload(upload_id: str) -> S3Error:
    return S3Error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed.",
        UploadId=upload_id,
    )


def _write_json(path: Path, value: object) -> None:
    temp = path.with_name(PARTIAL_PREFIX + path.name + secrets.token_hex(4))
    temp.write_text(json.dumps(value))
    os.replace(temp, path)


def _upload(buckets: LocalBuckets, bucket: str, key: str, upload_id: str) -> tuple[Path, dict]:
    """The upload's directory and record; NoSuchUpload unless it is ``key``'s."""
    buckets.object_path(bucket, key)  # NoSuchBucket, InvalidArgument
    if not _UPLOAD_ID.fullmatch(upload_id):
        raise _no_upload(upload_id)
    directory = buckets.uploads_dir(bucket) / upload_id
    try:
        record = json.loads((directory / "upload.json").read_text())
    except (OSError, ValueError):
        raise _no_upload(upload_id) from None
    if record.get("key") != key:
        raise _no_upload(upload_id)
    return directory, record


def _parts(directory: Path) -> dict[int, dict]:
    found = {}
    for path in directory.glob("part-*.json"):
        try:
            found[int(path.name[5:10])] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return found


def create_upload(buckets: LocalBuckets, bucket: str, key: str, request: Request) -> Response:
    buckets.object_path(bucket, key)
    meta = request_meta(request)
    algorithm = requested_algorithm(request.header("x-amz-checksum-algorithm"))
    kind = (request.header("x-amz-checksum-type") or "").upper()
    if algorithm is not None:
        new_checksum(algorithm)  # refuses one this server cannot compute, now
        kind = kind or ("FULL_OBJECT" if algorithm == "crc64nvme" else "COMPOSITE")
        if kind not in ("COMPOSITE", "FULL_OBJECT") or (
            kind == "FULL_OBJECT" and algorithm.startswith("sha")
        ):
            raise S3Error("InvalidRequest", f"Checksum type {kind} is not valid with {algorithm}.")
    upload_id = secrets.token_hex(24)
    directory = buckets.uploads_dir(bucket) / upload_id
    directory.mkdir(parents=True)
    record = {
        "key": key,
        "initiated": time.time(),
        "meta": asdict(meta),
        "algorithm": algorithm,
        "checksum_type": kind if algorithm else "",
    }
    _write_json(directory / "upload.json", record)
    headers = []
    if algorithm:
        headers = [("x-amz-checksum-algorithm", algorithm.upper()), ("x-amz-checksum-type", kind)]
    inner = element("Bucket", bucket) + element("Key", key) + element("UploadId", upload_id)
    return xml_response("InitiateMultipartUploadResult", inner, headers)


def _part_number(request: Request) -> int:
    text = request.param("partNumber") or ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_PARTS:
        raise S3Error(
            "InvalidArgument",
            f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=text,
        )
    return int(text)


def _keep_part(directory: Path, number: int, temp: Path, md5: str, size: int, checksum) -> None:
    name = f"part-{number:05d}-{md5}"
    os.replace(temp, directory / name)
    record = {"file": name, "etag": md5, "size": size, "checksum": checksum, "at": time.time()}
    _write_json(directory / f"part-{number:05d}.json", record)


def upload_part(
    buckets: LocalBuckets, bucket: str, key: str, upload_id: str, request: Request
) -> Response:
    directory, record = _upload(buckets, bucket, key, upload_id)
    number = _part_number(request)
    algorithm = record.get("algorithm")
    temp = directory / f"{PARTIAL_PREFIX}{secrets.token_hex(8)}"
    try:
        received = receive(request, temp, MAX_OBJECT, also=algorithm)
        checksum = received.checksums.get(algorithm) if algorithm else None
        _keep_part(directory, number, temp, received.md5.hex(), received.size, checksum)
    except FileNotFoundError:
        raise _no_upload(upload_id) from None  # aborted while the part was on its way
    finally:
        temp.unlink(missing_ok=True)
    headers = base_headers(request_id()) + [("ETag", f'"{received.md5.hex()}"')]
    headers += [(checksum_header(a), v) for a, v in received.checksums.items()]
    return Response(200, headers, b"")


def upload_part_copy(
    buckets: LocalBuckets, bucket: str, key: str, upload_id: str, request: Request
) -> Response:
    directory, record = _upload(buckets, bucket, key, upload_id)
    number = _part_number(request)
    source = find_source(buckets, request)
    size = source.stat.st_size
    start, end = parse_range(request.header("x-amz-copy-source-range"), size) or (0, size)
    algorithm = record.get("algorithm")
    hasher = new_checksum(algorithm) if algorithm else None
    md5 = hashlib.md5()
    temp = directory / f"{PARTIAL_PREFIX}{secrets.token_hex(8)}"
    try:
        with open_checked(source) as src, open(temp, "xb") as out:
            src.seek(start)
            left = end - start
            while left > 0 and (data := src.read(min(READ, left))):
                left -= len(data)
                md5.update(data)
                if hasher is not None:
                    hasher.update(data)
                out.write(data)
        if left:
            raise S3Error("InternalError", "The source changed while it was copied; try again.")
        checksum = encode(hasher.digest()) if hasher is not None else None
        _keep_part(directory, number, temp, md5.hexdigest(), end - start, checksum)
    finally:
        temp.unlink(missing_ok=True)
    inner = element("LastModified", iso_date(time.time())) + element("ETag", f'"{md5.hexdigest()}"')
    return xml_response("CopyPartResult", inner)


def _requested_parts(body: bytes) -> list[tuple[int, str, dict[str, str]]]:
    document = parse_xml(body, "CompleteMultipartUpload")
    asked = []
    for part in document.findall("Part"):
        number, etag = child_text(part, "PartNumber"), child_text(part, "ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise S3Error("MalformedXML", "Each Part needs a PartNumber and an ETag.")
        sums = {
            child.tag[len("Checksum") :].lower(): (child.text or "").strip()
            for child in part
            if isinstance(child.tag, str) and child.tag.startswith("Checksum")
        }
        asked.append((int(number), etag.strip().strip('"'), sums))
    if not asked:
        raise S3Error("MalformedXML", "The XML you provided named no parts.")
    return asked


def complete_upload(
    buckets: LocalBuckets, bucket: str, key: str, upload_id: str, request: Request
) -> Response:
    directory, record = _upload(buckets, bucket, key, upload_id)
    asked = _requested_parts(read_xml_body(request, MAX_XML_BODY))
    numbers = [number for number, _, _ in asked]
    if numbers != sorted(set(numbers)):
        raise S3Error("InvalidPartOrder", _PART_ORDER)
    have = _parts(directory)
    algorithm = record.get("algorithm")
    for number, etag, sums in asked:
        part = have.get(number)
        sent = sums.get(algorithm) if algorithm else None
        if part is None or part["etag"] != etag or (sent and sent != part.get("checksum")):
            raise S3Error("InvalidPart", _INVALID_PART, PartNumber=number, ETag=etag)
    for number in numbers[:-1]:
        if have[number]["size"] < MIN_PART:
            raise S3Error(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
                ProposedSize=have[number]["size"],
                MinSizeAllowed=MIN_PART,
                PartNumber=number,
            )
    chosen = [have[number] for number in numbers]
    meta = ObjectMeta(**record["meta"])
    meta.etag = hashlib.md5(b"".join(bytes.fromhex(p["etag"]) for p in chosen)).hexdigest()
    meta.etag += f"-{len(chosen)}"
    meta.part_sizes = [p["size"] for p in chosen]
    temp = buckets.temp_file(bucket)
    try:
        with open(temp, "xb") as out:
            for part in chosen:
                _append(directory / part["file"], out)
        if algorithm and record.get("checksum_type") == "FULL_OBJECT":
            meta.checksums = {algorithm: _file_checksum(temp, algorithm)}
            sent = request.header(checksum_header(algorithm))
            if sent is not None and sent.strip() != meta.checksums[algorithm]:
                raise S3Error(
                    "BadDigest",
                    f"The {algorithm.upper()} you specified for the whole object did not "
                    "match the calculated checksum.",
                )
        elif algorithm:
            meta.checksums = {algorithm: composite([p["checksum"] for p in chosen], algorithm)}
        meta.checksum_type = record.get("checksum_type", "") if algorithm else ""
        buckets.commit(bucket, key, temp, meta)
    finally:
        temp.unlink(missing_ok=True)
    shutil.rmtree(directory, ignore_errors=True)
    inner = (
        element("Location", f"/{bucket}/{key}")
        + element("Bucket", bucket)
        + element("Key", key)
        + element("ETag", f'"{meta.etag}"')
    )
    for name, value in meta.checksums.items():
        inner += element(f"Checksum{name.upper()}", value)
    if meta.checksum_type:
        inner += element("ChecksumType", meta.checksum_type)
    return xml_response("CompleteMultipartUploadResult", inner)


def _append(part: Path, out) -> None:
    with open(part, "rb") as source:
        copy_range(source, out, 0, os.fstat(source.fileno()).st_size)


def _file_checksum(path: Path, algorithm: str) -> str:
    hasher = new_checksum(algorithm)
    with open(path, "rb") as source:
        while data := source.read(READ):
            hasher.update(data)
    return encode(hasher.digest())


def abort_upload(buckets: LocalBuckets, bucket: str, key: str, upload_id: str) -> Response:
    directory, _ = _upload(buckets, bucket, key, upload_id)
    shutil.rmtree(directory, ignore_errors=True)
    return Response(204, base_headers(request_id()), b"")


def _limit(request: Request, name: str) -> int:
    text = request.param(name)
    if text is None:
        return 1000
    if not text.isdigit():
        raise S3Error("InvalidArgument", f"Provided {name} not an integer", ArgumentName=name)
    return min(int(text), 1000)


def list_parts(
    buckets: LocalBuckets, bucket: str, key: str, upload_id: str, request: Request
) -> Response:
    directory, record = _upload(buckets, bucket, key, upload_id)
    marker_text = request.param("part-number-marker") or "0"
    marker = int(marker_text) if marker_text.isdigit() else 0
    limit = _limit(request, "max-parts")
    parts = sorted((n, p) for n, p in _parts(directory).items() if n > marker)
    shown, truncated = parts[:limit], len(parts) > limit
    algorithm = record.get("algorithm")
    inner = element("Bucket", bucket) + element("Key", key) + element("UploadId", upload_id)
    inner += element("PartNumberMarker", marker)
    if shown:
        inner += element("NextPartNumberMarker", shown[-1][0])
    inner += element("MaxParts", limit) + element("IsTruncated", str(truncated).lower())
    inner += owner_xml("Initiator") + owner_xml() + element("StorageClass", "STANDARD")
    if algorithm:
        inner += element("ChecksumAlgorithm", algorithm.upper())
        inner += element("ChecksumType", record.get("checksum_type", ""))
    for number, part in shown:
        inner += "<Part>" + element("PartNumber", number)
        inner += element("LastModified", iso_date(part.get("at", 0)))
        inner += element("ETag", f'"{part["etag"]}"') + element("Size", part["size"])
        if algorithm and part.get("checksum"):
            inner += element(f"Checksum{algorithm.upper()}", part["checksum"])
        inner += "</Part>"
    return xml_response("ListPartsResult", inner)


def list_uploads(buckets: LocalBuckets, bucket: str, request: Request) -> Response:
    if not buckets.exists(bucket):
        raise S3Error("NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
    prefix = request.param("prefix") or ""
    key_marker = request.param("key-marker") or ""
    id_marker = request.param("upload-id-marker") or ""
    limit = _limit(request, "max-uploads")
    uploads = []
    root = buckets.uploads_dir(bucket)
    for directory in root.iterdir() if root.is_dir() else []:
        try:
            record = json.loads((directory / "upload.json").read_text())
        except (OSError, ValueError):
            continue
        key = record.get("key", "")
        after = (key, directory.name) > (key_marker, id_marker) if id_marker else key > key_marker
        if key.startswith(prefix) and (after or not key_marker):
            uploads.append((key, directory.name, record.get("initiated", 0)))
    uploads.sort()
    shown, truncated = uploads[:limit], len(uploads) > limit
    inner = element("Bucket", bucket) + element("KeyMarker", key_marker)
    inner += element("UploadIdMarker", id_marker)
    if shown:
        inner += element("NextKeyMarker", shown[-1][0])
        inner += element("NextUploadIdMarker", shown[-1][1])
    inner += element("Prefix", prefix) + element("MaxUploads", limit)
    inner += element("IsTruncated", str(truncated).lower())
    for key, upload_id, initiated in shown:
        inner += "<Upload>" + element("Key", key) + element("UploadId", upload_id)
        inner += owner_xml("Initiator") + owner_xml() + element("StorageClass", "STANDARD")
        inner += element("Initiated", iso_date(initiated)) + "</Upload>"
    return xml_response("ListMultipartUploadsResult", inner)
