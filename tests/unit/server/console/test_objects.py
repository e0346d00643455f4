"""Listing a prefix as S3 does with a delimiter, over the project's own object stores."""

from __future__ import annotations

import pytest
from consolekit import put

from aws_sagemaker_remote.errors import NotFound, UserError
from aws_sagemaker_remote.server.console import local_store_objects
from aws_sagemaker_remote.server.console.objects import LIST_LIMIT, fold
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET


def entries(*keys: str):
    return [(key, len(key), None) for key in keys]


def test_fold_gives_folders_and_the_keys_right_there():
    listing = fold(entries("p/a", "p/b/c", "p/b/d", "p/e/f/g", "q/x"), "p/", None)
    assert listing.folders == ["p/b/", "p/e/"]
    assert [o.key for o in listing.objects] == ["p/a"]
    assert listing.next_token is None


def test_fold_matches_raw_prefixes_as_s3_does():
    listing = fold(entries("data/x", "data-2/y", "data.csv"), "data", None)
    assert listing.folders == ["data-2/", "data/"]
    assert [o.key for o in listing.objects] == ["data.csv"]


def test_fold_pages_a_large_prefix():
    keys = [f"p/{i:05d}" for i in range(LIST_LIMIT + 5)]
    first = fold(entries(*keys), "p/", None)
    assert len(first.objects) == LIST_LIMIT and first.next_token == keys[LIST_LIMIT - 1]
    rest = fold(entries(*keys), "p/", first.next_token)
    assert [o.key for o in rest.objects] == keys[LIST_LIMIT:] and rest.next_token is None


def test_the_local_store_reader_lists_with_dates_and_streams_objects(engine):
    put("jobs/j/out/a.txt", b"hello")
    put("jobs/j/out/deep/b.txt", b"b")
    reader = local_store_objects()
    listing = reader.list(LOCAL_STORE_BUCKET, "jobs/j/out/")
    assert listing.folders == ["jobs/j/out/deep/"]
    (only,) = listing.objects
    assert (only.key, only.size) == ("jobs/j/out/a.txt", 5) and only.modified is not None
    body = reader.open(LOCAL_STORE_BUCKET, "jobs/j/out/a.txt")
    assert body.size == 5 and b"".join(body.chunks) == b"hello"


def test_the_local_store_reader_serves_its_bucket_only(engine):
    reader = local_store_objects()
    assert reader.serves(LOCAL_STORE_BUCKET) and not reader.serves("someone-elses")
    with pytest.raises(NotFound):
        reader.list("someone-elses", "")
    with pytest.raises(NotFound):
        reader.open(LOCAL_STORE_BUCKET, "jobs/missing")
    with pytest.raises(UserError):
        reader.open(LOCAL_STORE_BUCKET, "../jobs.sqlite")
