"""Questions about S3 inputs asked before a job exists: is it there, one object or a prefix?

Asked of whichever store holds the URI (S3 or the local store), through the same interface
as every other data path: one HEAD for a key that may name an object, one listing else.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NotFound, UserError
from .downloads import DownloadReport, download_objects, download_s3_input
from .s3clients import PREFIX_FIELD
from .stores import open_store
from .transfer import TransferConfig, run


def s3_input_kind(session, uri: str, *, field: str) -> bool:
    """True when ``uri`` names one object, False for a prefix; NotFound when neither exists."""
    store, key = open_store(uri, session=session, field=field)
    try:
        if key and not key.endswith("/") and run(store.head(key)) is not None:
            return True
        listed = store.list_sync(key)
    except UserError as error:
        if error.field and error.field != PREFIX_FIELD:
            raise
        # the store blames the staging prefix for a missing bucket: here it is the input's
        fix = "check the bucket name and your access to it"
        if error.field is None and error.fix:
            fix = error.fix
        raise UserError(error.message, field=field, fix=fix) from None
    if not any(not name.endswith("/") for name, _ in listed):
        raise NotFound(
            f"{uri} does not exist (no object or prefix)",
            field=field,
            fix="check the URI, e.g. with `aws s3 ls`",
        )
    return False


def keys_beside(session, uri: str, *, field: str) -> int:
    """How many other keys start with the object ``uri``'s key (``f.csv.bak`` beside
    ``f.csv``): an S3Prefix of the object would deliver them too."""
    store, key = open_store(uri, session=session, field=field)
    return sum(1 for name, _ in store.list_sync(key) if name != key)


def download_object_or_prefix(
    session, uri: str, dest: str, *, field: str, progress=None
) -> tuple[str, DownloadReport]:
    """Fetch one object (to ``dest/<name>``) or a whole prefix (into ``dest``).

    Returns the local path the channel's argument should be, and what was downloaded.
    """
    os.makedirs(dest, exist_ok=True)
    if s3_input_kind(session, uri, field=field):
        store, key = open_store(uri, session=session, field=field)
        name = key.rsplit("/", 1)[-1]
        size = run(store.head(key)) or 0
        coroutine = download_objects(
            store, [(key, name)], {key: size}, Path(dest), TransferConfig(), progress
        )
        report = run(coroutine)
        return os.path.join(dest, name), report
    return dest, download_s3_input(session, uri, dest, progress=progress)
