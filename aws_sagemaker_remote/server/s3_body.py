"""An upload's bytes, from the socket to a file, checked on the way.

A payload comes plain or ``aws-chunked`` (boto3 >= 1.36 sends that by default: chunks
framed by their hex size, then trailers such as ``x-amz-checksum-crc32``). Either way it
moves in reads of up to 1 MiB straight into the file, hashed as it goes: MD5 for the ETag,
SHA-256 when ``x-amz-content-sha256`` names a digest, and every ``x-amz-checksum-*`` the
request carries in a header or a trailer. Any mismatch is S3's error for it, and the caller
deletes the file: nothing unverified becomes an object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .http import Request
from .s3_checksums import ALGORITHMS, checksum_header, encode, new_checksum, requested_algorithm
from .s3_xml import S3Error

READ = 1024 * 1024
MAX_OBJECT = 5 * 1024**3  # S3's largest single PUT (and part)
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


@dataclass
class Received:
    """What was written and proven about it."""

    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64, verified


def is_aws_chunked(request: Request) -> bool:
    encoding = (request.header("Content-Encoding") or "").lower()
    signing = request.header("x-amz-content-sha256") or ""
    return "aws-chunked" in encoding or signing.startswith("STREAMING-")


def stored_content_encoding(request: Request) -> str | None:
    """Content-Encoding to keep with the object: ``aws-chunked`` is framing, not content."""
    value = request.header("Content-Encoding")
    if not value:
        return None
    kept = [v.strip() for v in value.split(",") if v.strip().lower() != "aws-chunked" and v.strip()]
    return ", ".join(kept) or None


def declared_size(request: Request) -> int | None:
    """The payload's size as the request declares it (decoded, for aws-chunked)."""
    if is_aws_chunked(request):
        text = request.header("x-amz-decoded-content-length")
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise S3Error(
                "InvalidArgument", "x-amz-decoded-content-length is not a number."
            ) from None
    return request.content_length


class _AwsChunkedReader:
    """The decoded payload of an aws-chunked body, and its trailers once it has ended."""

    def __init__(self, request: Request):
        self._body = request.body
        self._buffer = bytearray()
        self.trailers: dict[str, str] = {}

    def _more(self) -> None:
        data = self._body.read(64 * 1024)
        if not data:
            raise S3Error("IncompleteBody", "The aws-chunked body ended before its last chunk.")
        self._buffer += data

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > 8192:
                raise S3Error("InvalidRequest", "A line of the aws-chunked body is too long.")
            self._more()
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def chunks(self) -> Iterator[bytes]:
        while True:
            header = self._line().split(b";", 1)[0].strip()
            try:
                size = int(header, 16)
            except ValueError:
                raise S3Error(
                    "InvalidRequest", "A chunk size of the aws-chunked body is not hex."
                ) from None
            if size == 0:
                break
            while size:
                if self._buffer:
                    piece = bytes(self._buffer[:size])
                    del self._buffer[: len(piece)]
                else:
                    piece = self._body.read(min(size, READ))
                    if not piece:
                        raise S3Error("IncompleteBody", "The aws-chunked body stopped mid-chunk.")
                size -= len(piece)
                yield piece
            if self._line() != b"":
                raise S3Error("InvalidRequest", "A chunk of the aws-chunked body overran its size.")
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            self.trailers[name.strip().lower()] = value.strip()


def _content_md5(request: Request) -> bytes | None:
    text = request.header("Content-MD5")
    if text is None:
        return None
    try:
        digest = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.")
    return digest


