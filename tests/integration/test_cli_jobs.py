"""``aws-sagemaker-remote jobs ...`` in a subprocess, against moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import boto3
import pytest
from conftest import ctrl_c_as_in_a_terminal

from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend
from integration.test_sagemaker_backend import processing_request, put_logs


def cli(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aws-sagemaker-remote: error: "), done.stderr
    return lines[0]


@pytest.fixture()
def backend(moto_reset) -> SageMakerBackend:
    return SageMakerBackend(resolve_aws(None))


@pytest.mark.e2e
def test_list_table_and_json(backend):
    backend.create_job(processing_request("wc-a"))
    backend.create_job(processing_request("wc-b"))
    backend.create_job(processing_request("other"))

    done = cli("list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "CREATED", "DURATION"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"wc-a", "wc-b", "other"}
    assert rows["wc-a"][1] == "Completed"

    done = cli("list", "--json", "--name-contains", "wc-", "--max", "5")
    assert done.returncode == 0, done.stderr
    jobs = json.loads(done.stdout)
    assert {j["ProcessingJobName"] for j in jobs} == {"wc-a", "wc-b"}
    datetime.fromisoformat(jobs[0]["CreationTime"])

    assert len(json.loads(cli("list", "--json", "--max", "1").stdout)) == 1


@pytest.mark.e2e
def test_describe(backend):
    backend.create_job(processing_request("wc"))
    done = cli("describe", "wc")
    assert done.returncode == 0, done.stderr
    description = json.loads(done.stdout)
    assert description["ProcessingJobName"] == "wc"
    assert description["ProcessingJobStatus"] == "Completed"
    datetime.fromisoformat(description["CreationTime"])


@pytest.mark.e2e
def test_describe_missing_job_is_one_line(backend):
    done = cli("describe", "ghost")
    line = assert_one_line_error(done)
    assert line == "aws-sagemaker-remote: error: no processing job named ghost"
    assert done.stdout == ""


@pytest.mark.e2e
def test_logs_and_follow(backend):
    backend.create_job(processing_request("wc"))
    put_logs("wc/algo-1-1700000000", ["one", "two"])
    done = cli("logs", "wc")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["one", "two"]

    done = cli("logs", "wc", "-f", "--poll-seconds", "0.05")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["one", "two"]
    assert done.stderr.startswith("wc: Completed")


@pytest.mark.e2e
def test_logs_of_a_missing_job(backend):
    assert "no processing job named ghost" in assert_one_line_error(cli("logs", "ghost"))


@pytest.mark.e2e
def test_wait_completed_and_stopped(backend):
    backend.create_job(processing_request("good"))
    put_logs("good/algo-1-1700000000", ["all fine"])
    done = cli("wait", "good", "--poll-seconds", "0.05")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "good: Completed" in done.stderr and "all fine" in done.stderr

    backend.create_job(processing_request("halted"))
    put_logs("halted/algo-1-1700000000", ["half way"])
    done = cli("stop", "halted")
    assert done.returncode == 0, done.stderr
    assert backend.describe_job("halted")["ProcessingJobStatus"] == "Stopped"

    done = cli("wait", "halted", "--no-logs", "--poll-seconds", "0.05")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "ended Stopped" in done.stderr and "half way" in done.stderr


@pytest.mark.e2e
def test_stop_missing_job(backend):
    assert "no processing job named ghost" in assert_one_line_error(cli("stop", "ghost"))


@pytest.mark.e2e
def test_download_outputs_byte_for_byte(backend, tmp_path):
    backend.create_job(
        processing_request(
            "wc", outputs={"counts": "s3://results/wc/counts", "model": "s3://results/wc/model/"}
        )
    )
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="results")
    blobs = {
        "wc/counts/total.txt": b"42\n",
        "wc/counts/parts/a/part-0000.csv": b"a,1\n" * 1000,
        "wc/counts/parts/b.bin": bytes(range(256)) * 64,
        "wc/countsx/not-mine.txt": b"other prefix",
        "wc/model/weights.bin": os.urandom(4096),
    }
    for key, body in blobs.items():
        s3.put_object(Bucket="results", Key=key, Body=body)

    done = cli("download", "wc", cwd=tmp_path)  # default: the current directory
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [os.path.join(".", "counts"), os.path.join(".", "model")]
    written = {
        p.relative_to(tmp_path).as_posix(): p.read_bytes()
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    assert written == {
        "counts/total.txt": blobs["wc/counts/total.txt"],
        "counts/parts/a/part-0000.csv": blobs["wc/counts/parts/a/part-0000.csv"],
        "counts/parts/b.bin": blobs["wc/counts/parts/b.bin"],
        "model/weights.bin": blobs["wc/model/weights.bin"],
    }

    only = tmp_path / "only"
    done = cli("download", "wc", "--output", only, "--name", "model")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in only.iterdir()] == ["model"]

    line = assert_one_line_error(cli("download", "wc", "--name", "nope"))
    assert "--name: job wc has no output named 'nope' (choose one of: counts, model)" in line


@pytest.mark.e2e
def test_unknown_profile_is_one_line(moto_reset):
    line = assert_one_line_error(cli("list", "--profile", "ghost"))
    assert "--profile: no AWS profile named 'ghost'" in line


@pytest.mark.e2e
def test_no_credentials_is_one_line(no_aws_env):
    line = assert_one_line_error(
        cli("describe", "x", env=dict(no_aws_env, AWS_DEFAULT_REGION="us-east-1"))
    )
    assert "no AWS credentials found" in line and "aws configure" in line


@pytest.mark.e2e
def test_usage_errors_exit_2():
    done = cli("frobnicate")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "aws-sagemaker-remote: error: the following arguments are required: COMMAND (see --help)"
    ]


@pytest.mark.e2e
def test_local_jobs_list():
    pytest.importorskip("aws_sagemaker_remote.backends.local")
    done = cli("list", "--local", "--json")
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)


# -- downloads ------------------------------------------------------------------------


@pytest.mark.e2e
def test_download_prefix_large_and_single_object(moto_reset, tmp_path):
    from aws_sagemaker_remote.storage.downloads import download_prefix, list_prefix
    from aws_sagemaker_remote.storage.transfer import TransferConfig

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="big")
    part = 5 * 1024 * 1024
    config = TransferConfig(multipart_threshold=part, multipart_chunk_size=part)
    large = os.urandom(2 * part + 1024)  # goes through ranged GETs in parallel
    s3.put_object(Bucket="big", Key="out/large.bin", Body=large)
    s3.put_object(Bucket="big", Key="out/dir/", Body=b"")  # a "directory" marker
    session = resolve_aws(None).session
    assert download_prefix(session, "s3://big/out/", tmp_path / "a", config=config).count == 1
    assert (tmp_path / "a" / "large.bin").read_bytes() == large
    report = download_prefix(session, "s3://big/out/large.bin", tmp_path / "b", config=config)
    assert report.count == 1
    assert (tmp_path / "b" / "large.bin").read_bytes() == large
    assert download_prefix(session, "s3://big/nothing", str(tmp_path / "c")).count == 0
    listed = list_prefix(session, "s3://big/out")
    assert [(o.uri, o.relative, o.size) for o in listed] == [
        ("s3://big/out/large.bin", "large.bin", len(large))
    ]


@pytest.mark.e2e
def test_download_refuses_keys_that_escape(moto_reset, tmp_path):
    from aws_sagemaker_remote.storage.downloads import download_prefix

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trav")
    s3.put_object(Bucket="trav", Key="out/../../evil.txt", Body=b"x")
    target = str(tmp_path / "d" / "e")
    report = download_prefix(resolve_aws(None).session, "s3://trav/out", target)
    assert report.count == 0 and [r.key for r in report.refused] == ["out/../../evil.txt"]
    assert not list(tmp_path.rglob("evil.txt"))


def test_download_from_the_local_store_needs_no_aws(tmp_path, monkeypatch, no_aws_env):
    from aws_sagemaker_remote.storage.downloads import download_prefix, list_prefix
    from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    uri = f"s3://{LOCAL_STORE_BUCKET}/jobs/j/out"
    root = local_store_path(uri)
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"A")
    (root / "sub" / "b.bin").write_bytes(b"\x00\x01")
    assert download_prefix(None, uri, str(tmp_path / "dl")).count == 2
    assert (tmp_path / "dl" / "a.txt").read_bytes() == b"A"
    assert (tmp_path / "dl" / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(o.relative for o in list_prefix(None, uri)) == ["a.txt", "sub/b.bin"]


# -- the same commands against the local engine ------------------------------------------

TICKER = (
    "import time\nfor i in range(1200):\n    print('tick', i, flush=True)\n    time.sleep(0.05)\n"
)
WRITER = (
    "import os\n"
    "opt_ml = os.environ.get('AWS_SAGEMAKER_REMOTE_OPT_ML', '/opt/ml')\n"
    "d = os.path.join(opt_ml, 'processing/output/out')\n"
    "os.makedirs(d, exist_ok=True)\n"
    "open(os.path.join(d, 'r.txt'), 'w').write('from the job')\n"
    "print('wrote it')\n"
)


def local_request(name: str, code: str) -> dict:
    from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET

    request = processing_request(
        name, outputs={"out": f"s3://{LOCAL_STORE_BUCKET}/jobs/{name}/out"}
    )
    request["ProcessingResources"]["ClusterConfig"]["InstanceType"] = "local"
    request["AppSpecification"]["ContainerEntrypoint"] = [sys.executable, "-c", code]
    request["StoppingCondition"]["MaxRuntimeInSeconds"] = 120
    del request["Tags"]
    return request


@pytest.fixture()
def local_backend():
    local = pytest.importorskip("aws_sagemaker_remote.backends.local")
    return local.LocalBackend()


@pytest.mark.e2e
def test_local_wait_logs_download_without_aws(local_backend, no_aws_env, tmp_path):
    env = dict(no_aws_env, AWS_SAGEMAKER_REMOTE_HOME=os.environ["AWS_SAGEMAKER_REMOTE_HOME"])
    name = f"cli-local-{os.getpid()}"
    local_backend.create_job(local_request(name, WRITER))
    done = cli("wait", name, "--local", "--poll-seconds", "0.05", env=env)
    assert done.returncode == 0, done.stderr
    assert f"{name}: Completed" in done.stderr and "wrote it" in done.stderr

    assert cli("logs", name, "--local", env=env).stdout.splitlines() == ["wrote it"]
    assert name in cli("list", "--local", env=env).stdout
    done = cli("download", name, "--local", "--output", tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "r.txt").read_text() == "from the job"


@pytest.mark.e2e
def test_local_ctrl_c_then_stop(local_backend, no_aws_env):
    import signal

    env = dict(no_aws_env, AWS_SAGEMAKER_REMOTE_HOME=os.environ["AWS_SAGEMAKER_REMOTE_HOME"])
    name = f"cli-ticker-{os.getpid()}"
    local_backend.create_job(local_request(name, TICKER))
    try:
        follower = subprocess.Popen(
            [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "wait", name, "--local"]
            + ["--poll-seconds", "0.05"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        seen = []
        for line in follower.stderr:  # the job prints a line every 50 ms: no wait is long
            seen.append(line)
            if line.startswith("tick"):
                break
        follower.send_signal(signal.SIGINT)
        rest = follower.communicate(timeout=60)[1]
        assert follower.returncode == 130, "".join(seen) + rest
        message = rest.strip().splitlines()[-1]
        assert "Traceback" not in rest
        assert f"aws-sagemaker-remote jobs logs -f {name} --local" in message
        assert f"aws-sagemaker-remote jobs stop {name} --local" in message
        assert local_backend.describe_job(name)["ProcessingJobStatus"] == "InProgress"

        done = cli("stop", name, "--local", env=env)
        assert done.returncode == 0, done.stderr
        done = cli("wait", name, "--local", "--no-logs", "--poll-seconds", "0.05", env=env)
        assert done.returncode == 1, done.stderr
        assert "ended Stopped" in done.stderr
    finally:
        if local_backend.describe_job(name)["ProcessingJobStatus"] == "InProgress":
            local_backend.stop_job(name)
