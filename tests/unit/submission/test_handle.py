"""``Job``, the handle on one processing job, over a Backend kept in memory: status, logs,
stop, wait with events, the failure to raise, and downloads (from the local store, so no
AWS is involved) into a directory or to the paths outputs were given as."""

from __future__ import annotations

import asyncio
import json

import pytest

from aws_sagemaker_remote.errors import JobFailed, NotFound, UserError
from aws_sagemaker_remote.events import Event
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, LocalStore
from aws_sagemaker_remote.submission.handle import (
    LOCAL_POLL_SECONDS,
    REMOTE_POLL_SECONDS,
    Job,
)

from .memory import MemoryBackend, description

LOCAL = f"s3://{LOCAL_STORE_BUCKET}"
OUTPUTS = {"out": f"{LOCAL}/jobs/j/out", "report": f"{LOCAL}/jobs/j/report"}


@pytest.fixture()
def backend() -> MemoryBackend:
    memory = MemoryBackend()
    memory.add(
        description("j", "InProgress", OUTPUTS),
        "InProgress",
        "Completed",
        logs=["starting", "done"],
    )
    return memory


@pytest.fixture()
def stored_outputs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    store = LocalStore()
    for key, body in {
        "jobs/j/out/a.txt": b"A",
        "jobs/j/out/sub/b.txt": b"B",
        "jobs/j/report/r.json": b"{}",
    }.items():
        asyncio.run(store.put_bytes(key, body))


def test_status_describe_and_stop_go_to_the_backend(backend):
    job = Job("j", backend)
    assert job.status() == "InProgress"
    assert job.describe()["ProcessingJobStatus"] == "Completed"  # each describe asks again
    job.stop()
    assert backend.stopped == ["j"]
    with pytest.raises(NotFound):
        Job("other", backend).status()


def test_the_local_engine_is_polled_often_sagemaker_rarely(backend):
    assert not Job("j", backend).local
    assert Job("j", backend).poll_seconds == REMOTE_POLL_SECONDS
    engine = MemoryBackend(local=True)
    assert Job("j", engine).local and Job("j", engine).poll_seconds == LOCAL_POLL_SECONDS
    assert repr(Job("j", engine)) == "Job('j', local)"
    assert repr(Job("j", backend)) == "Job('j', sagemaker)"


def test_logs_read_what_is_there_and_say_when_there_is_no_such_job(backend):
    assert list(Job("j", backend).logs()) == ["starting", "done"]
    with pytest.raises(NotFound):
        list(Job("missing", backend).logs())


def test_following_logs_ends_when_the_job_does(backend):
    assert list(Job("j", backend).logs(follow=True)) == ["starting", "done"]
    assert backend.jobs["j"]["ProcessingJobStatus"] == "Completed"


def test_wait_tells_status_changes_and_log_lines_then_returns_the_end(backend):
    heard: list[Event] = []
    job = Job("j", backend, on_event=heard.append)
    assert job.wait(poll_seconds=0.001) == "Completed"
    kinds = [event.kind for event in heard]
    assert kinds.count("log") == 2 and kinds[-1] == "status"
    assert [e.text for e in heard if e.kind == "log"] == ["starting", "done"]
    final = heard[-1]
    assert final.data["ProcessingJobStatus"] == "Completed" and "Completed" in final.text


def test_wait_without_a_listener_still_waits(backend):
    final = Job("j", backend).follow(poll_seconds=0.001)
    assert final["ProcessingJobStatus"] == "Completed"


def test_a_failed_job_gives_an_error_with_its_reason_and_last_lines(backend):
    backend.add(
        description("bad", "Failed", FailureReason="AlgorithmError: boom"),
        logs=["Traceback", "ValueError: boom"],
    )
    job = Job("bad", backend)
    failed = job.failure(job.describe())
    assert isinstance(failed, JobFailed)
    assert "AlgorithmError: boom" in str(failed) and "ValueError: boom" in str(failed)
    assert job.failure(description("j", "Completed")) is None


