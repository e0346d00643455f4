"""SIGKILL of a submission mid-upload, then a resubmission: nothing half-staged is ever
referenced (no manifest, no job), and only the missing objects are sent again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.trees import manifest_uri, scan_tree, tree_uri

from .conftest import BUCKET, kill_when, make_dir, objects

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

ROOT = f"s3://{BUCKET}/stage"

STAGE = textwrap.dedent(
    """
    import sys
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.trees import scan_tree
    from aws_sagemaker_remote.storage.transfer import TransferConfig
    upload_trees([scan_tree(sys.argv[1])], sys.argv[2], progress=False,
                 config=TransferConfig(max_concurrency=2))
    """
)


def test_a_killed_upload_leaves_no_manifest_and_the_rerun_sends_only_what_is_missing(
    bucket, tmp_path, proxy, private_state
):
    data = make_dir(tmp_path / "data", 400, size=2000)
    tree = scan_tree(data)
    prefix = tree_uri(ROOT, tree).split("/", 3)[3]
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
    child = subprocess.Popen([sys.executable, "-c", STAGE, str(data), ROOT], env=env)
    kill_when(child, lambda: len(objects(bucket, prefix)) >= 40)
    present = objects(bucket, prefix)
    assert 40 <= len(present) < 400
    manifest = manifest_uri(ROOT, tree).split("/", 3)[3]
    assert manifest not in objects(bucket, "stage/manifests/")

    proxy.requests.clear()
    report = upload_trees([tree], ROOT, progress=False)
    # Requests the killed process had already sent may still land after the listing above,
    # so the rerun can find a few more in place: it must skip all it finds, send the rest.
    assert report.files_skipped >= len(present)
    assert report.files_uploaded == 400 - report.files_skipped
    assert proxy.count("PUT") == report.files_uploaded + 1  # the missing files and the manifest
    listed = json.loads(bucket.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())
    assert len(listed["files"]) == 400
    assert objects(bucket, prefix) == {prefix + e.relpath: e.size for e in tree.entries}
