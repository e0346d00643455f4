"""How S3 is reached: which endpoint, which credentials go to obstore, one boto3 client per
session and timeouts, and which errors are the user's and which the service's. Nothing
here sends a request: clients and stores are built, not used."""

from __future__ import annotations

import boto3
import pytest
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from aws_sagemaker_remote.errors import ServiceError, UserError
from aws_sagemaker_remote.storage import s3clients
from aws_sagemaker_remote.storage.s3clients import (
    NoSuchBucket,
    boto3_s3_client,
    endpoint_name,
    obstore_s3,
    s3_endpoint,
    s3_error,
    s3_errors,
)
from aws_sagemaker_remote.storage.transfer import TransferConfig

ENDPOINT = "http://127.0.0.1:9"


def fixed_session(token: str | None = None, region: str = "eu-west-1") -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        aws_session_token=token,
        region_name=region,
    )


class RefreshingSession:
    """A session whose credentials expire and are fetched again (a role, SSO)."""

    region_name = "eu-west-1"

    def __init__(self):
        self.fetched = 0

        def fetch():
            self.fetched += 1
            return {
                "access_key": f"AKID{self.fetched}",
                "secret_key": "secret",
                "token": "token",
                "expiry_time": "2999-01-01T00:00:00Z",
            }

        self.credentials = RefreshableCredentials.create_from_metadata(
            fetch(), fetch, method="test"
        )

    def get_credentials(self):
        return self.credentials


def client_error(code: str, message: str = "no") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "ListObjectsV2")