def test_output_uris_name_each_output(backend):
    assert Job("j", backend).output_uris() == OUTPUTS
    assert Job("j", backend).output_uris(description("j", "Completed")) == {}


def test_download_into_a_directory_places_each_output_by_name(backend, stored_outputs, tmp_path):
    done = Job("j", backend).download(str(tmp_path / "dl"))
    assert set(done) == {"out", "report"}
    assert done["out"].files == 2 and done["out"].uri == OUTPUTS["out"]
    assert done["out"].path == str(tmp_path / "dl" / "out")
    assert (tmp_path / "dl" / "out" / "a.txt").read_bytes() == b"A"
    assert (tmp_path / "dl" / "out" / "sub" / "b.txt").read_bytes() == b"B"
    assert (tmp_path / "dl" / "report" / "r.json").read_bytes() == b"{}"
    assert done["out"].lines and str(tmp_path / "dl" / "out") in done["out"].lines[-1]


def test_download_of_one_output(backend, stored_outputs, tmp_path):
    done = Job("j", backend).download(str(tmp_path / "dl"), output="report")
    assert list(done) == ["report"]
    assert not (tmp_path / "dl" / "out").exists()


def test_without_a_directory_outputs_go_where_they_were_given(backend, stored_outputs, tmp_path):
    job = Job("j", backend, local_outputs={"out": str(tmp_path / "mine"), "gone": "/nowhere"})
    done = job.download()
    assert list(done) == ["out"]
    assert (tmp_path / "mine" / "a.txt").read_bytes() == b"A"


def test_download_mistakes_name_the_keyword(backend, stored_outputs, tmp_path):
    job = Job("j", backend)
    with pytest.raises(UserError) as caught:
        job.download(str(tmp_path), output="nope")
    assert caught.value.field == "output" and "out" in caught.value.fix
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError) as caught:
        job.download(str(tmp_path / "file"))
    assert caught.value.field == "dir"
    with pytest.raises(UserError) as caught:
        job.download()  # no output was given as a local path
    assert caught.value.field == "dir"
    assert not any(p.name != "file" for p in tmp_path.iterdir() if p.name != "state")


def test_write_description_is_json_of_the_description(backend, tmp_path):
    path = tmp_path / "d.json"
    Job("j", backend).write_description(str(path))
    assert json.loads(path.read_text())["ProcessingJobName"] == "j"
    given = description("j", "Completed", CreationTime="x")
    Job("j", backend).write_description(str(path), given)
    assert json.loads(path.read_text()) == given


def test_the_local_store_needs_no_aws_session(backend):
    job = Job("j", backend)
    assert job.session_for(f"{LOCAL}/jobs/j/out") is None
    assert job.region is None


def test_log_streams_are_the_jobs_own(backend):
    assert Job("j", backend).log_streams() == ["j/algo-1-1700000000"]


def test_finishing_a_failed_job_writes_its_description_then_raises(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))  # planned downloads
    backend.add(
        description("bad", "Failed", FailureReason="AlgorithmError: boom"),
        logs=["ValueError: boom"],
    )
    job = Job("bad", backend, local_outputs={"out": str(tmp_path / "out")})
    path = tmp_path / "d.json"
    with pytest.raises(JobFailed) as caught:
        job.finish(job.describe(), output_json=str(path))
    assert json.loads(path.read_text())["ProcessingJobStatus"] == "Failed"
    assert caught.value.last_lines == ["ValueError: boom"]
    with pytest.raises(JobFailed) as caught:
        job.finish(job.describe(), last_lines=False)  # the lines were told as they came
    assert caught.value.last_lines == [] and "boom" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_finishing_a_completed_job_downloads_its_local_outputs(backend, stored_outputs, tmp_path):
    job = Job("j", backend, local_outputs={"out": str(tmp_path / "mine")})
    assert job.finish(description("j", "Completed"), download=False) == {}
    assert not (tmp_path / "mine").exists()
    done = job.finish(description("j", "Completed"))
    assert list(done) == ["out"] and (tmp_path / "mine" / "a.txt").read_bytes() == b"A"
