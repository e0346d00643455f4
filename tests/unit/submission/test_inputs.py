"""Inputs already in a store, looked up before the job is planned: a directory is sent
with a trailing "/", one object as given (or by a one-entry manifest when other keys start
with its key), and what a dry run without AWS cannot look up is guessed and said."""

from __future__ import annotations

import asyncio
import json

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.channels import S3Input
from aws_sagemaker_remote.job.spec import InputSpec
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, LocalStore
from aws_sagemaker_remote.submission.inputs import resolve_s3_inputs
from aws_sagemaker_remote.submission.where import Where

from ..job.specs import make_project, spec_for
from .memory import MemoryBackend, description

LOCAL = f"s3://{LOCAL_STORE_BUCKET}"


def output_root_of(job: str) -> str:
    return f"s3://guessed-bucket/jobs/{job}"


@pytest.fixture()
def store(tmp_path, monkeypatch) -> LocalStore:
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    local = LocalStore()
    for key, body in {
        "data/f.csv": b"1\n",
        "data/f.csv.bak": b"0\n",
        "data/train/part-0": b"p0",
        "single/only.txt": b"o",
        "clean/x": b"x",
        "clean_v2/y": b"y",
    }.items():
        asyncio.run(local.put_bytes(key, body))
    return local


def resolve(tmp_path, sources: dict[str, str], *, backend=None, where=None, data_type="S3Prefix"):
    """resolve_s3_inputs for a spec whose inputs come from ``sources``; (resolved, where)."""
    spec = spec_for(tmp_path / "project" / "job.py")  # made by the ``project`` fixture
    inputs = tuple(
        InputSpec(n, s, "File", "FullyReplicated", data_type) for n, s in sources.items()
    )
    spec = spec._replace(inputs=inputs)
    where = where or Where("us-east-1", "000000000000")
    return resolve_s3_inputs(spec, sources, where, backend, output_root_of), where


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "project").mkdir()
    return make_project(tmp_path / "project")


def test_local_paths_are_left_to_staging(tmp_path, project):
    resolved, where = resolve(tmp_path, {"data": str(tmp_path / "project" / "data")})
    assert resolved == {} and where.notes == []


def test_a_directory_gets_its_trailing_slash(tmp_path, project, store):
    resolved, where = resolve(tmp_path, {"a": f"{LOCAL}/clean", "b": f"{LOCAL}/clean/"})
    assert resolved == {
        "a": S3Input(f"{LOCAL}/clean/", False),
        "b": S3Input(f"{LOCAL}/clean/", False),
    }
    assert where.notes == []


def test_a_lone_object_is_sent_as_it_is(tmp_path, project, store):
    resolved, _ = resolve(tmp_path, {"one": f"{LOCAL}/single/only.txt"})
    assert resolved == {"one": S3Input(f"{LOCAL}/single/only.txt", True, None)}


def test_an_object_other_keys_start_with_goes_by_a_manifest_of_itself(tmp_path, project, store):
    uri = f"{LOCAL}/data/f.csv"
    resolved, _ = resolve(tmp_path, {"f": uri})
    sent = resolved["f"]
    assert (sent.uri, sent.is_object) == (uri, True)
    assert sent.manifest is not None
    assert json.loads(open(sent.manifest).read()) == [{"prefix": f"{LOCAL}/data/"}, "f.csv"]
    assert str(tmp_path / "state") in sent.manifest, "kept under the state directory"
    again, _ = resolve(tmp_path, {"f": uri})
    assert again["f"].manifest == sent.manifest, "the same object, the same manifest"


def test_a_prefix_ending_inside_a_name_is_sent_as_given_and_said(tmp_path, project, store):
    resolved, where = resolve(tmp_path, {"t": f"{LOCAL}/data/tr"})
    assert resolved == {"t": S3Input(f"{LOCAL}/data/tr", False)}
    assert len(where.notes) == 1 and f"{LOCAL}/data/tr" in where.notes[0]


def test_nothing_there_is_refused_naming_the_input(tmp_path, project, store):
    with pytest.raises(UserError) as caught:
        resolve(tmp_path, {"gone": f"{LOCAL}/nothing/"})
    assert caught.value.field == "inputs.gone"


def test_a_manifest_input_is_sent_as_the_manifest_object_without_a_look(tmp_path, project):
    uri = "s3://some-bucket/lists/train.manifest"
    resolved, where = resolve(tmp_path, {"m": uri}, data_type="ManifestFile")
    assert resolved == {"m": S3Input(uri, True)} and where.notes == []


def test_a_dry_run_without_aws_assumes_a_directory_and_says_so(tmp_path, project):
    resolved, where = resolve(tmp_path, {"data": "s3://some-bucket/data"})
    assert resolved == {"data": S3Input("s3://some-bucket/data/", False)}
    assert len(where.notes) == 1
    assert "{{inputs.data}}" in where.notes[0] and "s3://some-bucket/data" in where.notes[0]


def test_a_dry_run_without_aws_guesses_where_a_job_put_its_output(tmp_path, project):
    resolved, where = resolve(tmp_path, {"a": "job://prep/clean", "b": "job://prep/clean/x.csv"})
    assert resolved == {
        "a": S3Input("s3://guessed-bucket/jobs/prep/clean/", False),
        "b": S3Input("s3://guessed-bucket/jobs/prep/clean/x.csv", False),
    }
    assert len(where.notes) == 2 and all("job://prep/clean" in note for note in where.notes)


def test_a_job_reference_is_looked_up_in_the_backend(tmp_path, project, store):
    backend = MemoryBackend()
    backend.add(description("prep", "Completed", {"clean": f"{LOCAL}/clean"}))
    backend.add(description("running", "InProgress", {"clean": f"{LOCAL}/clean"}))
    resolved, where = resolve(tmp_path, {"in": "job://prep/clean"}, backend=backend)
    assert resolved == {"in": S3Input(f"{LOCAL}/clean/", False)}, "not clean_v2"
    with pytest.raises(UserError) as caught:
        resolve(tmp_path, {"in": "job://running/clean"}, backend=backend)
    assert caught.value.field == "inputs.in"
    with pytest.raises(UserError) as caught:
        resolve(tmp_path, {"in": "job://nosuchjob/clean"}, backend=backend)
    assert caught.value.field == "inputs.in"