def _expected_checksums(request: Request) -> tuple[dict[str, str | None], set[str]]:
    """Checksums to compute: algorithm -> the value sent in a header (None: in a trailer)."""
    expected: dict[str, str | None] = {}
    for algorithm in ALGORITHMS:
        value = request.header(checksum_header(algorithm))
        if value is not None:
            expected[algorithm] = value.strip()
    trailer_names = {
        name.strip().lower()
        for name in (request.header("x-amz-trailer") or "").split(",")
        if name.strip()
    }
    named = [n[len("x-amz-checksum-") :] for n in trailer_names if n.startswith("x-amz-checksum-")]
    named += [request.header("x-amz-sdk-checksum-algorithm") or ""]
    named += [request.header("x-amz-checksum-algorithm") or ""]
    for name in named:
        asked = requested_algorithm(name)
        if asked is not None:
            expected.setdefault(asked, None)
    return expected, trailer_names


def payload(request: Request) -> tuple[Iterator[bytes], _AwsChunkedReader | None]:
    """The request's decoded payload as chunks (and the aws-chunked reader, for trailers)."""
    if is_aws_chunked(request):
        reader = _AwsChunkedReader(request)
        return reader.chunks(), reader

    def plain() -> Iterator[bytes]:
        while data := request.body.read(READ):
            yield data

    return plain(), None


def receive(
    request: Request, target: Path, limit: int = MAX_OBJECT, also: str | None = None
) -> Received:
    """Write the request's payload into ``target`` (a new file) and verify it; S3Error on
    any mismatch (the caller removes ``target``). ``limit``: the largest payload taken;
    ``also``: a checksum algorithm to compute even when the request names none."""
    size = declared_size(request)
    if size is not None and size > limit:
        raise S3Error(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size.",
            ProposedSize=size,
            MaxSizeAllowed=limit,
        )
    content_md5 = _content_md5(request)
    signed = request.header("x-amz-content-sha256") or ""
    sha256 = hashlib.sha256() if _HEX_DIGEST.fullmatch(signed) else None
    expected, _ = _expected_checksums(request)
    if also is not None:
        expected.setdefault(also, None)
    hashers = {algorithm: new_checksum(algorithm) for algorithm in expected}
    md5 = hashlib.md5()
    chunks, chunked = payload(request)
    written = 0
    with open(target, "xb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise S3Error("EntityTooLarge", "Your upload exceeds the maximum allowed size.")
            md5.update(chunk)
            if sha256 is not None:
                sha256.update(chunk)
            for hasher in hashers.values():
                hasher.update(chunk)
            out.write(chunk)
    if size is not None and written != size:
        raise S3Error(
            "IncompleteBody",
            f"You did not provide the number of bytes specified: {size} declared, {written} sent.",
        )
    if sha256 is not None and sha256.hexdigest() != signed.lower():
        raise S3Error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=signed,
            S3ComputedContentSHA256=sha256.hexdigest(),
        )
    if content_md5 is not None and md5.digest() != content_md5:
        raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.")
    trailers = chunked.trailers if chunked is not None else {}
    verified = {}
    for algorithm, hasher in hashers.items():
        computed = encode(hasher.digest())
        sent = expected[algorithm] or trailers.get(checksum_header(algorithm))
        if sent is None:
            verified[algorithm] = computed  # asked for by name only: S3 computes and keeps it
            continue
        if sent != computed:
            raise S3Error(
                "BadDigest",
                f"The {algorithm.upper()} you specified did not match the calculated checksum.",
            )
        verified[algorithm] = computed
    return Received(written, md5.digest(), verified)


def read_xml_body(request: Request, limit: int) -> bytes:
    """The (decoded) body of a request that carries XML, at most ``limit`` bytes."""
    size = declared_size(request)
    if size is not None and size > limit:
        raise S3Error(
            "MaxMessageLengthExceeded", f"Your request was too big: at most {limit} bytes."
        )
    data = bytearray()
    chunks, _ = payload(request)
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise S3Error(
                "MaxMessageLengthExceeded", f"Your request was too big: at most {limit} bytes."
            )
    content_md5 = _content_md5(request)
    if content_md5 is not None and hashlib.md5(data).digest() != content_md5:
        raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.")
    return bytes(data)
