"""Resolving the AWS session, region and account; the default image of a region."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from conftest import moto_auth

from aws_sagemaker_remote.aws.images import default_image
from aws_sagemaker_remote.aws.session import peek_aws, resolve_aws
from aws_sagemaker_remote.cli.flags import flag_for_field
from aws_sagemaker_remote.errors import UserError


@pytest.fixture()
def env_without_aws(monkeypatch, no_aws_env):
    """This process's environment replaced by ``no_aws_env`` for the test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in no_aws_env.items():
        monkeypatch.setenv(name, value)
    return no_aws_env


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def _one_line(error: UserError) -> str:
    text = error.one_line(flag_for_field)
    assert "\n" not in text
    return text


@pytest.mark.e2e
def test_resolve_aws_against_moto(moto_reset):
    ctx = resolve_aws(None)
    assert ctx.region == "us-east-1"
    assert ctx.account_id == "123456789012"
    assert ctx.partition == "aws"
    assert ctx.session.client("sts").get_caller_identity()["Account"] == ctx.account_id


@pytest.mark.e2e
def test_unknown_profile_names_the_flag():
    with pytest.raises(UserError) as caught:
        resolve_aws("no-such-profile")
    text = _one_line(caught.value)
    assert caught.value.field == "profile"
    assert "no-such-profile" in text
    with pytest.raises(UserError) as caught:
        resolve_aws("no-such-profile")
    assert caught.value.field == "profile"


@pytest.mark.e2e
def test_unknown_profile_from_aws_profile(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    with pytest.raises(UserError) as caught:
        resolve_aws(None)
    assert "ghost" in _one_line(caught.value) and "AWS_PROFILE" in caught.value.message


def test_no_credentials(env_without_aws):
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    with pytest.raises(UserError) as caught:
        resolve_aws(None)
    text = _one_line(caught.value)
    assert "no AWS credentials" in text
    assert "aws configure" in text and "AWS_PROFILE" in text and "--sagemaker-profile" in text


def test_no_region(env_without_aws):
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    with pytest.raises(UserError) as caught:
        resolve_aws(None)
    text = _one_line(caught.value)
    assert "no AWS region" in text and "AWS_DEFAULT_REGION" in text


@pytest.mark.e2e
def test_aws_region_is_honoured(monkeypatch, moto_reset):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert resolve_aws(None).region == "eu-west-1"


@pytest.mark.e2e
def test_profile_from_files(env_without_aws, moto_reset, tmp_path):
    os.environ["AWS_ENDPOINT_URL"] = moto_reset
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-central-1\n")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
    os.environ["AWS_CONFIG_FILE"] = str(config)
    ctx = resolve_aws("dev")
    assert (ctx.region, ctx.account_id) == ("eu-central-1", "123456789012")
    assert peek_aws("dev") == ("eu-central-1", "123456789012")


@pytest.mark.e2e
def test_credentials_rejected_by_sts(moto_reset):
    moto_auth(moto_reset, "0")  # from now on moto checks keys: "testing" is unknown
    try:
        with pytest.raises(UserError) as caught:
            resolve_aws(None)
    finally:
        moto_auth(moto_reset, "inf")
    text = _one_line(caught.value)
    assert "rejected" in text and "--sagemaker-profile" in text


@pytest.mark.e2e
def test_peek_with_credentials(moto_reset):
    assert peek_aws(None) == ("us-east-1", "123456789012")


def test_peek_unknown_profile_does_not_raise():
    assert peek_aws("no-such-profile") == (None, None)


PEEK = "from aws_sagemaker_remote.aws.session import peek_aws; print(repr(peek_aws(None)))"


@pytest.mark.e2e
def test_peek_without_credentials_makes_no_network_call(no_aws_env):
    # The endpoint is a socket that listens but never answers: a connection attempt would
    # wait in its accept queue, so an empty queue afterwards proves no call was made.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        env = dict(no_aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{listener.getsockname()[1]}")
        env["AWS_DEFAULT_REGION"] = "eu-west-1"
        done = subprocess.run(
            [sys.executable, "-c", PEEK], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "('eu-west-1', None)"
        env.pop("AWS_DEFAULT_REGION")
        done = subprocess.run(
            [sys.executable, "-c", PEEK], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "(None, None)"
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.e2e
def test_peek_with_unreachable_endpoint_does_not_raise(no_aws_env):
    env = dict(no_aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}")
    env.update(AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", AWS_DEFAULT_REGION="us-west-2")
    done = subprocess.run(
        [sys.executable, "-c", PEEK], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "('us-west-2', None)"


# -- images ----------------------------------------------------------------------


def test_default_image_us_east_1():
    assert default_image("us-east-1") == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )


def test_default_image_china_uses_the_cn_domain():
    assert default_image("cn-north-1") == (
        "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )


def test_default_image_unknown_region():
    with pytest.raises(UserError) as caught:
        default_image("xx-nowhere-1")
    assert caught.value.field == "image"
    assert caught.value.fix == "pass an image URI"
    assert "xx-nowhere-1" in caught.value.one_line(flag_for_field)


def test_default_session_is_shared_until_the_aws_environment_changes(monkeypatch):
    """Callers without a session share one (and so its clients), but never across a change
    of credentials or region: a stale session would talk to the wrong account."""
    from aws_sagemaker_remote.boto import default_session

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    first = default_session()
    assert default_session() is first
    assert first.region_name == "eu-west-1"  # AWS_REGION honoured, as session_for does
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "another-key")
    second = default_session()
    assert second is not first
    assert second.get_credentials().access_key == "another-key"
