"""Opening the store that holds a URI: the local store for its reserved bucket, S3 for any
other (or, for a job of ``serve``, its buckets on disk). The one place that knows which
store a URI lives in; everything else works against :class:`~.store.ObjectStore`."""

from __future__ import annotations

from typing import cast

from ..errors import UserError
from .store import ObjectStore


def split_uri(uri: str, field: str | None = None) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); a UserError naming ``field`` when it is not one."""
    from ..uris import parse_s3_uri

    try:
        bucket, key = parse_s3_uri(uri)
    except ValueError as error:
        raise UserError(f"{uri}: {error}", field=field, fix="write it as s3://bucket/key") from None
    return bucket, key


def needs_aws(uri: str) -> bool:
    """Whether reaching ``uri`` takes AWS credentials (the local store does not)."""
    from .localstore import is_local_store_uri

    return not is_local_store_uri(uri)


def check_location(uri: str, field: str | None = None) -> None:
    """Refuse, before anything happens, a URI no store can serve (``..`` in the local store)."""
    store, key = open_store(uri, field=field, lazy=True)
    if not store.needs_aws:
        from .localstore import normal_key

        try:
            normal_key(key, uri)
        except UserError as error:
            raise UserError(error.message, field=field, fix=error.fix) from None


def prepare_root(uri: str, *, session=None, region: str) -> None:
    """Make ``uri``'s bucket ready to stage into (S3: created when missing, with its rules)."""
    store, _ = open_store(uri, session=session, field="s3_prefix")
    store.prepare(region)


def open_store(
    uri: str, *, session=None, config=None, field: str | None = None, lazy: bool = False
) -> tuple[ObjectStore, str]:
    """The store holding ``uri`` and the key (or key prefix) it names.

    ``session``: the boto3.Session for S3 (None: a default one); ``lazy``: only parse.
    """
    from .localstore import LOCAL_STORE_BUCKET, LocalStore
    from .transfer import TransferConfig

    bucket, key = split_uri(uri, field)
    if bucket == LOCAL_STORE_BUCKET:
        return LocalStore(), key
    if lazy:
        return cast(ObjectStore, _Unopened(bucket)), key
    from .s3store import S3Store

    return S3Store(bucket, session, config or TransferConfig()), key


class _Unopened:
    needs_aws = True

    def __init__(self, bucket: str):
        self.bucket = bucket