def test_the_s3_endpoint_variable_wins_over_the_general_one(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert s3_endpoint() == "http://127.0.0.1:2"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    assert s3_endpoint() == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")
    assert s3_endpoint() is None


def test_without_an_endpoint_messages_name_the_region_s_s3(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    assert endpoint_name("eu-west-3") == "https://s3.eu-west-3.amazonaws.com"
    assert endpoint_name(None) == "https://s3.us-east-1.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", ENDPOINT)
    assert endpoint_name("eu-west-3") == ENDPOINT


def test_fixed_keys_go_to_obstore_as_they_are():
    given = s3clients._credentials(fixed_session())
    assert given == {"config": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret"}}
    with_token = s3clients._credentials(fixed_session(token="tok"))
    assert with_token["config"]["token"] == "tok"


def test_refreshable_keys_go_through_a_provider_that_asks_botocore():
    session = RefreshingSession()
    given = s3clients._credentials(session)
    assert set(given) == {"provider"}
    ours = s3clients._Boto3Credentials(session)
    answer = ours()
    assert answer["access_key_id"].startswith("AKID") and answer["token"] == "token"
    assert ours.config == {"region": "eu-west-1"}


def test_no_credentials_is_the_user_s_to_fix_naming_the_profile(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    session = boto3.Session(region_name="us-east-1")
    with pytest.raises(UserError) as caught:
        s3clients._credentials(session)
    assert caught.value.field == "profile"


def test_one_boto3_client_per_session_region_and_timeouts():
    session = fixed_session()
    config = TransferConfig()
    first = boto3_s3_client(session, config)
    assert boto3_s3_client(session, config) is first
    assert boto3_s3_client(session, config, region="eu-west-1") is first  # the session's own
    other_region = boto3_s3_client(session, config, region="us-west-2")
    assert other_region is not first and other_region.meta.region_name == "us-west-2"
    slower = boto3_s3_client(session, config._replace(socket_timeout_s=99.0))
    assert slower is not first
    assert boto3_s3_client(fixed_session(), config) is not first  # another session


def test_the_boto3_client_carries_the_transfer_timeouts_and_bounded_retries():
    config = TransferConfig(connect_timeout_s=3.0, socket_timeout_s=7.0, boto3_attempts=3)
    settings = boto3_s3_client(fixed_session(), config).meta.config
    assert (settings.connect_timeout, settings.read_timeout) == (3.0, 7.0)
    assert settings.retries["total_max_attempts"] == 3
    assert settings.max_pool_connections == config.max_concurrency


def test_obstore_talks_path_style_plain_http_to_a_local_endpoint(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", ENDPOINT)
    store = obstore_s3("bucket", fixed_session(), TransferConfig())
    assert store.config["endpoint"] == ENDPOINT
    assert store.config["virtual_hosted_style_request"] in (False, "false")
    assert store.client_options["allow_http"] in (True, "true")
    assert store.config["access_key_id"] == "AKIDEXAMPLE"


def test_on_aws_dotted_bucket_names_use_path_style(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    plain = obstore_s3("bucket", fixed_session(), TransferConfig())
    dotted = obstore_s3("my.bucket", fixed_session(), TransferConfig())
    assert plain.config["virtual_hosted_style_request"] in (True, "true")
    assert dotted.config["virtual_hosted_style_request"] in (False, "false")
    assert plain.client_options["allow_http"] in (False, "false")
    assert plain.config["region"] == "eu-west-1"


def test_obstore_gets_the_retry_and_timeout_settings(monkeypatch):
    config = TransferConfig(max_retries=7, retry_timeout_s=11.0)
    store = obstore_s3("bucket", fixed_session(), config)
    assert store.retry_config["max_retries"] == 7
    assert store.retry_config["retry_timeout"].total_seconds() == 11.0


def test_a_missing_bucket_is_the_user_s_naming_the_staging_prefix():
    error = s3_error(client_error("NoSuchBucket"), ENDPOINT, "s3://gone/key", "listing")
    assert isinstance(error, NoSuchBucket) and isinstance(error, UserError)
    assert error.field == "s3_prefix" and "gone" in error.message
    from_text = s3_error(OSError("NoSuchBucket: nope"), ENDPOINT, "s3://gone/k", "reading")
    assert isinstance(from_text, NoSuchBucket)


@pytest.mark.parametrize(
    "error",
    [client_error("AccessDenied"), PermissionError("denied"), OSError("403 Forbidden")],
)
def test_access_denied_is_the_user_s_naming_the_uri(error):
    mapped = s3_error(error, ENDPOINT, "s3://bucket/key", "uploading to")
    assert type(mapped) is UserError
    assert "s3://bucket/key" in str(mapped) and mapped.fix


def test_any_other_failure_is_the_service_s_naming_the_endpoint():
    mapped = s3_error(
        ConnectionResetError("connection reset\nmore detail"), ENDPOINT, "s3://b/k", "reading"
    )
    assert isinstance(mapped, ServiceError) and not isinstance(mapped, UserError)
    assert mapped.endpoint == ENDPOINT
    text = str(mapped)
    assert ENDPOINT in text and "s3://b/k" in text and "connection reset" in text
    assert "more detail" not in text, "one line"
    assert "RuntimeError" in str(s3_error(RuntimeError(""), ENDPOINT, "s3://b/k", "reading"))
    long = s3_error(RuntimeError("x" * 1000), ENDPOINT, "s3://b/k", "reading")
    assert len(str(long)) < 400


def test_s3_errors_maps_foreign_errors_and_lets_ours_through():
    with pytest.raises(ServiceError):
        with s3_errors(ENDPOINT, "s3://b/k", "reading"):
            raise TimeoutError("timed out")
    for ours in (UserError("mine"), ServiceError("theirs"), FileNotFoundError("k")):
        with pytest.raises(type(ours)) as caught:
            with s3_errors(ENDPOINT, "s3://b/k", "reading"):
                raise ours
        assert caught.value is ours
    with s3_errors(ENDPOINT, "s3://b/k", "reading"):
        done = "nothing raised"
    assert done == "nothing raised"


def test_missing_credentials_are_the_profile_s_not_the_service_s():
    from botocore.exceptions import NoCredentialsError

    mapped = s3_error(NoCredentialsError(), ENDPOINT, "s3://b/k", "listing")
    assert type(mapped) is UserError and mapped.field == "profile"
    assert "Unable to locate credentials" in str(mapped)
