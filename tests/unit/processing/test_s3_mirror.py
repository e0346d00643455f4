"""S3 channels of a local run, through the local store (the same interface as S3, no AWS):
inputs fetched to temporary copies, outputs uploaded only after ``main`` succeeded, and
what was kept when it did not."""

from __future__ import annotations

import asyncio
import os
import tempfile

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.processing.s3_mirror import S3Mirror
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, LocalStore

LOCAL = f"s3://{LOCAL_STORE_BUCKET}"


@pytest.fixture()
def store(tmp_path, monkeypatch) -> LocalStore:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # kept copies stay in tmp_path
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    local = LocalStore()
    for key, body in {"in/a.csv": b"a\n", "in/sub/b.csv": b"b\n", "in/a.csv.bak": b"x"}.items():
        asyncio.run(local.put_bytes(key, body))
    return local


def stored(store: LocalStore, prefix: str) -> dict[str, bytes]:
    return {key: asyncio.run(store.get_bytes(key)) for key, _ in store.list_sync(prefix)}


def test_a_prefix_is_fetched_as_its_tree(store):
    with S3Mirror() as mirror:
        path = mirror.fetch(f"{LOCAL}/in/", field="inputs.data")
        assert path.startswith(mirror.root)
        assert open(os.path.join(path, "a.csv"), "rb").read() == b"a\n"
        assert open(os.path.join(path, "sub", "b.csv"), "rb").read() == b"b\n"
    assert not os.path.exists(mirror.root), "copies are removed after the run"


def test_an_object_is_fetched_as_that_one_file(store):
    with S3Mirror() as mirror:
        path = mirror.fetch(f"{LOCAL}/in/a.csv", field="inputs.data")
        assert os.path.basename(path) == "a.csv" and open(path, "rb").read() == b"a\n"
        assert os.listdir(os.path.dirname(path)) == ["a.csv"]


def test_outputs_are_uploaded_after_main(store, capsys):
    with S3Mirror() as mirror:
        local = mirror.output_dir("out", f"{LOCAL}/results/r1", field="outputs.out")
        assert os.listdir(local) == []
        with open(os.path.join(local, "r.txt"), "w") as out:
            out.write("done\n")
        assert stored(store, "results/") == {}, "nothing is sent while main runs"
        mirror.upload_outputs()
    assert stored(store, "results/") == {"results/r1/r.txt": b"done\n"}
    assert f"{LOCAL}/results/r1" in capsys.readouterr().err


def test_a_failed_main_uploads_nothing_and_keeps_what_it_wrote(store, capsys):
    with pytest.raises(RuntimeError):
        with S3Mirror() as mirror:
            local = mirror.output_dir("out", f"{LOCAL}/results/r2", field="outputs.out")
            with open(os.path.join(local, "partial.txt"), "w") as out:
                out.write("half\n")
            mirror.fetch(f"{LOCAL}/in/", field="inputs.data")
            raise RuntimeError("main failed")
    assert stored(store, "results/") == {}
    assert open(os.path.join(local, "partial.txt")).read() == "half\n"
    assert not os.path.exists(os.path.join(mirror.root, "inputs")), "input copies go"
    err = capsys.readouterr().err
    assert "--out" in err and local in err


@pytest.mark.parametrize("uri", ["not-a-uri", "s3://Bad_Bucket/x", f"{LOCAL}/../escape"])
def test_an_output_uri_no_store_can_serve_is_refused_naming_its_field(store, uri):
    with S3Mirror() as mirror:
        with pytest.raises(UserError) as caught:
            mirror.output_dir("out", uri, field="outputs.out")
    assert caught.value.field == "outputs.out"


def test_a_job_reference_to_no_local_job_names_the_input(store):
    with S3Mirror(instance="local") as mirror:
        with pytest.raises(UserError) as caught:
            mirror.fetch("job://nosuchjob/out", field="inputs.data")
    assert caught.value.field == "inputs.data"


def test_the_local_store_needs_no_session(store):
    mirror = S3Mirror()
    try:
        assert mirror.session_for(f"{LOCAL}/in/") is None
    finally:
        mirror.__exit__(None, None, None)
