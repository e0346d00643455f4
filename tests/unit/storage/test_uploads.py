"""Putting a directory's files at keys of a store (a local run's outputs): every file,
at its relative path below the URI, the bytes unchanged; progress counted, not printed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.transfer import TransferConfig
from aws_sagemaker_remote.storage.uploads import directory_files, upload_directory, upload_files

from .conftest import LOCAL


@pytest.fixture()
def outputs(tmp_path) -> Path:
    root = tmp_path / "out"
    (root / "b" / "c").mkdir(parents=True)
    (root / "z.txt").write_bytes(b"zed")
    (root / "a.txt").write_bytes(b"ay")
    (root / "b" / "c" / "deep.bin").write_bytes(bytes(range(256)))
    return root


def stored(store, prefix: str) -> dict[str, bytes]:
    return {key: asyncio.run(store.get_bytes(key)) for key, _ in store.list_sync(prefix)}


def test_directory_files_are_sorted_relative_posix_paths(outputs):
    assert [rel for _, rel in directory_files(outputs)] == ["a.txt", "b/c/deep.bin", "z.txt"]
    assert all(path.is_file() for path, _ in directory_files(outputs))
    assert directory_files(outputs / "b" / "c") == [(outputs / "b/c/deep.bin", "deep.bin")]


def test_every_file_lands_below_the_uri_unchanged(local_store, outputs):
    sent = upload_directory(None, outputs, f"{LOCAL}/runs/r1")
    assert sent == 3
    assert stored(local_store, "runs/") == {
        "runs/r1/a.txt": b"ay",
        "runs/r1/b/c/deep.bin": bytes(range(256)),
        "runs/r1/z.txt": b"zed",
    }


def test_a_trailing_slash_or_the_bucket_root_make_no_empty_segment(local_store, outputs):
    upload_directory(None, outputs / "b", f"{LOCAL}/slash/")
    upload_directory(None, outputs / "b", LOCAL)
    assert [key for key, _ in local_store.list_sync("")] == ["c/deep.bin", "slash/c/deep.bin"]


def test_an_empty_directory_sends_nothing(local_store, tmp_path):
    (tmp_path / "empty").mkdir()
    assert upload_directory(None, tmp_path / "empty", f"{LOCAL}/nothing") == 0
    assert local_store.list_sync("") == []


def test_progress_reaches_the_callback(local_store, outputs):
    seen = []
    upload_directory(None, outputs, f"{LOCAL}/p", progress=seen.append)
    assert seen, "progress was reported"
    last = seen[-1]
    assert (last.files_done, last.files_total) == (3, 3)
    assert last.bytes_done == last.bytes_total == 2 + 3 + 256


def test_a_bad_uri_names_the_field(local_store, outputs):
    with pytest.raises(UserError) as caught:
        upload_directory(None, outputs, "not-a-uri", field="outputs.out")
    assert caught.value.field == "outputs.out"


def test_upload_files_sends_the_pairs_it_is_given(local_store, outputs):
    pairs = [(outputs / "a.txt", "x/renamed"), (outputs / "z.txt", "y/other")]
    asyncio.run(upload_files(local_store, pairs, TransferConfig()))
    assert stored(local_store, "") == {"x/renamed": b"ay", "y/other": b"zed"}
