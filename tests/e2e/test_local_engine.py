"""The local engine runs CreateProcessingJob requests here: real runners, real scripts.

Requests are built by hand, scripts are staged straight into the local store (or into moto
S3), and every wait polls the job store with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.isolation.sandbox import (
    NAMESPACES,
    NAMESPACES_ENV,
    PATH_MAPPING,
    choose_isolation,
)
from aws_sagemaker_remote.backends.local.store import JobStore
from aws_sagemaker_remote.backends.local.submitting.checks import docker_available
from aws_sagemaker_remote.cli.flags import flag_for_field
from aws_sagemaker_remote.errors import NotFound, UserError
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path

STORE = f"s3://{LOCAL_STORE_BUCKET}"
TERMINAL = {"Completed", "Failed", "Stopped"}
ENTRYPOINT = ["python3", "/opt/ml/processing/code/job.py"]


def unique(prefix: str = "job") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def put_store(key: str, data: bytes | str) -> None:
    path = local_store_path(f"{STORE}/{key}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def store_file(key: str) -> Path:
    return local_store_path(f"{STORE}/{key}")


def s3_input(name: str, uri: str, local: str, **extra) -> dict:
    s3 = {
        "S3Uri": uri,
        "LocalPath": local,
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
    }
    s3.update(extra)
    return {"InputName": name, "S3Input": s3}


def s3_output(name: str, uri: str, local: str, mode: str = "EndOfJob") -> dict:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": mode},
    }


def make_request(
    name: str,
    code_uri: str,
    *,
    inputs=(),
    outputs=(),
    args=(),
    env=None,
    count: int = 1,
    max_runtime: int = 3600,
) -> dict:
    return {
        "ProcessingJobName": name,
        "ProcessingInputs": [
            s3_input("code", code_uri, "/opt/ml/processing/code"),
            *inputs,
        ],
        "ProcessingOutputConfig": {"Outputs": list(outputs)},
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": count,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "AppSpecification": {
            "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/any:latest",
            "ContainerEntrypoint": ENTRYPOINT,
            "ContainerArguments": list(args),
        },
        "Environment": env or {},
        "RoleArn": "arn:aws:iam::000000000000:role/local-engine-tests",
    }


def stage_script(prefix: str, source: str) -> str:
    """Put job.py in the local store; returns the code channel's URI (a directory prefix)."""
    put_store(f"{prefix}/code/job.py", source)
    return f"{STORE}/{prefix}/code"


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_status(backend, name: str, statuses=TERMINAL, timeout: float = 30.0) -> dict:
    def reached():
        described = backend.describe_job(name)
        return described if described["ProcessingJobStatus"] in statuses else None

    return wait_for(reached, timeout, f"{name} to reach {sorted(statuses)}")


def log_messages(backend, name: str) -> list[str]:
    messages = []
    for stream in backend.log_streams(name):
        messages += [event.message for event in backend.read_log(stream).events]
    return messages


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.fixture()
def backend():
    return LocalBackend()


NAMESPACES_HERE = choose_isolation(dict(os.environ)).mode == NAMESPACES


@pytest.fixture(params=[NAMESPACES, PATH_MAPPING])
def isolation(request, monkeypatch):
    """Run the test's jobs in namespaces (skipped where unavailable), then with paths mapped."""
    if request.param == NAMESPACES:
        if not NAMESPACES_HERE:
            pytest.skip("no unprivileged namespaces on this machine")
        monkeypatch.delenv(NAMESPACES_ENV, raising=False)
    else:
        monkeypatch.setenv(NAMESPACES_ENV, "no")
    return request.param


WAITING_SCRIPT = """
import os, sys, time
print("waiting", flush=True)
deadline = time.monotonic() + 120
while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:
    time.sleep(0.05)
"""

# -- whole jobs ----------------------------------------------------------------------------

