"""Every download path places objects through
one containment check; awkward keys are refused one line each, the rest arrives."""

from __future__ import annotations

import os

import pytest

from aws_sagemaker_remote.storage.downloads import download_prefix
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path

from .conftest import BUCKET

LONG = "n" * 250
HOSTILE = ["out/.", "out/sub/..", "out/../x", "out//abs", "out/x", "out/x/y", "out/" + LONG]


@pytest.fixture()
def hostile(bucket):
    for key in [*HOSTILE, "out/ok.txt", "out/folder/"]:
        bucket.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    return bucket


def files_under(root) -> dict[str, bytes]:
    return {
        os.path.relpath(os.path.join(d, n), root): open(os.path.join(d, n), "rb").read()
        for d, _dirs, names in os.walk(root)
        for n in names
    }


def test_awkward_keys_are_refused_by_name_and_the_rest_downloads(hostile, tmp_path):
    target = tmp_path / "deep" / "target"
    report = download_prefix(None, f"s3://{BUCKET}/out", target)
    assert files_under(target) == {
        "ok.txt": b"out/ok.txt",
        "x/y": b"out/x/y",
        LONG: ("out/" + LONG).encode(),
    }
    assert sorted(path.name for path in report.written) == sorted(["ok.txt", "y", LONG])
    assert sorted(r.key for r in report.refused) == sorted(
        ["out/.", "out/sub/..", "out/../x", "out//abs", "out/x"]
    )
    lines = report.lines("output out", str(target))
    assert all("\n" not in line for line in lines)
    assert any("out/../x" in line for line in lines)
    assert files_under(tmp_path) == {f"deep/target/{k}": v for k, v in files_under(target).items()}


def test_a_directory_in_the_way_is_refused_not_written_into(bucket, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="out/result", Body=b"new")
    (tmp_path / "target" / "result").mkdir(parents=True)
    report = download_prefix(None, f"s3://{BUCKET}/out", tmp_path / "target")
    assert report.count == 0 and [r.key for r in report.refused] == ["out/result"]
    assert os.listdir(tmp_path / "target" / "result") == []


def test_a_symlink_inside_the_target_cannot_lead_a_download_out(bucket, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="out/link/secret", Body=b"x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "link").symlink_to(tmp_path / "elsewhere")
    report = download_prefix(None, f"s3://{BUCKET}/out", tmp_path / "target")
    assert [r.key for r in report.refused] == ["out/link/secret"]
    assert os.listdir(tmp_path / "elsewhere") == []


def test_files_already_in_the_target_are_counted(bucket, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="out/a", Body=b"a")
    target = tmp_path / "target"
    (target / "old").mkdir(parents=True)
    (target / "old" / "1").write_bytes(b"1")
    (target / "a").write_bytes(b"stale")
    report = download_prefix(None, f"s3://{BUCKET}/out", target)
    assert report.count == 1 and report.already_there == 1
    assert "1 file already there not written by the job" in report.lines("output out", "t")[-1]
    assert (target / "a").read_bytes() == b"a"


def test_local_store_downloads_keep_file_modes(tmp_path):
    source = local_store_path(f"s3://{LOCAL_STORE_BUCKET}/jobs/j/out/private")
    source.parent.mkdir(parents=True)
    source.write_bytes(b"secret")
    os.chmod(source, 0o600)
    report = download_prefix(None, f"s3://{LOCAL_STORE_BUCKET}/jobs/j/out", tmp_path / "t")
    assert report.count == 1
    assert os.stat(tmp_path / "t" / "private").st_mode & 0o777 == 0o600
