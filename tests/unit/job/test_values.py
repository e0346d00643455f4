"""Checked values of a job spec: each refusal names the field it checks and says a fix;
each accepted value comes back in the form the spec stores (absolute paths, pairs)."""

from __future__ import annotations

import os

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job import values
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET


def refusal(call, *args, **kwargs) -> UserError:
    with pytest.raises(UserError) as caught:
        call(*args, **kwargs)
    assert caught.value.fix, "every refusal says how to fix it"
    return caught.value


def test_key_values_keep_order_and_let_the_last_of_a_key_win():
    pairs = values.key_values([("A", "1"), ("B", "x=y"), ("A", "2")], "env", "variables")
    assert pairs == (("A", "2"), ("B", "x=y"))
    assert values.key_values([], "env", "variables") == ()
    assert values.key_values(None, "env", "variables") == ()  # type: ignore[arg-type]


@pytest.mark.parametrize("item", [("NOVALUE", None), ("", "value")])
def test_key_values_refuse_what_is_not_key_equals_value(item):
    error = refusal(values.key_values, [("OK", "1"), item], "env", "variables")
    assert error.field == "env"
    assert "KEY=VALUE" in error.fix


def test_an_empty_value_is_still_a_pair():
    assert values.key_values([("EMPTY", "")], "env", "variables") == (("EMPTY", ""),)


def test_s3_uri_is_returned_as_given_or_refused_naming_the_field():
    assert values.s3_uri("s3://bucket/a/key", "inputs.data") == "s3://bucket/a/key"
    assert refusal(values.s3_uri, "bucket/a/key", "inputs.data").field == "inputs.data"
    assert refusal(values.s3_uri, "s3://Not_A_Bucket/k", "s3_prefix").field == "s3_prefix"


def test_where_relative_names_the_directory_only_for_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert values.where_relative("/abs/path") == ""
    assert str(tmp_path) in values.where_relative("rel/path")


def test_existing_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "req.txt").write_text("x\n")
    assert values.existing_path("req.txt", "requirements") == str(tmp_path / "req.txt")
    assert values.existing_path(None, "requirements") is None
    assert values.existing_path("", "requirements") is None


def test_a_missing_path_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    error = refusal(values.existing_path, "missing.txt", "requirements")
    assert error.field == "requirements"
    assert "missing.txt" in error.message and str(tmp_path) in error.message


def test_a_file_field_refuses_a_directory_and_accepts_it_when_either_will_do(tmp_path):
    assert refusal(values.existing_path, str(tmp_path), "script").field == "script"
    either = values.existing_path(str(tmp_path), "source_dir", what="file or directory")
    assert either == str(tmp_path)


def test_a_module_is_a_directory_or_a_py_file(tmp_path):
    (tmp_path / "lib.py").write_text("")
    (tmp_path / "data.csv").write_text("")
    (tmp_path / "pkg").mkdir()
    assert values.existing_path(str(tmp_path / "lib.py"), "modules.lib", what="module")
    assert values.existing_path(str(tmp_path / "pkg"), "modules.pkg", what="module")
    error = refusal(values.existing_path, str(tmp_path / "data.csv"), "modules.x", what="module")
    assert error.field == "modules.x"
    missing = refusal(values.existing_path, str(tmp_path / "nope"), "modules.y", what="module")
    assert "directory or .py file" in missing.fix


def test_writable_dir_accepts_a_path_to_be_made_below_a_writable_one(tmp_path):
    target = tmp_path / "not" / "yet" / "there"
    assert values.writable_dir(str(target), "outputs.out") == str(target)
    assert not target.exists(), "checking makes nothing"
    assert values.writable_dir(str(tmp_path), "outputs.out") == str(tmp_path)


def test_writable_dir_refuses_a_file_and_a_path_under_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    assert refusal(values.writable_dir, str(tmp_path / "file"), "outputs.out").field == (
        "outputs.out"
    )
    under = refusal(values.writable_dir, str(tmp_path / "file" / "sub"), "outputs.out")
    assert str(tmp_path / "file") in under.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_writable_dir_refuses_a_read_only_parent(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        error = refusal(values.writable_dir, str(locked / "out"), "outputs.out")
        assert str(locked) in error.message
    finally:
        locked.chmod(0o700)


def test_writable_file_needs_an_existing_parent_and_no_directory_there(tmp_path):
    assert values.writable_file(None, "output_json") is None
    path = tmp_path / "description.json"
    assert values.writable_file(str(path), "output_json") == str(path)
    assert not path.exists()
    assert refusal(values.writable_file, str(tmp_path), "output_json").field == "output_json"
    missing_parent = tmp_path / "no" / "d.json"
    assert refusal(values.writable_file, str(missing_parent), "output_json").field == (
        "output_json"
    )


@pytest.mark.parametrize("value", ["", "  ", "two words", "tab\there", "line\n"])
def test_no_blanks_refuses_empty_or_spaced_values(value):
    error = refusal(values.no_blanks, value, "job_name", "a job name")
    assert error.field == "job_name" and "a job name" in error.fix


def test_no_blanks_lets_none_and_plain_values_through():
    assert values.no_blanks(None, "job_name", "a job name") is None
    assert values.no_blanks("my-job", "job_name", "a job name") == "my-job"


def test_tags_are_pairs_without_the_reserved_aws_prefix():
    assert values.checked_tags([("team", "ml"), ("team", "data")]) == (("team", "data"),)
    for key in ("aws:created-by", "AWS:Owner"):
        assert refusal(values.checked_tags, [(key, "x")]).field == "tags"
    assert refusal(values.checked_tags, [("team", None)]).field == "tags"


def test_staging_prefix_drops_trailing_slashes_and_refuses_the_local_store():
    assert values.staging_prefix(None) is None
    assert values.staging_prefix("") is None
    assert values.staging_prefix("s3://bucket/stage//") == "s3://bucket/stage"
    assert values.staging_prefix("s3://bucket") == "s3://bucket"
    assert refusal(values.staging_prefix, "bucket/stage").field == "s3_prefix"
    local = refusal(values.staging_prefix, f"s3://{LOCAL_STORE_BUCKET}/mine")
    assert local.field == "s3_prefix"
