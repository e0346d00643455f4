"""The checksums S3 takes in ``x-amz-checksum-*``: computed as the bytes pass, compared.

CRC32, SHA-1 and SHA-256 come from zlib and hashlib. CRC32C comes from awscrt when it is
installed (botocore's own accelerator) and otherwise from a table in pure Python: correct,
but a few MB/s, which is fine for the small bodies clients send it with. CRC64NVME is
computed only with awscrt; without it a request naming it is refused with a clear error,
never stored unverified.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import zlib

from .s3_xml import S3Error

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


@functools.cache
def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


def _crc32c_python(data: bytes, value: int) -> int:
    table = _crc32c_table()
    value ^= 0xFFFFFFFF
    for byte in data:
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value ^ 0xFFFFFFFF


def _crt():
    try:
        from awscrt import checksums  # type: ignore[import-not-found]

        return checksums
    except ImportError:
        return None


class _Crc:
    def __init__(self, update, size: int):
        self._update = update
        self._size = size
        self._value = 0

    def update(self, data) -> None:
        self._value = self._update(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")


def new_checksum(algorithm: str):
    """A hasher with ``update``/``digest`` for ``algorithm`` (lowercase, as in the header)."""
    crt = _crt()
    if algorithm == "crc32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "crc32c":
        return _Crc(crt.crc32c if crt else _crc32c_python, 4)
    if algorithm == "crc64nvme" and crt is not None and hasattr(crt, "crc64nvme"):
        return _Crc(crt.crc64nvme, 8)
    if algorithm == "sha1":
        return hashlib.sha1()
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "crc64nvme":
        raise S3Error(
            "NotImplemented",
            "This local S3 cannot compute CRC64NVME checksums (install awscrt); send CRC32, "
            "CRC32C, SHA1 or SHA256 instead.",
        )
    raise S3Error("InvalidRequest", f"Unknown checksum algorithm: {algorithm}.")


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def composite(part_checksums: list[str], algorithm: str) -> str:
    """S3's COMPOSITE checksum of a multipart object: the checksum of the parts' checksums."""
    hasher = new_checksum(algorithm)
    for value in part_checksums:
        hasher.update(base64.b64decode(value))
    return f"{encode(hasher.digest())}-{len(part_checksums)}"


def checksum_header(name: str) -> str:
    return f"x-amz-checksum-{name}"


def requested_algorithm(value: str | None) -> str | None:
    """The algorithm an ``x-amz-sdk-checksum-algorithm``/``x-amz-checksum-algorithm`` names."""
    if not value:
        return None
    algorithm = value.strip().lower()
    if algorithm not in ALGORITHMS:
        raise S3Error("InvalidRequest", f"Checksum algorithm {value} is not supported.")
    return algorithm