REPORT_SCRIPT = """
import json, os, pathlib, sys
opt_ml = os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML", "/opt/ml")
inp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
config = json.loads(pathlib.Path(opt_ml, "config/processingjobconfig.json").read_text())
resources = json.loads(pathlib.Path(opt_ml, "config/resourceconfig.json").read_text())
files = sorted(p.relative_to(inp).as_posix() for p in inp.rglob("*") if p.is_file())
report = {
    "args": sys.argv[1:],
    "files": files,
    "job": config["ProcessingJobName"],
    "arn": config["ProcessingJobArn"],
    "host": resources["current_host"],
    "hosts": resources["hosts"],
    "greeting": os.environ.get("GREETING"),
}
(out / "report.json").write_text(json.dumps(report, sort_keys=True))
(out / "sub").mkdir()
(out / "sub" / "reversed.bin").write_bytes((inp / files[0]).read_bytes()[::-1])
pathlib.Path(opt_ml, "output", "message").write_text("all good")
print("done")
"""


@pytest.mark.e2e
def test_job_reads_inputs_config_and_env_and_writes_outputs_to_the_local_store(backend, isolation):
    prefix = unique("t")
    name = unique("complete")
    payload = os.urandom(4096)
    put_store(f"{prefix}/data/a.bin", payload)
    put_store(f"{prefix}/data/nested/b.txt", "b")
    put_store(f"{prefix}/database.txt", "not under data/")
    request = make_request(
        name,
        stage_script(prefix, REPORT_SCRIPT),
        inputs=[s3_input("data", f"{STORE}/{prefix}/data/", "/opt/ml/processing/input/data")],
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
        args=["/opt/ml/processing/input/data", "/opt/ml/processing/output"],
        env={"GREETING": "hello"},
    )

    assert backend.create_job(request) is None
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ExitMessage"] == "all good"
    assert (
        described["ProcessingJobArn"]
        == f"arn:aws:sagemaker:local:000000000000:processing-job/{name}"
    )
    for member in ("ProcessingInputs", "ProcessingOutputConfig", "AppSpecification", "RoleArn"):
        assert described[member] == request[member]
    times = [described[k] for k in ("CreationTime", "ProcessingStartTime", "ProcessingEndTime")]
    assert all(isinstance(t, datetime) and t.tzinfo is not None for t in times)
    assert times == sorted(times)
    assert described["LocalEngine"]["ExitCode"] == 0

    report = json.loads(store_file(f"{prefix}/out/report.json").read_text())
    job_dir = described["LocalEngine"]["JobDirectory"]
    assert report["files"] == ["a.bin", "nested/b.txt"]
    opt_ml = "/opt/ml" if isolation == NAMESPACES else f"{job_dir}/algo-1/opt/ml"
    assert report["args"] == [f"{opt_ml}/processing/input/data", f"{opt_ml}/processing/output"]
    assert described["LocalEngine"]["Isolation"] == isolation
    assert (report["job"], report["arn"]) == (name, described["ProcessingJobArn"])
    assert (report["host"], report["hosts"], report["greeting"]) == ("algo-1", ["algo-1"], "hello")
    assert store_file(f"{prefix}/out/sub/reversed.bin").read_bytes() == payload[::-1]

    config = json.loads(Path(job_dir, "algo-1/opt/ml/config/processingjobconfig.json").read_text())
    assert config["ProcessingInputs"][1]["S3Input"]["S3DownloadMode"] == "StartOfJob"
    assert config["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] is None
    assert config["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    # the store's copy is protected from a job writing into its (hard-linked) input
    assert store_file(f"{prefix}/data/a.bin").read_bytes() == payload


S3_SCRIPT = """
import os, pathlib, sys
inp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
names = sorted(p.name for p in inp.iterdir())
(out / "names.txt").write_text("\\n".join(names))
(out / "deep" / "er").mkdir(parents=True)
(out / "deep" / "er" / "sum.txt").write_text(str(sum(len(p.read_bytes()) for p in inp.iterdir())))
"""


@pytest.mark.e2e
def test_job_with_s3_inputs_and_outputs(backend, s3):
    bucket = "local-engine-tests"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/job.py", Body=S3_SCRIPT.encode())
    for key, body in [
        ("data/train-1.csv", b"1" * 10),
        ("data/train-2.csv", b"2" * 20),
        ("data/other.csv", b"o"),
    ]:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    name = unique("s3")
    request = make_request(
        name,
        f"s3://{bucket}/code/job.py",
        inputs=[s3_input("train", f"s3://{bucket}/data/tr", "/opt/ml/processing/input/train")],
        outputs=[s3_output("out", f"s3://{bucket}/results/", "/opt/ml/processing/output")],
        args=["/opt/ml/processing/input/train", "/opt/ml/processing/output"],
    )

    backend.create_job(request)
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    names = s3.get_object(Bucket=bucket, Key="results/names.txt")["Body"].read()
    assert names == b"train-1.csv\ntrain-2.csv"
    total = s3.get_object(Bucket=bucket, Key="results/deep/er/sum.txt")["Body"].read()
    assert total == b"30"


FAILING_SCRIPT = """
import pathlib, sys
print("starting")
pathlib.Path(sys.argv[1], "partial.txt").write_text("never uploaded")
for i in range(1, 13):
    print(f"problem line {i}", file=sys.stderr)
sys.exit(3)
"""


@pytest.mark.e2e
def test_failing_script_fails_the_job_with_its_exit_code_and_stderr_tail(backend):
    prefix = unique("t")
    name = unique("fail")
    request = make_request(
        name,
        stage_script(prefix, FAILING_SCRIPT),
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
        args=["/opt/ml/processing/output"],
    )
    backend.create_job(request)
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Failed"
    # one line: how it ended and its last word; the lines themselves are in the log, once
    assert (
        described["FailureReason"]
        == "AlgorithmError: algo-1 exited with exit code 3: problem line 12"
    )
    assert described["LocalEngine"]["ExitCode"] == 3
    assert not store_file(f"{prefix}/out/partial.txt").exists()


SLEEPING_SCRIPT = """
import time
print("sleeping", flush=True)
time.sleep(120)
"""


@pytest.mark.e2e
def test_max_runtime_stops_the_job(backend):
    prefix = unique("t")
    name = unique("runtime")
    backend.create_job(make_request(name, stage_script(prefix, SLEEPING_SCRIPT), max_runtime=2))
    described = wait_status(backend, name, timeout=30)

    assert described["ProcessingJobStatus"] == "Stopped"
    assert "MaxRuntimeExceeded" in described["FailureReason"]
    assert "MaxRuntimeInSeconds (2 s)" in described["FailureReason"]
    record = JobStore().get(name)
    assert record.worker_pids and all(process_gone(pid) for pid in record.worker_pids)


@pytest.mark.e2e
def test_stop_job_stops_a_running_job_and_its_process(backend, tmp_path):
    prefix = unique("t")
    name = unique("stop")
    request = make_request(
        name, stage_script(prefix, WAITING_SCRIPT), args=[str(tmp_path / "never")]
    )
    backend.create_job(request)
    wait_for(lambda: "waiting" in log_messages(backend, name), what="the script to start")
    pids = JobStore().get(name).worker_pids
    assert pids and not any(process_gone(pid) for pid in pids)

    backend.stop_job(name)
    assert backend.describe_job(name)["ProcessingJobStatus"] in ("Stopping", "Stopped")
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Stopped"
    assert "FailureReason" not in described
    assert all(process_gone(pid) for pid in pids)
    with pytest.raises(UserError, match="only a job in progress"):
        backend.stop_job(name)


SHARD_SCRIPT = """
import json, os, pathlib
opt_ml = pathlib.Path(os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML", "/opt/ml"))
resources = json.loads((opt_ml / "config/resourceconfig.json").read_text())
seen = {
    channel: sorted(p.name for p in (opt_ml / "processing" / channel).iterdir())
    for channel in ("sharded", "replicated")
}
seen["hosts"] = resources["hosts"]
host = resources["current_host"]
(opt_ml / "processing/output" / f"{host}.json").write_text(json.dumps(seen))
"""


@pytest.mark.e2e
def test_instances_get_shards_or_full_replicas(backend):
    prefix = unique("t")
    name = unique("shards")
    names = [f"f{i:02d}.txt" for i in range(10)]
    for file in names:
        put_store(f"{prefix}/files/{file}", file)
    request = make_request(
        name,
        stage_script(prefix, SHARD_SCRIPT),
        inputs=[
            s3_input(
                "sharded",
                f"{STORE}/{prefix}/files/",
                "/opt/ml/processing/sharded",
                S3DataDistributionType="ShardedByS3Key",
            ),
            s3_input("replicated", f"{STORE}/{prefix}/files", "/opt/ml/processing/replicated"),
        ],
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
        count=2,
    )
    backend.create_job(request)
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")

    seen = [json.loads(store_file(f"{prefix}/out/algo-{i}.json").read_text()) for i in (1, 2)]
    first, second = (set(s["sharded"]) for s in seen)
    assert first and second and not first & second
    assert sorted(first | second) == names
    assert all(s["replicated"] == names for s in seen)
    assert all(s["hosts"] == ["algo-1", "algo-2"] for s in seen)
    assert [s.split("/")[1].rsplit("-", 1)[0] for s in backend.log_streams(name)] == [
        "algo-1",
        "algo-2",
    ]


CONTINUOUS_SCRIPT = """
import os, pathlib, sys, time
out, go = pathlib.Path(sys.argv[1]), sys.argv[2]
(out / "first.txt").write_text("first")
deadline = time.monotonic() + 120
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.05)
(out / "second.txt").write_text("second")
"""


@pytest.mark.e2e
def test_continuous_output_is_uploaded_while_the_job_runs(backend, tmp_path):
    prefix = unique("t")
    name = unique("continuous")
    # in the job's own /opt/ml: a job sees no host path outside it
    go = backend.store.job_dir(name) / "algo-1" / "opt" / "ml" / "go"
    request = make_request(
        name,
        stage_script(prefix, CONTINUOUS_SCRIPT),
        outputs=[
            s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output", "Continuous")
        ],
        args=["/opt/ml/processing/output", "/opt/ml/go"],
    )
    backend.create_job(request)

    first = store_file(f"{prefix}/out/first.txt")
    wait_for(first.exists, what="the continuous upload")
    assert backend.describe_job(name)["ProcessingJobStatus"] == "InProgress"
    assert first.read_text() == "first"
    go.touch()

    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert store_file(f"{prefix}/out/second.txt").read_text() == "second"


LINES_SCRIPT = """
import sys
for i in range(50):
    print(f"line {i}")
    if i % 10 == 0:
        print(f"err {i}", file=sys.stderr, flush=True)
"""


@pytest.mark.e2e
def test_log_stream_holds_the_script_lines_in_order(backend):
    prefix = unique("t")
    name = unique("logs")
    backend.create_job(make_request(name, stage_script(prefix, LINES_SCRIPT)))
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed"

    streams = backend.log_streams(name)
    assert len(streams) == 1
    assert re.fullmatch(rf"{name}/algo-1-\d{{10}}", streams[0])
    page = backend.read_log(streams[0])
    messages = [event.message for event in page.events]
    assert [m for m in messages if m.startswith("line")] == [f"line {i}" for i in range(50)]
    assert [m for m in messages if m.startswith("err")] == [f"err {i}" for i in range(0, 50, 10)]
    stamps = [event.timestamp_ms for event in page.events]
    assert all(abs(stamp / 1000 - time.time()) < 600 for stamp in stamps)
    assert backend.read_log(streams[0], page.cursor).events == []
    second = backend.read_log(streams[0], "0")
    assert [event.message for event in second.events] == messages


QUICK_SCRIPT = 'print("quick")\n'


@pytest.mark.e2e
def test_list_jobs_newest_first(backend):
    prefix = unique("t")
    tag = unique("listed")
    names = [f"{tag}-{i}" for i in range(3)]
    code = stage_script(prefix, QUICK_SCRIPT)
    for name in names:
        backend.create_job(make_request(name, code))
    for name in names:
        wait_status(backend, name)

    listed = backend.list_jobs(name_contains=tag.upper())
    assert [job["ProcessingJobName"] for job in listed] == names[::-1]
    assert all(job["ProcessingJobStatus"] == "Completed" for job in listed)
    assert listed[0]["ProcessingJobArn"].endswith(f"/{names[-1]}")
    assert [job["ProcessingJobName"] for job in backend.list_jobs(2, tag)] == names[:0:-1]


@pytest.mark.e2e
def test_duplicate_job_name_is_refused(backend):
    prefix = unique("t")
    name = unique("dup")
    request = make_request(name, stage_script(prefix, QUICK_SCRIPT))
    backend.create_job(request)
    with pytest.raises(UserError) as raised:
        backend.create_job(request)
    assert raised.value.field == "job_name"
    assert "already exists" in raised.value.message
    with pytest.raises(UserError, match="already exists"):
        backend.create_job({**request, "ProcessingJobName": name.upper()})
    assert wait_status(backend, name)["ProcessingJobStatus"] == "Completed"


@pytest.mark.e2e
def test_a_killed_runner_is_reported_failed(backend, tmp_path):
    prefix = unique("t")
    name = unique("killed")
    request = make_request(
        name, stage_script(prefix, WAITING_SCRIPT), args=[str(tmp_path / "never")]
    )
    backend.create_job(request)
    wait_for(lambda: "waiting" in log_messages(backend, name), what="the script to start")
    record = JobStore().get(name)

    os.kill(record.runner_pid, signal.SIGKILL)
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("InternalServerError:")
    wait_for(lambda: all(process_gone(pid) for pid in record.worker_pids), what="the workers")


# -- refusals ------------------------------------------------------------------------------


def test_pipe_mode_is_refused_before_anything_starts(backend):
    prefix = unique("t")
    name = unique("pipe")
    request = make_request(
        name,
        stage_script(prefix, QUICK_SCRIPT),
        inputs=[
            s3_input(
                "data", f"{STORE}/{prefix}/code", "/opt/ml/processing/data", S3InputMode="Pipe"
            )
        ],
    )
    with pytest.raises(UserError) as raised:
        backend.create_job(request)
    assert raised.value.field == "inputs.data.mode"
    assert "Pipe" in raised.value.message and "File" in raised.value.fix
    with pytest.raises(UserError):
        backend.describe_job(name)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda r: r["ProcessingInputs"][0].update(AppManaged=True), "AppManaged"),
        (
            lambda r: r["ProcessingInputs"].append(
                {"InputName": "athena", "DatasetDefinition": {"AthenaDatasetDefinition": {}}}
            ),
            "DatasetDefinition",
        ),
        (
            lambda r: r["ProcessingOutputConfig"]["Outputs"].append(
                {"OutputName": "fs", "FeatureStoreOutput": {"FeatureGroupName": "g"}}
            ),
            "not an S3 output",
        ),
    ],
)
def test_what_the_engine_cannot_run_is_refused(backend, change, words):
    request = make_request(unique("refused"), f"{STORE}/nothing/code")
    change(request)
    with pytest.raises(UserError, match=words):
        backend.create_job(request)


@pytest.mark.skipif(docker_available(), reason="a Docker engine answers here")
def test_docker_without_an_engine_is_refused():
    request = make_request(unique("docker"), f"{STORE}/nothing/code")
    with pytest.raises(UserError) as raised:
        LocalBackend(docker=True).create_job(request)
    assert raised.value.field == "docker"
    assert (
        raised.value.fix == "start Docker or drop {{docker}}"
    )  # a field, spelled by the front end
    assert raised.value.one_line(flag_for_field).endswith(
        "(start Docker or drop --sagemaker-docker)"
    )


def test_unknown_job_is_a_user_error(backend):
    with pytest.raises(NotFound, match="no local job"):  # by type, not by its words
        backend.describe_job(unique("missing"))
    assert backend.log_streams(unique("missing")) == []
