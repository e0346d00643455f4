"""Staging against moto server over real HTTP: what arrives, what is skipped, what resumes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time

import boto3
import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.buckets import ensure_bucket
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET
from aws_sagemaker_remote.storage.staging import (
    TransferConfig,
    UploadReport,
    upload_trees,
)
from aws_sagemaker_remote.storage.trees import manifest_uri, scan_tree, tree_uri

BUCKET = "staging-tests"
ROOT = f"s3://{BUCKET}/stage"
HOUR_AGO = time.time() - 3600


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Each test gets its own hash cache and blob index."""
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return s3


def make_dir(root, count: int, size: int = 1000):
    for i in range(count):
        path = root / f"part-{i // 10}" / f"file-{i:04}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return root


def objects(s3, prefix: str = "") -> dict[str, tuple]:
    """key -> (size, ETag, LastModified) of every object under prefix."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = (item["Size"], item["ETag"], item["LastModified"])
    return found


def key_of(uri: str) -> str:
    return uri.split("/", 3)[3]


def assert_staged(s3, tree, root: str = ROOT, *, local_files_unchanged: bool = True) -> None:
    """Every file of the tree is stored byte for byte, nothing else is, manifest included."""
    prefix = key_of(tree_uri(root, tree))
    assert set(objects(s3, prefix)) == {prefix + e.relpath for e in tree.entries}
    for entry in tree.entries:
        body = s3.get_object(Bucket=BUCKET, Key=prefix + entry.relpath)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry.sha256, entry.relpath
        if local_files_unchanged:
            with open(entry.source, "rb") as f:
                assert body == f.read(), entry.relpath
    manifest = s3.get_object(Bucket=BUCKET, Key=key_of(manifest_uri(root, tree)))
    listed = json.loads(manifest["Body"].read())["files"]
    assert [(f["path"], f["size"], f["sha256"]) for f in listed] == [
        (e.relpath, e.size, e.sha256) for e in tree.entries
    ]


@pytest.mark.e2e
def test_ensure_bucket_creates_a_missing_bucket_once(s3):
    ensure_bucket("s3://sagemaker-us-east-1-123456789012/x", region="us-east-1")
    ensure_bucket("s3://sagemaker-us-east-1-123456789012/x", region="us-east-1")
    ensure_bucket("s3://sagemaker-eu-west-1-123456789012", region="eu-west-1")
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {"sagemaker-us-east-1-123456789012", "sagemaker-eu-west-1-123456789012"} <= names
    where = s3.get_bucket_location(Bucket="sagemaker-eu-west-1-123456789012")
    assert where["LocationConstraint"] == "eu-west-1"
    with pytest.raises(UserError, match="is in eu-west-1") as caught:
        ensure_bucket("s3://sagemaker-eu-west-1-123456789012", region="us-east-1")
    assert caught.value.field == "s3_prefix"
    ensure_bucket(f"s3://{LOCAL_STORE_BUCKET}/anything", region="us-east-1")  # no AWS call


@pytest.mark.e2e
def test_staged_objects_are_the_local_bytes_and_a_rerun_uploads_nothing(bucket, tmp_path):
    data = scan_tree(make_dir(tmp_path / "data", 30))
    script = tmp_path / "job.py"
    script.write_text("print('hi')\n")
    code = scan_tree(script)

    first = upload_trees([data, code], ROOT, progress=False)
    assert (first.files_uploaded, first.files_skipped, first.files_copied) == (31, 0, 0)
    assert first.bytes_uploaded == 30 * 1000 + len("print('hi')\n")
    assert_staged(bucket, data)
    assert_staged(bucket, code)
    before = objects(bucket)
    assert len(before) == 31 + 2

    again = upload_trees([data, code], ROOT, progress=False)
    assert again == UploadReport(0, 0, 0, 31, first.bytes_uploaded)
    assert objects(bucket) == before  # same keys, ETags and LastModified
    assert "0 files (0 B) uploaded, 31 unchanged" in again.summary()


@pytest.mark.e2e
def test_changing_one_file_of_fifty_uploads_only_that_file(bucket, tmp_path):
    root = make_dir(tmp_path / "data", 50)
    old = scan_tree(root)
    upload_trees([old], ROOT, progress=False)

    (root / "part-2" / "file-0023.bin").write_bytes(b"changed")
    new = scan_tree(root)
    report = upload_trees([new], ROOT, progress=False)
    assert (report.files_uploaded, report.bytes_uploaded, report.files_copied) == (1, 7, 49)
    assert_staged(bucket, new)  # a complete tree of its own
    assert_staged(bucket, old, local_files_unchanged=False)  # the old tree is untouched


@pytest.mark.e2e
def test_the_same_bytes_are_uploaded_once_per_run(bucket, tmp_path):
    one = scan_tree(make_dir(tmp_path / "one", 5))
    single = tmp_path / "copy.bin"
    single.write_bytes((tmp_path / "one" / "part-0" / "file-0003.bin").read_bytes())
    two = scan_tree(single)
    report = upload_trees([one, two, one], ROOT, progress=False)
    assert (report.files_uploaded, report.files_copied) == (5, 1)
    assert_staged(bucket, one)
    assert_staged(bucket, two)


@pytest.mark.e2e
def test_an_interrupted_tree_is_completed_not_trusted(bucket, tmp_path):
    tree = scan_tree(make_dir(tmp_path / "data", 40))
    upload_trees([tree], ROOT, progress=False)
    prefix = key_of(tree_uri(ROOT, tree))
    bucket.delete_object(Bucket=BUCKET, Key=key_of(manifest_uri(ROOT, tree)))
    for entry in tree.entries[::4]:
        bucket.delete_object(Bucket=BUCKET, Key=prefix + entry.relpath)
    kept = {k: v for k, v in objects(bucket, prefix).items()}

    report = upload_trees([tree], ROOT, progress=False)
    assert (report.files_uploaded, report.files_skipped) == (10, 30)
    assert_staged(bucket, tree)
    assert all(objects(bucket, prefix)[k] == v for k, v in kept.items())


@pytest.mark.e2e
def test_a_run_that_fails_midway_leaves_no_manifest_and_resumes(bucket, tmp_path):
    root = make_dir(tmp_path / "data", 20)
    tree = scan_tree(root)
    last = root / tree.entries[-1].relpath
    saved = last.read_bytes()
    last.unlink()  # vanishes between scan and upload

    with pytest.raises(UserError, match="vanished"):
        upload_trees([tree], ROOT, config=TransferConfig(max_concurrency=1), progress=False)
    assert key_of(manifest_uri(ROOT, tree)) not in objects(bucket)
    assert len(objects(bucket, key_of(tree_uri(ROOT, tree)))) == 19

    last.write_bytes(saved)
    tree = scan_tree(root)  # as the next run does: same content, same digest
    report = upload_trees([tree], ROOT, progress=False)
    assert (report.files_uploaded, report.files_skipped) == (1, 19)
    assert_staged(bucket, tree)


@pytest.mark.e2e
def test_a_large_file_goes_multipart_and_arrives_intact(bucket, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024 + 123))
    tree = scan_tree(big)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024 + 1, multipart_chunk_size=5 << 20)
    report = upload_trees([tree], ROOT, config=config, progress=False)
    assert report.files_uploaded == 1
    assert_staged(bucket, tree)
    etag = objects(bucket, key_of(tree_uri(ROOT, tree)))[key_of(tree_uri(ROOT, tree)) + "big.bin"]
    assert etag[1].strip('"').endswith("-3")  # three parts


@pytest.mark.e2e
def test_s3_failures_are_user_errors_naming_the_flag(s3, tmp_path, monkeypatch):
    tree = scan_tree(make_dir(tmp_path / "d", 2))
    with pytest.raises(UserError, match="does not exist") as caught:
        upload_trees([tree], "s3://no-such-staging-bucket/x", progress=False)
    assert caught.value.field == "s3_prefix"
    with pytest.raises(UserError) as caught:
        upload_trees([tree], "s3://Not_A_Bucket/x", progress=False)
    assert caught.value.field == "s3_prefix"

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    with pytest.raises(UserError, match="no AWS credentials") as caught:
        upload_trees([tree], ROOT, session=boto3.Session(), progress=False)
    assert caught.value.field == "profile"


@pytest.mark.e2e
def test_progress_is_reported_to_a_callback_not_printed(bucket, tmp_path, capfd):
    tree = scan_tree(make_dir(tmp_path / "d", 3))
    events = []
    upload_trees([tree], ROOT, progress=events.append)
    assert capfd.readouterr().err == ""
    final = events[-1]
    assert final.final and (final.files_done, final.files_total) == (3, 3)
    assert final.bytes_done == final.bytes_total == 3000


def test_progress_lines_off_a_terminal_come_at_most_every_ten_seconds():
    import io

    from aws_sagemaker_remote.cli.progress import ProgressPrinter
    from aws_sagemaker_remote.storage.transfer import TransferProgress

    now = [0.0]
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=False, clock=lambda: now[0])
    for second in range(26):
        now[0] = float(second)
        printer(TransferProgress("staging", second, 30, second * 1024, 30 * 1024, now[0] + 1))
    printer(TransferProgress("staging", 30, 30, 30 * 1024, 30 * 1024, 26.0, final=True))
    lines = out.getvalue().splitlines()
    assert lines == [
        "staging: 10/30 files, 10.0 KiB/30.0 KiB (930 B/s)",
        "staging: 20/30 files, 20.0 KiB/30.0 KiB (975 B/s)",
    ]
    assert "\r" not in out.getvalue()


LOCAL_RUN = textwrap.dedent(
    """
    import sys
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.trees import scan_tree
    tree = scan_tree(sys.argv[1])
    for _ in range(2):
        print(upload_trees([tree], sys.argv[2], progress=False).files_uploaded)
    print(tree.digest)
    print("boto3" in sys.modules, "obstore" in sys.modules)
    """
)


@pytest.mark.e2e
def test_local_store_gets_the_same_layout_without_aws(tmp_path, no_aws_env):
    data = make_dir(tmp_path / "data", 12)
    root = f"s3://{LOCAL_STORE_BUCKET}/staging"
    done = subprocess.run(
        [sys.executable, "-c", LOCAL_RUN, str(data), root],
        env=no_aws_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    first, second, digest, imported = done.stdout.splitlines()
    assert (first, second, imported) == ("12", "0", "False False")

    store = tmp_path / "state" / "store" / "staging"
    assert json.loads((store / "manifests" / f"{digest}.json").read_text())["digest"] == digest
    staged = sorted(p for p in (store / "trees" / digest).rglob("*") if p.is_file())
    assert [p.relative_to(store / "trees" / digest) for p in staged] == sorted(
        p.relative_to(data) for p in data.rglob("*") if p.is_file()
    )
    for path in staged:
        assert path.read_bytes() == (data / path.relative_to(store / "trees" / digest)).read_bytes()


@pytest.mark.e2e
def test_a_file_edited_after_its_scan_is_refused_not_stored_under_the_old_hash(bucket, tmp_path):
    root = make_dir(tmp_path / "data", 5)
    tree = scan_tree(root)
    edited = root / tree.entries[0].relpath
    edited.write_bytes(bytes(reversed(edited.read_bytes())))  # same size, other bytes
    os.utime(edited, ns=(1, 1))
    with pytest.raises(UserError, match="changed or vanished"):
        upload_trees([tree], ROOT, config=TransferConfig(max_concurrency=1), progress=False)
    assert key_of(tree_uri(ROOT, tree)) + tree.entries[0].relpath not in objects(bucket)
    assert key_of(manifest_uri(ROOT, tree)) not in objects(bucket)


def test_the_plan_skips_copies_uploads_and_repairs_without_a_server():
    from aws_sagemaker_remote.storage.plan import plan_staging, tree_prefix
    from aws_sagemaker_remote.storage.trees import FileEntry, make_tree

    def entry(rel: str, sha: str, size: int = 10) -> FileEntry:
        return FileEntry(rel, f"/src/{rel}", size, sha)

    done = make_tree([entry("a", "1" * 64), entry("b", "2" * 64), entry("c", "3" * 64)])
    new = make_tree([entry("x", "2" * 64), entry("y", "4" * 64), entry("z", "4" * 64)])
    kept = tree_prefix("p/", done)
    listed = {kept + "a": 10, kept + "b": 3}  # b truncated, c deleted, manifest still there
    plan = plan_staging(
        [done, new],
        "p/",
        manifests={done.digest: True},
        listed=listed,
        known={"3" * 64: kept + "c", "4" * 64: "p/trees/old/y"},
    )
    assert [e.relpath for e in plan.skipped] == ["a"]
    blobs = {
        b.sha256[0]: (b.source, [(p.key.rsplit("/", 1)[1], p.repair) for p in b.puts])
        for b in plan.blobs
    }
    assert blobs == {
        "2": (None, [("b", True), ("x", False)]),  # b's own key is no source: upload once
        "3": (None, [("c", True)]),  # the index points at the deleted key: upload
        "4": ("p/trees/old/y", [("y", False), ("z", False)]),  # copied from a known key
    }
    assert plan.repairs == 2
    assert [key for _, key in plan.manifests] == [f"p/manifests/{new.digest}.json"]
    assert plan.present == (("1" * 64, kept + "a"),)


@pytest.mark.e2e
def test_a_missing_bucket_is_made_after_the_checks_and_looked_at_again(s3, tmp_path):
    """A submission's look finds no bucket on a first run: it is made (make_bucket) only
    after before_upload's checks passed, then looked at again. Without make_bucket a
    missing bucket is the user's one-line mistake. The checks start (while_looking) once,
    as the first look goes out."""
    tree = scan_tree(make_dir(tmp_path / "data", 5))
    with pytest.raises(UserError, match=f"bucket {BUCKET} does not exist") as caught:
        upload_trees([tree], ROOT)
    assert caught.value.field == "s3_prefix"
    calls = []
    report = upload_trees(
        [tree],
        ROOT,
        while_looking=lambda: calls.append("looking"),
        before_upload=lambda: calls.append("checked"),
        make_bucket=lambda: calls.append(s3.create_bucket(Bucket=BUCKET) and "made"),
    )
    assert calls == ["looking", "checked", "made"] and report.files_uploaded == 5
    assert_staged(s3, tree)
    calls.clear()
    again = upload_trees(
        [tree],
        ROOT,
        while_looking=lambda: calls.append("looking"),
        make_bucket=lambda: calls.append("made again"),
    )
    assert again.files_uploaded == 0 and calls == ["looking"]  # no bucket to make
