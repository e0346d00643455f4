"""A staged tree is checked by listing it before it is reused; what is
missing is restored and said so."""

from __future__ import annotations

import hashlib

import pytest

from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path
from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import BUCKET, make_dir, objects

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

ROOT = f"s3://{BUCKET}/stage"


def test_objects_deleted_under_a_staged_tree_are_restored_and_reported(bucket, tmp_path, proxy):
    tree = scan_tree(make_dir(tmp_path / "data", 30))
    upload_trees([tree], ROOT, progress=False)
    prefix = tree_uri(ROOT, tree).split("/", 3)[3]
    gone = [prefix + e.relpath for e in tree.entries[:3]]
    for key in gone:
        bucket.delete_object(Bucket=BUCKET, Key=key)

    report = upload_trees([tree], ROOT, progress=False)
    assert (report.files_restored, report.files_skipped) == (3, 27)
    assert "3 missing from a staged tree restored" in report.summary()
    stored = objects(bucket, prefix)
    assert stored == {prefix + e.relpath: e.size for e in tree.entries}
    for entry in tree.entries[:3]:
        body = bucket.get_object(Bucket=BUCKET, Key=prefix + entry.relpath)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry.sha256


def test_a_truncated_object_under_a_staged_tree_is_restored(bucket, tmp_path):
    tree = scan_tree(make_dir(tmp_path / "data", 5))
    upload_trees([tree], ROOT, progress=False)
    key = tree_uri(ROOT, tree).split("/", 3)[3] + tree.entries[0].relpath
    bucket.put_object(Bucket=BUCKET, Key=key, Body=b"short")
    report = upload_trees([tree], ROOT, progress=False)
    assert report.files_restored == 1
    assert bucket.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == tree.entries[0].size


def test_the_check_lists_once_per_thousand_keys_and_heads_nothing_per_object(
    bucket, tmp_path, proxy
):
    tree = scan_tree(make_dir(tmp_path / "data", 1500, size=10))
    upload_trees([tree], ROOT, progress=False)
    proxy.requests.clear()
    report = upload_trees([tree], ROOT, progress=False)
    assert (report.files_uploaded, report.files_skipped) == (0, 1500)
    assert proxy.count("GET", "list-type=2") == 2
    assert proxy.count("HEAD") <= 1  # the manifest, not the objects
    assert proxy.count("PUT") == 0


def test_files_deleted_from_a_staged_tree_in_the_local_store_are_restored(tmp_path):
    root = f"s3://{LOCAL_STORE_BUCKET}/staging"
    tree = scan_tree(make_dir(tmp_path / "data", 4))
    upload_trees([tree], root, progress=False)
    missing = local_store_path(tree_uri(root, tree)) / tree.entries[1].relpath
    missing.unlink()
    report = upload_trees([tree], root, progress=False)
    assert report.files_restored == 1
    assert missing.read_bytes() == open(tree.entries[1].source, "rb").read()


def test_a_listing_split_into_parts_finds_what_one_listing_finds(bucket):
    """The check lists a tree's pages at once, split after keys it expects: keys missing at
    a split (k13) or found where none was expected (k13a, zz) change nothing."""
    from aws_sagemaker_remote.storage.stores import open_store
    from aws_sagemaker_remote.storage.transfer import run

    for i in range(30):
        if i not in (5, 13):
            bucket.put_object(Bucket=BUCKET, Key=f"p/k{i:02}", Body=b"x" * i)
    for extra in ("p/k13a", "p/zz", "p-sibling/k00"):
        bucket.put_object(Bucket=BUCKET, Key=extra, Body=b"extra")
    store, _ = open_store(f"s3://{BUCKET}/p/")
    whole = store.list_sync("p/")
    split = run(store.list("p/", split_after=["p/k06", "p/k13", "p/k20", "q/not-under-p"]))
    assert split == whole
    assert len(whole) == 30 and ("p/k13a", 5) in whole and ("p/zz", 5) in whole
