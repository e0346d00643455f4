"""Questions about an S3 input before a job exists, asked of the local store (the same
interface as S3): one object or a prefix, what lies beside an object, and fetching either
to where a local run's argument points."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import NotFound
from aws_sagemaker_remote.storage.s3objects import (
    download_object_or_prefix,
    keys_beside,
    s3_input_kind,
)

from .conftest import LOCAL, put


@pytest.fixture()
def objects(local_store):
    put(local_store, "data/train.csv", b"a,b\n1,2\n")
    put(local_store, "data/train.csv.bak", b"old\n")
    put(local_store, "data/sub/part-0", b"zero")
    put(local_store, "single/f.txt", b"only")
    return local_store


def test_an_object_is_one_object_and_a_directory_a_prefix(objects):
    assert s3_input_kind(None, f"{LOCAL}/single/f.txt", field="inputs.data") is True
    assert s3_input_kind(None, f"{LOCAL}/data", field="inputs.data") is False
    assert s3_input_kind(None, f"{LOCAL}/data/", field="inputs.data") is False
    assert s3_input_kind(None, f"{LOCAL}/data/tr", field="inputs.data") is False  # raw prefix


def test_nothing_there_is_not_found_naming_the_input(objects):
    with pytest.raises(NotFound) as caught:
        s3_input_kind(None, f"{LOCAL}/nothing/here", field="inputs.data")
    assert caught.value.field == "inputs.data"
    assert "nothing/here" in caught.value.message and caught.value.fix


def test_keys_beside_an_object_are_the_other_keys_it_prefixes(objects):
    assert keys_beside(None, f"{LOCAL}/data/train.csv", field="inputs.data") == 1
    assert keys_beside(None, f"{LOCAL}/single/f.txt", field="inputs.data") == 0


def test_one_object_lands_under_its_own_name(objects, tmp_path):
    dest = tmp_path / "in"
    path, report = download_object_or_prefix(
        None, f"{LOCAL}/data/train.csv", str(dest), field="inputs.data"
    )
    assert path == str(dest / "train.csv")
    assert (dest / "train.csv").read_bytes() == b"a,b\n1,2\n"
    assert sorted(p.name for p in dest.iterdir()) == ["train.csv"], "not the .bak beside it"
    assert report.count == 1


def test_a_prefix_lands_as_the_tree_below_it(objects, tmp_path):
    dest = tmp_path / "in"
    path, report = download_object_or_prefix(None, f"{LOCAL}/data/", str(dest), field="inputs.d")
    assert path == str(dest)
    assert (dest / "train.csv").read_bytes() == b"a,b\n1,2\n"
    assert (dest / "train.csv.bak").read_bytes() == b"old\n"
    assert (dest / "sub" / "part-0").read_bytes() == b"zero"
    assert report.count == 3


def test_fetching_what_is_not_there_is_not_found(objects, tmp_path):
    with pytest.raises(NotFound):
        download_object_or_prefix(None, f"{LOCAL}/absent/", str(tmp_path / "in"), field="inputs.d")
