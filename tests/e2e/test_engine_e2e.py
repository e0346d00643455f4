"""``--sagemaker-instance local``: the exact job request, executed here, end to end.

Each example gives byte-identical outputs run plainly and through the local engine; failures,
timeouts, stops, detached runs, several instances, requirements and S3 all behave as the
remote path promises. No Docker, no AWS account (moto only where S3 is the point).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from conftest import EXAMPLES, REPO, run_script
from wheels import build_wheel

LOCAL = ("--sagemaker-run", "true", "--sagemaker-instance", "local")
EXPECTED = REPO / "tests" / "expected"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def jobs_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def describe(name: str) -> dict:
    done = jobs_cli("describe", "--local", name)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for_status(name: str, wanted: set[str], deadline_s: float = 30) -> dict:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        description = describe(name)
        if description["ProcessingJobStatus"] in wanted:
            return description
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {wanted}: {description['ProcessingJobStatus']}")


@pytest.mark.e2e
def test_wordcount_through_the_engine_matches_the_local_run(tmp_path):
    local = run_script(EXAMPLES / "wordcount.py", "--output", tmp_path / "local", cwd=tmp_path)
    engine = run_script(
        EXAMPLES / "wordcount.py", *LOCAL, "--output", tmp_path / "engine", cwd=tmp_path
    )
    assert local.returncode == 0 and engine.returncode == 0, engine.stderr
    produced = (tmp_path / "engine" / "counts.tsv").read_bytes()
    assert produced == (tmp_path / "local" / "counts.tsv").read_bytes()
    assert produced == (EXPECTED / "wordcount-counts.tsv").read_bytes()
    assert "55 words, 37 distinct" in engine.stderr + engine.stdout  # main's line, from the log


@pytest.mark.e2e
def test_textstats_with_module_requirements_configuration_matches_the_local_run(tmp_path):
    script = EXAMPLES / "textstats" / "textstats.py"
    args = ("--min-length", "4", "--top", "5")
    env = {**__import__("os").environ, "TEXTSTATS_LABEL": "configured"}
    local = run_script(script, *args, "--output", tmp_path / "local", cwd=tmp_path, env=env)
    engine = run_script(script, *LOCAL, *args, "--output", tmp_path / "engine", cwd=tmp_path)
    assert local.returncode == 0 and engine.returncode == 0, engine.stderr
    produced = (tmp_path / "engine" / "stats.json").read_bytes()
    assert produced == (tmp_path / "local" / "stats.json").read_bytes()
    assert json.loads(produced)["label"] == "configured"  # exported by configure.sh in the job


@pytest.mark.e2e
def test_requirements_install_into_the_job_not_into_this_environment(tmp_path):
    wheel = build_wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text(f"{wheel}\n")
    script = tmp_path / "uses_wheel.py"
    script.write_text(
        "import os\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    import tinywheel\n"
        "    with open(os.path.join(args.output, 'value.txt'), 'w') as f:\n"
        "        f.write(tinywheel.VALUE)\n"
        "sagemaker_processing_main(main=main, outputs={'output': 'out'},\n"
        "                          requirements='requirements.txt')\n"
    )
    done = run_script(script, *LOCAL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "value.txt").read_text() == "from a wheel"
    assert importlib.util.find_spec("tinywheel") is None


FAILING = (
    "import sys, time\n"
    "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
    "def main(args):\n"
    "    print('about to fail', flush=True)\n"
    "    if args.sleep:\n"
    "        time.sleep(args.sleep)\n"
    "    sys.exit(args.code)\n"
    "sagemaker_processing_main(main=main, additional_arguments=[\n"
    "    {'dest': '--code', 'default': 3}, {'dest': '--sleep', 'default': 0.0}])\n"
)


@pytest.mark.e2e
def test_a_failing_script_fails_the_job_with_reason_and_last_lines(tmp_path):
    (tmp_path / "fails.py").write_text(FAILING)
    name = unique("fails")
    done = run_script(tmp_path / "fails.py", *LOCAL, "--sagemaker-job-name", name, cwd=tmp_path)
    assert done.returncode == 1
    assert f"job {name} ended Failed" in done.stderr
    assert "exit code 3" in done.stderr and "about to fail" in done.stderr
    assert "Traceback" not in done.stderr.split("ended Failed", 1)[1].split("last log lines")[0]
    assert describe(name)["ProcessingJobStatus"] == "Failed"


@pytest.mark.e2e
def test_max_runtime_stops_the_job(tmp_path):
    (tmp_path / "slow.py").write_text(FAILING)
    name = unique("slow")
    done = run_script(
        tmp_path / "slow.py",
        *LOCAL,
        "--sagemaker-job-name",
        name,
        "--sagemaker-runtime-seconds",
        "1",
        "--sleep",
        "60",
        "--code",
        "0",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert f"job {name} ended Stopped" in done.stderr
    assert "MaxRuntimeExceeded" in describe(name)["FailureReason"]


@pytest.mark.e2e
def test_detached_run_then_logs_follow_wait_list_and_stop(tmp_path):
    (tmp_path / "slow.py").write_text(FAILING)
    quick, slow = unique("detached"), unique("stopme")
    started = run_script(
        tmp_path / "slow.py",
        *LOCAL,
        "--sagemaker-wait",
        "false",
        "--sagemaker-job-name",
        quick,
        "--code",
        "0",
        "--sleep",
        "0.5",
        cwd=tmp_path,
    )
    assert started.returncode == 0, started.stderr
    assert f"jobs logs -f {quick} --local" in started.stderr
    follow = jobs_cli("logs", "-f", "--local", quick)
    assert follow.returncode == 0, follow.stderr
    assert "about to fail" in follow.stdout
    assert jobs_cli("wait", "--local", quick).returncode == 0
    listing = jobs_cli("list", "--local", "--json")
    assert quick in {j["ProcessingJobName"] for j in json.loads(listing.stdout)}

    started = run_script(
        tmp_path / "slow.py",
        *LOCAL,
        "--sagemaker-wait",
        "false",
        "--sagemaker-job-name",
        slow,
        "--sleep",
        "60",
        cwd=tmp_path,
    )
    assert started.returncode == 0, started.stderr
    wait_for_status(slow, {"InProgress"})
    assert jobs_cli("stop", "--local", slow).returncode == 0
    assert wait_for_status(slow, {"Stopped"})["ProcessingJobStatus"] == "Stopped"
    assert jobs_cli("wait", "--local", slow).returncode == 1


SHARDS = (
    "import json, os\n"
    "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
    "def main(args):\n"
    "    opt_ml = os.environ.get('AWS_SAGEMAKER_REMOTE_OPT_ML', '/opt/ml')\n"
    "    with open(os.path.join(opt_ml, 'config', 'resourceconfig.json')) as f:\n"
    "        host = json.load(f)['current_host']\n"
    "    seen = sorted(os.listdir(args.input))\n"
    "    with open(os.path.join(args.output, host + '.json'), 'w') as f:\n"
    "        json.dump(seen, f)\n"
    "sagemaker_processing_main(main=main, inputs={'input': 'data'}, outputs={'output': 'out'})\n"
)


@pytest.mark.e2e
@pytest.mark.parametrize("distribution", ["ShardedByS3Key", "FullyReplicated"])
def test_two_instances_share_or_replicate_the_input(tmp_path, distribution):
    (tmp_path / "data").mkdir()
    names = [f"part-{i}.txt" for i in range(10)]
    for name in names:
        (tmp_path / "data" / name).write_text(name)
    (tmp_path / "shards.py").write_text(SHARDS)
    done = run_script(
        tmp_path / "shards.py",
        *LOCAL,
        "--sagemaker-instance-count",
        "2",
        "--input-distribution",
        distribution,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    first = json.loads((tmp_path / "out" / "algo-1.json").read_text())
    second = json.loads((tmp_path / "out" / "algo-2.json").read_text())
    if distribution == "ShardedByS3Key":
        assert first and second and not set(first) & set(second)
        assert sorted(first + second) == names
    else:
        assert first == second == names


@pytest.mark.e2e
def test_staging_and_outputs_on_s3_then_a_job_output_feeds_the_next_job(tmp_path, s3):
    s3.create_bucket(Bucket="team-bucket")
    first = unique("first")
    done = run_script(
        EXAMPLES / "wordcount.py",
        *LOCAL,
        "--sagemaker-job-name",
        first,
        "--sagemaker-s3-prefix",
        "s3://team-bucket/staging",
        "--output",
        tmp_path / "first",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-bucket")["Contents"]]
    assert f"staging/jobs/{first}/output/counts.tsv" in keys
    assert any(k.startswith("staging/trees/") for k in keys)
    assert (tmp_path / "first" / "counts.tsv").read_bytes() == (
        EXPECTED / "wordcount-counts.tsv"
    ).read_bytes()

    second = unique("second")
    done = run_script(
        EXAMPLES / "wordcount.py",
        *LOCAL,
        "--sagemaker-job-name",
        second,
        "--input",
        f"job://{first}/output",
        "--output",
        tmp_path / "second",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    words = Counter((tmp_path / "first" / "counts.tsv").read_text().split())
    counted = dict(
        line.split("\t") for line in (tmp_path / "second" / "counts.tsv").read_text().splitlines()
    )
    assert {word: int(n) for word, n in counted.items()} == dict(words)  # counted job 1's output


@pytest.mark.e2e
def test_pipe_mode_is_refused_before_anything_happens(tmp_path):
    done = run_script(EXAMPLES / "wordcount.py", *LOCAL, "--input-mode", "Pipe", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "wordcount.py: error: --input-mode: Pipe mode is not supported by the local engine "
        "(use File, or run on a SageMaker instance)"
    ]


@pytest.mark.e2e
def test_jobs_chain_through_the_local_store_with_no_aws_at_all(tmp_path, no_aws_env):
    first, second = unique("offline-a"), unique("offline-b")
    env = {
        **no_aws_env,
        "AWS_SAGEMAKER_REMOTE_HOME": __import__("os").environ["AWS_SAGEMAKER_REMOTE_HOME"],
    }
    done = run_script(
        EXAMPLES / "wordcount.py",
        *LOCAL,
        "--sagemaker-job-name",
        first,
        "--output",
        tmp_path / "a",
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    done = run_script(
        EXAMPLES / "wordcount.py",
        *LOCAL,
        "--sagemaker-job-name",
        second,
        "--input",
        f"job://{first}/output",
        "--output",
        tmp_path / "b",
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "counts.tsv").exists()


@pytest.mark.e2e
def test_jobs_cli_mistakes_are_one_line(tmp_path):
    name = unique("cli-mistakes")
    done = run_script(
        EXAMPLES / "wordcount.py",
        *LOCAL,
        "--sagemaker-job-name",
        name,
        "--output",
        tmp_path / "out",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "a-file").write_text("")
    for args, fragment in [
        (("download", "--local", name, "--output", str(tmp_path / "a-file")), "is not a directory"),
        (("wait", "--local", name, "--poll-seconds", "-1"), "is not a positive number"),
    ]:
        done = jobs_cli(*args)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and fragment in done.stderr


def _imported(text: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in text.splitlines() if "import time:" in line}


@pytest.mark.e2e
def test_a_warm_offline_local_job_imports_no_event_loop_and_no_aws(tmp_path, no_aws_env):
    """A job whose code is staged already reaches its script without asyncio
    (a sixth of a warm run's time to import), boto3 or obstore, in the submitting process
    and in its runner (forked or fresh: the variable reaches both); nor dataclasses (with
    ``inspect``, 10 ms to import, and 1-5 ms to make each class): its records are
    NamedTuples."""
    script = tmp_path / "trivial.py"
    script.write_text(
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    print('trivial done')\n"
        "sagemaker_processing_main(script=__file__, main=main)\n"
    )
    first = run_script(script, *LOCAL, env=no_aws_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    name = unique("warm")
    env = {**no_aws_env, "PYTHONPROFILEIMPORTTIME": "1"}
    done = run_script(script, *LOCAL, "--sagemaker-job-name", name, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "trivial done" in done.stdout + done.stderr
    submitter = _imported(done.stderr)
    assert "aws_sagemaker_remote.backends.local" in submitter
    runner_log = tmp_path / "state" / "jobs" / name / "runner.log"
    runner = _imported(runner_log.read_text()) | submitter
    assert "aws_sagemaker_remote.backends.local.runner.jobrun" in runner
    heavy = {"asyncio", "boto3", "botocore", "obstore", "s3transfer", "dataclasses"}
    assert not heavy & runner, heavy & runner
