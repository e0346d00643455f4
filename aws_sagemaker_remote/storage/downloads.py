"""Fetch a job's outputs: every object under an S3 prefix, in parallel, keys kept as paths.

Small objects are one GetObject each (the request count is what costs time for many small
files); large ones go through boto3's multipart downloader. Local-store URIs are plain file
copies: no AWS involved.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import UserError
from ..job.s3uri import parse_s3_uri
from .localstore import is_local_store_uri, local_store_path

WORKERS = 16
LARGE_OBJECT = 8 * 1024 * 1024


class RemoteObject(NamedTuple):
    uri: str
    relative: str  # path under the prefix, "/"-separated
    size: int


def download_prefix(session: Any | None, s3_uri: str, local_dir: str) -> int:
    """Copy every object under ``s3_uri`` into ``local_dir``; the number of files written."""
    target = Path(local_dir)
    if is_local_store_uri(s3_uri):
        return _copy_local_store(s3_uri, target)
    client = _s3_client(session)
    objects = _iter_objects(client, s3_uri)
    count = 0
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: set[Future] = set()
        for obj in objects:
            if len(pending) >= 2 * WORKERS:  # back-pressure on huge listings
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                count += sum(f.result() for f in done)
            pending.add(pool.submit(_download_one, client, obj, _safe_path(target, obj)))
        for future in pending:
            count += future.result()
    return count


def list_prefix(session: Any | None, s3_uri: str, limit: int | None = None) -> list[RemoteObject]:
    """The objects under ``s3_uri`` (at most ``limit``), for saying where outputs stay."""
    if is_local_store_uri(s3_uri):
        root = local_store_path(s3_uri)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found = [
            RemoteObject(
                f"{s3_uri.rstrip('/')}/{p.relative_to(root).as_posix()}" if p != root else s3_uri,
                p.name if p == root else p.relative_to(root).as_posix(),
                p.stat().st_size,
            )
            for p in files
        ]
        return found[:limit] if limit is not None else found
    found = []
    for obj in _iter_objects(_s3_client(session), s3_uri):
        if limit is not None and len(found) >= limit:
            break
        found.append(obj)
    return found


def _s3_client(session: Any | None) -> Any:
    from botocore.config import Config

    if session is None:
        import boto3

        session = boto3.Session()
    config = Config(max_pool_connections=WORKERS, retries={"mode": "standard"})
    return session.client("s3", config=config)


def _iter_objects(client: Any, s3_uri: str) -> Iterator[RemoteObject]:
    """Objects whose key is the URI's key, or lies below it as a directory."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        bucket, key = parse_s3_uri(s3_uri)
    except ValueError as error:
        raise UserError(f"{s3_uri}: {error}") from None
    key = key.rstrip("/")
    below = f"{key}/" if key else ""
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for item in page.get("Contents", []):
                name = item["Key"]
                if name == key:
                    relative = key.rsplit("/", 1)[-1]
                elif name.startswith(below) and not name.endswith("/"):
                    relative = name[len(below) :]
                else:
                    continue
                yield RemoteObject(f"s3://{bucket}/{name}", relative, item.get("Size", 0))
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message") or str(error)
        raise UserError(f"cannot list {s3_uri}: {message}") from None
    except BotoCoreError as error:
        raise UserError(f"cannot list {s3_uri}: {error}") from None


def _safe_path(target: Path, obj: RemoteObject) -> Path:
    path = (target / obj.relative).resolve()
    root = target.resolve()
    if path != root and root not in path.parents:
        raise UserError(f"refusing to write {obj.uri} outside {target}")
    return path


def _download_one(client: Any, obj: RemoteObject, path: Path) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = parse_s3_uri(obj.uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    try:
        if obj.size > LARGE_OBJECT:
            client.download_file(bucket, key, str(partial))
        else:
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
            with open(partial, "wb") as f:
                shutil.copyfileobj(body, f, 1024 * 1024)
        os.replace(partial, path)
    except (ClientError, BotoCoreError) as error:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot download {obj.uri}: {error}") from None
    return 1


def _copy_local_store(uri: str, target: Path) -> int:
    source = local_store_path(uri)
    if source.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
        return 1
    if not source.is_dir():
        return 0
    count = 0
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            count += 1
    return count
