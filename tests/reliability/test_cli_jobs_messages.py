"""What the ``jobs`` command says to a new user: a missing credential is not blamed on a
flag never passed, ``--local`` goes before or after the command, ``rm`` needs no
``--local`` and names NAME, and a list says when it is empty or cut short."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from integration.test_cli_jobs import assert_one_line_error, local_request

pytestmark = pytest.mark.e2e  # subprocesses; a few real local jobs


def jobs(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture()
def local_env(no_aws_env):
    """No AWS at all, and this test's own job store."""
    return dict(no_aws_env, AWS_SAGEMAKER_REMOTE_HOME=os.environ["AWS_SAGEMAKER_REMOTE_HOME"])


@pytest.fixture()
def ended_jobs(local_env):
    """Three local jobs that ended."""
    from aws_sagemaker_remote.backends.local import LocalBackend

    backend = LocalBackend()
    names = [f"ended-{i}" for i in range(3)]
    for name in names:
        backend.create_job(local_request(name, "pass"))
    done = [jobs("wait", "--local", name, env=local_env) for name in names]
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    return names


def test_list_without_credentials_suggests_a_profile_or_local(no_aws_env):
    line = assert_one_line_error(jobs("list", env=dict(no_aws_env, AWS_DEFAULT_REGION="eu-west-1")))
    assert "error: no AWS credentials found" in line
    assert "--profile: " not in line  # it was never passed
    assert "--profile PROFILE" in line and "--local" in line


def test_local_is_accepted_before_the_command(ended_jobs, local_env):
    before = jobs("--local", "list", env=local_env)
    after = jobs("list", "--local", env=local_env)
    assert before.returncode == 0, before.stderr
    assert before.stdout == after.stdout
    assert all(name in before.stdout for name in ended_jobs)


def test_rm_needs_no_local_and_names_NAME(ended_jobs, local_env):
    line = assert_one_line_error(jobs("rm", "no-such-job", env=local_env))
    assert "error: NAME: no local job named 'no-such-job'" in line
    assert "--name" not in line
    done = jobs("rm", ended_jobs[0], env=local_env)
    assert done.returncode == 0, done.stderr
    assert "removed 1 jobs" in done.stderr or "removed 1 job" in done.stderr
    assert ended_jobs[0] not in jobs("list", "--local", env=local_env).stdout


def test_a_cut_list_says_how_many_there_are(ended_jobs, local_env):
    done = jobs("list", "--local", "--max", "2", env=local_env)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3  # the header and two jobs
    assert "2 of 3 jobs shown (--max N to see more)" in done.stderr
    done = jobs("list", "--local", "--max", "3", env=local_env)
    assert " of " not in done.stderr


def test_an_empty_list_says_so(local_env):
    done = jobs("list", "--local", env=local_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "no local jobs" in done.stderr
    done = jobs("list", "--local", "--name-contains", "zzz", "--json", env=local_env)
    assert done.stdout.strip() == "[]"
    assert "no local jobs whose name contains 'zzz'" in done.stderr


def test_sagemaker_lists_say_when_cut_or_empty(moto_reset):
    from integration.test_sagemaker_backend import processing_request

    from aws_sagemaker_remote.aws.session import resolve_aws
    from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend

    done = jobs("list")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "no SageMaker processing jobs in us-east-1 (for the local engine's jobs: --local)" in (
        done.stderr
    )
    backend = SageMakerBackend(resolve_aws(None))
    for name in ("listed-a", "listed-b", "listed-c"):
        backend.create_job(processing_request(name))
    done = jobs("list", "--max", "2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
    assert "the newest 2 jobs shown; there are more (--max N to see more)" in done.stderr
