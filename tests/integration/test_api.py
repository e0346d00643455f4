"""The Python API: submit, attach, request and Job, on the local engine and against moto.

Jobs really run (the local engine) or are really created over HTTP (moto server); files are
compared byte for byte; the API itself prints nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
from conftest import EXAMPLES, REPO, run_script

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.errors import JobFailed, NotFound, UserError

EXPECTED = REPO / "tests" / "expected"
WORDCOUNT = EXAMPLES / "wordcount.py"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.mark.e2e
def test_submit_to_the_local_engine_then_wait_and_download(tmp_path, capfd):
    events: list[asr.Event] = []
    job = asr.submit(
        str(WORDCOUNT),
        inputs={"input": str(EXAMPLES / "data")},
        outputs={"output": str(tmp_path / "out")},
        instance="local",
        job_name=unique("api-wc"),
        wait=False,
        on_event=events.append,
    )
    assert isinstance(job, asr.Job) and job.local
    assert job.wait() == "Completed"
    assert job.status() == "Completed"
    assert job.describe()["ProcessingJobName"] == job.name
    assert "55 words, 37 distinct" in list(job.logs())
    done = job.download()
    assert done["output"].files == 1
    produced = (tmp_path / "out" / "counts.tsv").read_bytes()
    assert produced == (EXPECTED / "wordcount-counts.tsv").read_bytes()
    into = job.download(str(tmp_path / "all"))
    assert (tmp_path / "all" / "output" / "counts.tsv").read_bytes() == produced
    assert into["output"].path == str(tmp_path / "all" / "output")
    said = [e for e in events if e.kind != "progress"]  # downloads report progress too
    assert [e.kind for e in said][:2] == ["staged", "created"]
    assert said[-1].kind == "status" and said[-1].text.endswith(": Completed")
    assert events[-1].kind == "progress" and events[-1].data.what == "downloading"
    printed = capfd.readouterr()
    assert printed.out == "" and printed.err == ""  # the API prints nothing


@pytest.mark.e2e
def test_attach_a_local_job_and_follow_its_logs(tmp_path):
    name = unique("api-attach")
    asr.submit(
        str(WORDCOUNT),
        inputs={"input": str(EXAMPLES / "data")},
        outputs={"output": str(tmp_path / "out")},
        instance="local",
        job_name=name,
    )
    job = asr.attach(name, local=True)
    followed = list(job.logs(follow=True))  # ends when the job does
    assert "55 words, 37 distinct" in followed
    assert job.wait() == "Completed"
    with pytest.raises(NotFound):
        asr.attach(unique("no-such-job"), local=True)


@pytest.mark.e2e
def test_submit_wait_true_raises_job_failed_with_the_reason(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    raise SystemExit('broken on purpose')\n"
        "if __name__ == '__main__':\n"
        "    sagemaker_processing_main(main=main)\n"
    )
    with pytest.raises(JobFailed) as caught:
        asr.submit(str(script), instance="local", job_name=unique("api-fail"), wait=True)
    assert "ended Failed" in str(caught.value)
    assert "broken on purpose" in str(caught.value)


@pytest.mark.e2e
def test_stop_a_running_local_job(tmp_path):
    script = tmp_path / "sleeps.py"
    script.write_text(
        "import time\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    print('started', flush=True)\n"
        "    time.sleep(300)\n"
        "if __name__ == '__main__':\n"
        "    sagemaker_processing_main(main=main)\n"
    )
    job = asr.submit(str(script), instance="local", job_name=unique("api-stop"))
    deadline = time.monotonic() + 60
    while "started" not in list(job.logs()):
        assert time.monotonic() < deadline, job.describe()
        time.sleep(0.05)
    job.stop()
    assert job.wait() == "Stopped"


@pytest.mark.e2e
def test_request_is_what_the_dry_run_prints(tmp_path):
    """The same script, channels, settings and arguments: the API and the flags agree."""
    name = unique("api-req")
    here = EXAMPLES / "textstats"
    request = asr.request(
        str(here / "textstats.py"),
        inputs={"input": str(here / "data")},
        outputs={"output": str(tmp_path / "out")},
        modules={"textnorm": str(here / "textnorm")},
        arguments=["--min-length", "4"],
        requirements=str(here / "requirements.txt"),
        configuration_script=str(here / "configure.sh"),
        job_name=name,
        instance="ml.m5.large",
        env={"MODE": "fast"},
        tags={"team": "nlp"},
    )
    dry = run_script(
        here / "textstats.py",
        *("--sagemaker-dry-run", "true", "--sagemaker-job-name", name),
        *("--sagemaker-instance", "ml.m5.large", "--sagemaker-env", "MODE=fast"),
        *("--sagemaker-tag", "team=nlp", "--output", tmp_path / "out", "--min-length", "4"),
        cwd=tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert request == json.loads(dry.stdout)
    assert request["Environment"]["MODE"] == "fast"
    assert {"Key": "team", "Value": "nlp"} in request["Tags"]
    assert request["AppSpecification"]["ContainerArguments"][:2] == ["--min-length", "4"]


@pytest.mark.e2e
def test_submit_to_sagemaker_on_moto(tmp_path, moto_reset, capfd):
    events: list[asr.Event] = []
    job = asr.submit(
        str(WORDCOUNT),
        inputs={"input": str(EXAMPLES / "data")},
        outputs={"output": str(tmp_path / "out")},
        instance="ml.m5.large",
        job_name="api-moto-1",
        on_event=events.append,
    )
    assert not job.local and job.region == "us-east-1"
    assert job.describe()["ProcessingJobName"] == "api-moto-1"
    assert job.wait() == "Completed"  # moto completes processing jobs at once
    again = asr.attach("api-moto-1")
    assert again.output_uris() == job.output_uris()
    assert job.output_uris()["output"].startswith("s3://sagemaker-us-east-1-")
    assert {"role", "staged", "created"} <= {e.kind for e in events}
    assert any(e.text.startswith("created IAM role arn:aws:iam::") for e in events)
    with pytest.raises(NotFound):
        asr.attach("api-moto-missing")
    printed = capfd.readouterr()
    assert printed.out == "" and printed.err == ""  # the role's creation was an event


def test_mistakes_name_the_keyword_and_nothing_is_created(tmp_path):
    with pytest.raises(UserError) as caught:
        asr.submit(str(WORDCOUNT), inputs={"input": str(tmp_path / "nowhere")}, instance="local")
    assert caught.value.field == "inputs.input"
    assert str(caught.value).startswith("inputs['input']: ")
    with pytest.raises(UserError) as caught:
        asr.request(str(WORDCOUNT), inputs={"input": str(EXAMPLES / "data")}, instance_count="x")
    assert str(caught.value).startswith("instance_count=: 'x' is not a whole number")
    with pytest.raises(TypeError, match="no_such_setting"):
        asr.request(str(WORDCOUNT), no_such_setting=1)
    with pytest.raises(TypeError, match="request"):
        asr.submit(str(WORDCOUNT), dry_run=True)


@pytest.mark.e2e
def test_environment_defaults_apply_and_are_named_in_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_VOLUME_SIZE", "77")
    request = asr.request(str(WORDCOUNT), inputs={"input": str(EXAMPLES / "data")}, job_name="e-1")
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] == 77
    given = asr.request(str(WORDCOUNT), job_name="e-2", volume_size=5)  # a keyword wins
    assert given["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] == 5
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_INSTANCE_COUNT", "0")
    with pytest.raises(UserError) as caught:
        asr.request(str(WORDCOUNT), job_name="e-3")
    assert caught.value.field == "instance_count"
    assert caught.value.origin == "AWS_SAGEMAKER_REMOTE_INSTANCE_COUNT"
    assert "instance_count= (from AWS_SAGEMAKER_REMOTE_INSTANCE_COUNT)" in str(caught.value)


def test_importing_the_package_stays_cheap(tmp_path):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import aws_sagemaker_remote as asr"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "aws_sagemaker_remote" in imported
    heavy = {"boto3", "botocore", "dataclasses", "typing", "sqlite3", "aws_sagemaker_remote.api"}
    assert not heavy & imported, heavy & imported
    assert set(asr.__all__) <= set(dir(asr))
    assert asr.errors.UserError is UserError
