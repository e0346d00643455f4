"""What `jobs download` leaves and says: files get the mode any new file gets here (0666
less the umask: an S3 object has no mode to keep), and a download that refused keys exits 1
after saying how many objects were refused and how many files arrived."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import boto3
import pytest

pytestmark = pytest.mark.e2e  # the jobs command in a subprocess against moto server


@pytest.fixture()
def finished_job(moto_reset):
    """A Completed job in moto whose output ``out`` holds two objects."""
    from integration.test_sagemaker_backend import processing_request

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="job-bucket")
    boto3.client("sagemaker").create_processing_job(**processing_request("done"))
    for key in ("done/out/a.txt", "done/out/sub/b.txt"):
        s3.put_object(Bucket="job-bucket", Key=key, Body=key.encode())
    return s3


def download(target, umask: int = 0o022) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "download", "done"]
        + ["--output", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),
    )


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_downloaded_files_get_the_mode_the_umask_gives(finished_job, tmp_path, umask, mode):
    done = download(tmp_path, umask)
    assert done.returncode == 0, done.stderr
    for path in (tmp_path / "out" / "a.txt", tmp_path / "out" / "sub" / "b.txt"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_a_download_that_refused_keys_exits_1_saying_what_arrived(finished_job, tmp_path):
    finished_job.put_object(Bucket="job-bucket", Key="done/out/../../evil.txt", Body=b"x")
    done = download(tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "refused done/out/../../evil.txt" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "1 object refused, 2 files downloaded"
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"done/out/a.txt"
    assert not list(tmp_path.rglob("evil.txt"))
