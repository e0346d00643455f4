"""Large uploads in parts that outlive the process: a killed run's parts are kept, not re-sent.

obstore's multipart writer cannot be resumed (its upload lives and dies with the process),
so files above the multipart threshold go through S3's multipart API with boto3. First the
key's unfinished upload is looked up; a part found there is kept only when its size and
ETag (the MD5 of the part) match our bytes at that offset, so a kept part is provably ours.
The whole file is hashed in order as it is read, and the upload completes only when that
digest is the one the file is filed under. Any failure aborts the upload; only a process
that was killed leaves parts behind, for the next run to resume (and a bucket this tool
creates drops them after two days).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..awserrors import aws_error_answers
from .store import ContentChanged, Progress, Stored, unquoted

Run = Callable[..., Awaitable[Any]]  # runs a blocking call on the store's thread pool
MAX_PARTS = 10_000  # S3's limit per upload


@dataclass(frozen=True)
class Part:
    """One part of a multipart upload: its number and byte range."""

    number: int  # 1-based, as S3 counts
    offset: int
    length: int


def parts_of(size: int, chunk: int) -> list[Part]:
    """The same split for the same size and chunk, so a later run finds the same parts."""
    chunk = max(chunk, -(-size // MAX_PARTS))
    return [
        Part(n, offset, min(chunk, size - offset))
        for n, offset in enumerate(range(0, size, chunk), start=1)
    ]


class ResumableUpload:
    """One file to one key, in parts; :meth:`send` says the bytes it did not send again and
    the object's ETag."""

    def __init__(self, client, bucket: str, key: str, path: str, *, run: Run, config):
        self.client, self.bucket, self.key, self.path = client, bucket, key, path
        self.run, self.config = run, config
        self.digest = hashlib.sha256()

    async def send(self, size: int, sha256: str | None, progress: Progress) -> Stored:
        upload_id, found = await self.run(self.unfinished)
        if upload_id is None:
            created = await self.run(
                self.client.create_multipart_upload, Bucket=self.bucket, Key=self.key
            )
            upload_id = created["UploadId"]
        try:
            etags, resumed = await self.send_parts(upload_id, size, found, progress)
            if sha256 is not None and self.digest.hexdigest() != sha256:
                raise ContentChanged(self.path)
            completed = await self.run(
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]
                },
            )
        except BaseException:
            await asyncio.shield(self.run(self.abort, upload_id))
            raise
        return Stored(resumed, unquoted(completed.get("ETag")))

    async def send_parts(self, upload_id: str, size: int, found: dict, progress: Progress):
        """Read the parts in order (for the digest), send up to N at once, keep what is there."""
        etags: dict[int, str] = {}
        resumed = 0
        slots = asyncio.Semaphore(self.config.multipart_concurrency)
        sending: list[asyncio.Task] = []
        failed: list[BaseException] = []

        async def put(part: Part, data: bytes) -> None:
            try:
                answer = await self.run(
                    self.client.upload_part,
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=upload_id,
                    PartNumber=part.number,
                    Body=data,
                )
                etags[part.number] = answer["ETag"]
                progress(part.length)
            except BaseException as error:
                failed.append(error)
                raise
            finally:
                slots.release()

        try:
            with open(self.path, "rb") as source:
                for part in parts_of(size, self.config.multipart_chunk_size):
                    await slots.acquire()
                    if failed:  # no more reading once a part has failed
                        slots.release()
                        break
                    have = found.get(part.number)
                    data, md5 = await self.run(self.read, source, part, have is not None)
                    if have is not None and have == (f'"{md5}"', part.length):
                        etags[part.number] = have[0]
                        resumed += part.length
                        progress(part.length)
                        slots.release()
                        continue
                    sending.append(asyncio.ensure_future(put(part, data)))
            await asyncio.gather(*sending)
        except BaseException:
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            raise
        return etags, resumed

    def read(self, source, part: Part, want_md5: bool) -> tuple[bytes, str]:
        source.seek(part.offset)
        data = source.read(part.length)
        if len(data) != part.length:
            raise ContentChanged(self.path)
        self.digest.update(data)
        return data, hashlib.md5(data, usedforsecurity=False).hexdigest() if want_md5 else ""

    def unfinished(self) -> tuple[str | None, dict[int, tuple[str, int]]]:
        """The newest unfinished upload to this key and its parts; older ones are aborted."""
        try:
            pages = self.client.get_paginator("list_multipart_uploads")
            uploads = [
                upload
                for page in pages.paginate(Bucket=self.bucket, Prefix=self.key)
                for upload in page.get("Uploads", [])
                if upload["Key"] == self.key
            ]
        except aws_error_answers():  # not allowed to list uploads: start afresh
            return None, {}
        if not uploads:
            return None, {}
        uploads.sort(key=lambda upload: upload["Initiated"])
        for older in uploads[:-1]:
            self.abort(older["UploadId"])
        upload_id = uploads[-1]["UploadId"]
        parts = {}
        try:
            pages = self.client.get_paginator("list_parts")
            for page in pages.paginate(Bucket=self.bucket, Key=self.key, UploadId=upload_id):
                for part in page.get("Parts", []):
                    parts[part["PartNumber"]] = (part["ETag"], part["Size"])
        except aws_error_answers():  # gone since the listing (the lifecycle rule, another run)
            return None, {}
        return upload_id, parts

    def abort(self, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        except Exception:  # best effort: the bucket's lifecycle rule is the safety net
            pass
