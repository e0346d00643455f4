"""botocore's errors as ours: each kind of failure becomes the right error in one line, the
service's faults never blamed on the user; and no other module knows botocore's errors.

The errors are botocore's own objects, built as botocore builds them; nothing is sent."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOTokenLoadError,
)

import aws_sagemaker_remote
from aws_sagemaker_remote.awserrors import (
    aws_error,
    aws_error_answers,
    aws_error_code,
    aws_error_message,
    aws_errors,
    aws_failure,
    aws_not_found,
    loading_credentials,
    map_aws_errors,
)
from aws_sagemaker_remote.errors import NotFound, ServiceError, UserError

URL = "https://sagemaker.eu-west-1.amazonaws.com"
CLIENT = SimpleNamespace(meta=SimpleNamespace(endpoint_url=URL))  # a boto3 client's shape


def answer(code: str, message: str = "", status: int = 400, operation: str = "Op") -> ClientError:
    """A ClientError as botocore raises it for an error answer."""
    said = {"Code": code, "Message": message} if message else {"Code": code}
    return ClientError({"Error": said, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def mapped(error: BaseException, **knobs) -> Exception:
    with pytest.raises(Exception) as caught:
        with map_aws_errors("SageMaker", CLIENT, **knobs):
            raise error
    one_line = caught.value.one_line()  # type: ignore[attr-defined]
    assert "\n" not in one_line and "Traceback" not in one_line
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    return caught.value


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
        ReadTimeoutError(endpoint_url=URL),
        ConnectionClosedError(endpoint_url=URL),
    ],
)
def test_no_answer_is_the_service_s_naming_the_endpoint(error):
    found = mapped(error, field="instance")
    assert type(found) is ServiceError and found.endpoint == URL
    assert found.one_line().startswith(f"cannot reach SageMaker at {URL}: ")
    assert "check the network" in found.one_line() and "instance" not in found.one_line()


@pytest.mark.parametrize(
    "error",
    [
        answer("InternalFailure", "oops", status=500),
        answer("ServiceUnavailable", "busy", status=503),
        answer("ThrottlingException", "Rate exceeded"),
        answer("SlowDown", "reduce your rate", status=503),
        answer("TooManyRequestsException", "slow down", status=429),
    ],
)
def test_faults_and_throttling_are_the_service_s_naming_the_endpoint(error):
    found = mapped(error, field="instance", refused="SageMaker refused the job")
    assert type(found) is ServiceError and found.endpoint == URL
    text = found.one_line()
    assert text.startswith(f"SageMaker at {URL} failed: ") and "service's side" in text
    assert aws_error_message(error) in text and "refused" not in text


def test_doing_says_what_the_call_was_for():
    found = mapped(EndpointConnectionError(endpoint_url=URL), doing="to check bucket b")
    assert found.one_line().startswith(f"cannot reach SageMaker at {URL} to check bucket b: ")
    found = mapped(answer("InternalError", "x", status=500), doing="to check bucket b")
    assert found.one_line().startswith(f"SageMaker at {URL} failed to check bucket b: x")


@pytest.mark.parametrize(
    "error",
    [
        NoCredentialsError(),
        PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        ProfileNotFound(profile="gone"),
        SSOTokenLoadError(error_msg="the SSO session has expired"),
    ],
)
def test_credentials_not_found_are_the_profile_s(error):
    found = mapped(error, field="instance")
    assert type(found) is UserError and found.field == "profile"
    assert found.one_line().startswith("profile=: cannot load AWS credentials: ")
    assert "aws configure" in found.fix


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "ExpiredToken", "SignatureDoesNotMatch"])
def test_credentials_aws_rejects_are_the_profile_s(code):
    found = mapped(answer(code, "The security token included in the request is invalid"))
    assert type(found) is UserError and found.field == "profile"
    assert "AWS rejected the credentials: The security token" in found.one_line()
    assert "aws sso login" in found.fix


def test_no_region_is_the_profile_s():
    found = mapped(NoRegionError())
    assert type(found) is UserError and found.field == "profile"
    assert "no AWS region configured" in found.one_line() and "AWS_DEFAULT_REGION" in found.fix


def test_a_request_botocore_refuses_is_the_user_s():
    error = ParamValidationError(report='Missing required parameter in input: "RoleArn"')
    found = mapped(error, field="role")
    assert type(found) is UserError and found.field == "role"
    assert "invalid SageMaker request" in found.one_line() and "RoleArn" in found.one_line()


def test_a_refusal_quotes_aws_and_names_the_field_at_fault():
    error = answer("ValidationException", "1 validation error: InstanceType is not valid")
    found = mapped(error, refused="SageMaker refused the job", field="instance", fix="pick one")
    assert type(found) is UserError and found.field == "instance" and found.fix == "pick one"
    assert found.one_line() == (
        "instance=: SageMaker refused the job: 1 validation error: InstanceType is not valid"
        " (pick one)"
    )
    plain = mapped(answer("AccessDeniedException", "not allowed"))
    assert type(plain) is UserError and plain.one_line() == "SageMaker: not allowed"


def test_a_refusal_without_a_message_says_botocore_s_text():
    found = mapped(answer("403", status=403, operation="HeadBucket"))
    assert "An error occurred (403) when calling the HeadBucket operation" in found.one_line()


@pytest.mark.parametrize(
    "error",
    [
        answer("NoSuchBucket", "The specified bucket does not exist", status=404),
        answer("NoSuchKey", "The specified key does not exist.", status=404),
        answer("404", status=404, operation="HeadObject"),
        answer("NoSuchEntity", "The role with name r cannot be found.", status=404),
        answer("ResourceNotFoundException", "The specified log stream does not exist."),
    ],
)
def test_what_does_not_exist_is_not_found_naming_the_field(error):
    assert aws_not_found(error)
    found = mapped(error, not_found="no object s3://b/k", field="inputs.data")
    assert type(found) is NotFound and found.field == "inputs.data"
    assert found.one_line() == "inputs['data']: no object s3://b/k"


def test_not_found_only_when_the_call_site_says_what_is_missing():
    found = mapped(answer("NoSuchBucket", "gone", status=404))
    assert type(found) is UserError and found.one_line() == "SageMaker: gone"
    assert not aws_not_found(answer("InternalError", "x", status=500))
    assert not aws_not_found(EndpointConnectionError(endpoint_url=URL))
    assert not aws_not_found(FileNotFoundError("not botocore's"))


def test_a_code_can_mean_something_of_its_own_at_a_call_site():
    def taken(failure):
        return UserError(f"taken: {failure.message}", field="job_name")

    def only_roles(failure):
        return UserError("role", field="role") if "role" in failure.message else None

    codes = {"ResourceInUse": taken, "ValidationException": only_roles}
    found = mapped(answer("ResourceInUse", "job exists"), codes=codes)
    assert found.field == "job_name" and found.one_line() == "job_name=: taken: job exists"
    assert mapped(answer("ValidationException", "cannot assume role"), codes=codes).field == "role"
    other = mapped(answer("ValidationException", "bad name"), codes=codes, field="instance")
    assert other.field == "instance" and other.one_line() == "instance=: SageMaker: bad name"


def test_other_errors_pass_unchanged():
    for error in (ValueError("mine"), UserError("ours", field="x"), KeyboardInterrupt()):
        with pytest.raises(type(error)) as caught:
            with map_aws_errors("SageMaker", CLIENT):
                raise error
        assert caught.value is error
    assert aws_error(ValueError("x"), "S3", URL) is None
    assert aws_failure(OSError("x")) is None and aws_error_code(OSError("x")) == ""


def test_an_endpoint_is_a_url_or_a_client():
    found = mapped(answer("InternalError", "x", status=500))
    assert found.endpoint == URL
    with pytest.raises(ServiceError) as caught:
        with map_aws_errors("S3", "http://127.0.0.1:9"):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    assert caught.value.endpoint == "http://127.0.0.1:9"


def test_call_sites_branch_on_codes_without_botocore():
    error = answer("BucketAlreadyOwnedByYou", "yours already")
    assert aws_error_code(error) == "BucketAlreadyOwnedByYou"
    assert aws_error_message(error) == "yours already"
    assert isinstance(error, aws_error_answers()) and isinstance(error, aws_errors())
    timeout = ReadTimeoutError(endpoint_url=URL)
    assert isinstance(timeout, aws_errors()) and not isinstance(timeout, aws_error_answers())
    assert aws_error_code(timeout) == "" and URL in aws_error_message(timeout)
    failure = aws_failure(answer("SlowDown", "x", status=503))
    assert failure is not None and (failure.kind, failure.code, failure.status) == (
        "fault",
        "SlowDown",
        503,
    )


def test_any_failure_loading_credentials_is_the_profile_s():
    for error in (SSOTokenLoadError(error_msg="expired"), ConnectTimeoutError(endpoint_url=URL)):
        with pytest.raises(UserError) as caught:
            with loading_credentials():
                raise error
        assert caught.value.field == "profile"
        assert "cannot load AWS credentials" in str(caught.value)


def test_before_botocore_is_loaded_nothing_is_caught_and_nothing_imported():
    code = (
        "import sys\n"
        "from aws_sagemaker_remote.awserrors import aws_errors, aws_failure, map_aws_errors\n"
        "assert aws_errors() == () and aws_failure(ValueError()) is None\n"
        "try:\n"
        "    with map_aws_errors('S3', 'http://127.0.0.1:9'):\n"
        "        raise ValueError('mine')\n"
        "except ValueError:\n"
        "    pass\n"
        "assert not [m for m in sys.modules if m.startswith(('botocore', 'boto3'))]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# Only these modules may know botocore's exception types; every other module asks them.
ALLOWED = {"aws_sagemaker_remote/awserrors.py", "aws_sagemaker_remote/boto.py"}
BOTOCORE_NAMES = {"ClientError", "BotoCoreError", "EndpointConnectionError", "NoCredentialsError"}


def _botocore_knowledge(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "botocore.exceptions" or (
                node.module == "botocore" and "exceptions" in names
            ):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name == "botocore.exceptions"
            ]
        elif isinstance(node, ast.Name) and node.id in BOTOCORE_NAMES:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in BOTOCORE_NAMES:
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_only_awserrors_and_boto_know_botocore_s_errors():
    root = Path(aws_sagemaker_remote.__file__).parent
    offenders = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        if name in ALLOWED:
            continue
        found = _botocore_knowledge(ast.parse(path.read_text(), str(path)))
        if found:
            offenders[name] = found
    assert offenders == {}, "use aws_sagemaker_remote.awserrors instead"


def test_the_check_finds_botocore_s_errors_however_imported():
    for source in (
        "from botocore.exceptions import ClientError",
        "from botocore import exceptions",
        "import botocore.exceptions",
        "def f(e):\n    return e.ClientError",
    ):
        assert _botocore_knowledge(ast.parse(source)), source
    assert not _botocore_knowledge(ast.parse("reason = 'ClientError: x'"))
