"""A killed download (or a killed write into the local store) leaves temporary files; a
later run recognises them as abandoned (nobody holds their lock) and removes them, a
download in progress keeps its own, and staging never ships one.

Temporary files younger than a few seconds are left alone (their writer may be between
creating and locking them): the tests date the killed run's files back, as time would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from aws_sagemaker_remote.storage.downloads import download_prefix
from aws_sagemaker_remote.storage.localstore import LocalStore, local_store_path
from aws_sagemaker_remote.storage.trees import scan_tree

from .conftest import BUCKET, kill_when

pytestmark = pytest.mark.e2e  # a subprocess killed mid-transfer

MiB = 1024 * 1024
PREFIXES = (".asr-", ".partial-")  # a download's and a local-store write's temporary names
DOWNLOAD = textwrap.dedent(
    """
    import sys
    from aws_sagemaker_remote.storage.downloads import download_prefix
    download_prefix(None, sys.argv[1], sys.argv[2])
    """
)


def temporaries(root) -> list[str]:
    return sorted(
        os.path.join(d, n) for d, _, names in os.walk(root) for n in names if n.startswith(PREFIXES)
    )


def date_back(paths) -> None:
    hour_ago = time.time() - 3600
    for path in paths:
        os.utime(path, (hour_ago, hour_ago))


def test_a_killed_download_leaves_nothing_a_later_download_keeps_or_staging_ships(
    bucket, tmp_path, proxy
):
    bodies = {f"out/small-{i:02}.txt": os.urandom(1000) for i in range(12)}
    bodies["out/big.bin"] = os.urandom(80 * MiB)  # above the ranged-GET threshold
    for key, data in bodies.items():
        bucket.put_object(Bucket=BUCKET, Key=key, Body=data)
    proxy.add("freeze", match=lambda method, target: method == "GET" and "list-type" not in target)
    target = tmp_path / "target"
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
    child = subprocess.Popen(
        [sys.executable, "-c", DOWNLOAD, f"s3://{BUCKET}/out", str(target)], env=env
    )
    kill_when(
        child,
        lambda: (
            len(temporaries(target)) >= 12
            and any(os.path.getsize(p) > 0 for p in temporaries(target))
        ),
    )
    left = temporaries(target)
    assert len(left) >= 12 and sum(os.path.getsize(p) for p in left) > 0  # the garbage
    proxy.clear()
    date_back(left)

    report = download_prefix(None, f"s3://{BUCKET}/out", target)
    assert report.count == len(bodies) and report.already_there == 0
    assert temporaries(target) == []
    for key, data in bodies.items():
        assert (target / key.split("/", 1)[1]).read_bytes() == data
    assert {e.relpath for e in scan_tree(target).entries} == {k[4:] for k in bodies}


def test_a_temporary_file_still_held_by_its_writer_is_kept(tmp_path):
    from aws_sagemaker_remote.storage import tempfiles

    with tempfiles.held_temporary(tmp_path, tempfiles.DOWNLOAD_PREFIX) as (_fd, path):
        date_back([path])
        assert tempfiles.sweep(tmp_path) == 0 and os.path.exists(path)
    assert tempfiles.sweep(tmp_path) == 1 and not os.path.exists(path)  # now abandoned


def test_staging_never_ships_a_temporary_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "real.txt").write_text("real")
    (data / ".asr-k2j4_x9q").write_bytes(b"half a download")
    (data / ".partial-a1b2c3d4").write_bytes(b"half a write")
    assert [e.relpath for e in scan_tree(data).entries] == ["real.txt"]


WRITE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from aws_sagemaker_remote.storage.localstore import atomic_write

    def write(out):
        out.write(b"x" * 1_000_000)
        out.flush()
        Path(sys.argv[2]).touch()
        time.sleep(600)

    atomic_write(Path(sys.argv[1]), write)
    """
)


def test_a_killed_write_into_the_local_store_is_removed_by_a_later_listing(tmp_path):
    target = local_store_path("s3://aws-sagemaker-remote-local-store/staging/trees/t/a.bin")
    marker = tmp_path / "writing"
    child = subprocess.Popen([sys.executable, "-c", WRITE, str(target), str(marker)])
    kill_when(child, marker.exists)
    left = temporaries(target.parent)
    assert len(left) == 1 and os.path.basename(left[0]).startswith(".partial-")
    date_back(left)

    assert LocalStore().list_sync("staging/trees/t/") == []
    assert temporaries(target.parent) == []
