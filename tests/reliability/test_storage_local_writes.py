"""A download that cannot be written here is this machine's trouble, not the store's.

A full disk or a read-only file system under the target used to read "S3 at
http://... failed downloading s3://...: [Errno 28] No space left on device": a server
fault, for a disk the user can free. Now it is one line naming the file and the fix, exit
2. Each case runs in a user and mount namespace of its own, with a small tmpfs as the
target (skipped where unprivileged namespaces are not allowed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, store_root

from .conftest import BUCKET

pytestmark = pytest.mark.e2e  # a process per case

MiB = 1024 * 1024
DOWNLOAD = textwrap.dedent(
    """
    import sys
    from aws_sagemaker_remote.errors import Error, exit_on_error
    from aws_sagemaker_remote.storage.downloads import download_prefix
    from aws_sagemaker_remote.storage.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunk_size=5 * 2**20)
    try:
        download_prefix(None, sys.argv[1], sys.argv[2], config=config)
    except Error as error:
        exit_on_error(error)
    """
)


def _namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    done = subprocess.run([unshare, "-rm", "true"], capture_output=True)
    return done.returncode == 0


def download_into_tmpfs(tmp_path, uri: str, options: str) -> subprocess.CompletedProcess:
    mount = tmp_path / "small"
    mount.mkdir()
    shell = 'mount -t tmpfs -o "$1" tmpfs "$2" && exec "$3" -c "$4" "$5" "$2/t"'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", shell, "sh", options, str(mount), sys.executable,
         DOWNLOAD, uri],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(not _namespaces_work(), reason="no unprivileged mount namespaces here")
@pytest.mark.parametrize("size", [3 * MiB, 12 * MiB], ids=["one GET", "ranged GETs"])
def test_a_full_disk_is_named_as_such_not_as_an_s3_fault(bucket, tmp_path, size):
    bucket.put_object(Bucket=BUCKET, Key="full/a.bin", Body=os.urandom(size))
    done = download_into_tmpfs(tmp_path, f"s3://{BUCKET}/full", "size=2m")
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.endswith("/small/t/a.bin: No space left on device (free space there, or "
                         "download somewhere else)"), line  # fmt: skip
    assert "S3" not in line and "127.0.0.1" not in line


@pytest.mark.skipif(not _namespaces_work(), reason="no unprivileged mount namespaces here")
def test_a_full_disk_under_a_local_store_download_is_named_too(tmp_path):
    source = store_root() / "full" / "a.bin"  # this test's own state directory
    source.parent.mkdir(parents=True)
    source.write_bytes(os.urandom(3 * MiB))
    done = download_into_tmpfs(tmp_path, f"s3://{LOCAL_STORE_BUCKET}/full", "size=2m")
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.endswith("/small/t/a.bin: No space left on device (free space there, or "
                         "download somewhere else)"), line  # fmt: skip


@pytest.mark.skipif(not _namespaces_work(), reason="no unprivileged mount namespaces here")
def test_a_read_only_target_is_named_as_such(bucket, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="ro/a.bin", Body=b"x")
    done = download_into_tmpfs(tmp_path, f"s3://{BUCKET}/ro", "size=2m,ro")
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert "cannot write" in line and "/small/t: Read-only file system" in line, line
    assert line.endswith("(download somewhere this user can write)")
