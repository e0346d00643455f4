"""find_violations against botocore's sagemaker model: one test per kind of violation, then
the cache of the model's shapes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aws_sagemaker_remote.job import service_model
from aws_sagemaker_remote.job.model_checks import Violation, find_violations

CODE = "/opt/ml/processing/code"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def valid_request() -> dict:
    return {
        "ProcessingJobName": "wc-2024-05-01-12-00-00-123",
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": [
                "python3",
                f"{CODE}/aws_sagemaker_remote/script/bootstrap.py",
                "--script",
                f"{CODE}/wc.py",
                "--",
            ],
            "ContainerArguments": ["--input", "/opt/ml/processing/input/x", "--lines"],
        },
        "RoleArn": "arn:aws:iam::123456789012:role/x",
        "ProcessingInputs": [
            _input("code", "s3://bucket/staging/ab12/", CODE),
            _input("x", "s3://bucket/data/x/", "/opt/ml/processing/input/x"),
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": "s3://bucket/jobs/wc/out",
                        "LocalPath": "/opt/ml/processing/output/out",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "Environment": {"AWS_SAGEMAKER_REMOTE": "1", "PYTHONUNBUFFERED": "1"},
        "Tags": [{"Key": "project", "Value": "wc"}, {"Key": "équipe", "Value": "données"}],
    }


def _input(name: str, uri: str, local_path: str) -> dict:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def violations_of(change) -> list[Violation]:
    request = valid_request()
    change(request)
    return find_violations(request)


def only(violations: list[Violation], path: str, fragment: str) -> None:
    assert [v.path for v in violations] == [path], violations
    assert fragment in violations[0].message, violations


def test_valid_request_has_no_violations():
    assert find_violations(valid_request()) == []


def test_request_is_not_modified():
    request = valid_request()
    before = copy.deepcopy(request)
    find_violations(request)
    assert request == before


def test_job_name_with_underscore():
    def change(r):
        r["ProcessingJobName"] = "my_job"

    only(
        violations_of(change),
        "ProcessingJobName",
        "'my_job' does not match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    )


def test_job_name_too_long_is_reported_once():
    def change(r):
        r["ProcessingJobName"] = "a" * 64

    only(violations_of(change), "ProcessingJobName", "is 64 characters; at most 63 allowed")


def test_eleven_inputs():
    def change(r):
        r["ProcessingInputs"] = [
            _input(f"in{i}", f"s3://b/{i}", f"/opt/ml/processing/i{i}") for i in range(11)
        ]

    only(violations_of(change), "ProcessingInputs", "has 11 items; at most 10 allowed")


def test_container_argument_too_long():
    def change(r):
        r["AppSpecification"]["ContainerArguments"] += ["x" * 257]

    only(
        violations_of(change),
        "AppSpecification.ContainerArguments[3]",
        "is 257 characters; at most 256 allowed",
    )


def test_too_many_container_arguments():
    def change(r):
        r["AppSpecification"]["ContainerArguments"] = ["a"] * 101

    only(
        violations_of(change),
        "AppSpecification.ContainerArguments",
        "has 101 items; at most 100 allowed",
    )


def test_environment_value_too_long():
    def change(r):
        r["Environment"]["MY_VAR"] = "v" * 257

    only(violations_of(change), "Environment.MY_VAR", "is 257 characters; at most 256 allowed")


def test_environment_key_pattern_names_the_key():
    def change(r):
        r["Environment"]["1BAD"] = "x"

    only(violations_of(change), "Environment", "key '1BAD' does not match [a-zA-Z_][a-zA-Z0-9_]*")


def test_too_many_environment_entries():
    def change(r):
        r["Environment"] = {f"V{i}": "x" for i in range(101)}

    only(violations_of(change), "Environment", "has 101 entries; at most 100 allowed")


def test_too_many_tags():
    def change(r):
        r["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]

    only(violations_of(change), "Tags", "has 51 items; at most 50 allowed")


@pytest.mark.parametrize("key", ["team#1", "a*b", "smile\U0001f642", "tab\there"])
def test_tag_key_with_disallowed_character(key):
    # TagKey is ([\p{L}\p{Z}\p{N}_.:/=+\-@]*), a Java class Python's re cannot compile as is.
    def change(r):
        r["Tags"][1]["Key"] = key

    only(violations_of(change), "Tags[1].Key", "does not match ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)")


@pytest.mark.parametrize("key", ["team", "équipe", "チーム 1", "a.b:c/d=e+f-g@h_i", "x\u00a0y"])
def test_tag_key_letters_numbers_and_separators_of_any_script(key):
    def change(r):
        r["Tags"][0]["Key"] = key

    assert violations_of(change) == []


def test_max_runtime_below_minimum_is_botocores_and_reported_once():
    def change(r):
        r["StoppingCondition"]["MaxRuntimeInSeconds"] = 0

    only(violations_of(change), "StoppingCondition.MaxRuntimeInSeconds", "is 0; at least 1 allowed")


def test_max_runtime_above_maximum():
    def change(r):
        r["StoppingCondition"]["MaxRuntimeInSeconds"] = 777601

    only(
        violations_of(change),
        "StoppingCondition.MaxRuntimeInSeconds",
        "is 777601; at most 777600 allowed",
    )


def test_instance_count_zero():
    def change(r):
        r["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = 0

    only(
        violations_of(change),
        "ProcessingResources.ClusterConfig.InstanceCount",
        "is 0; at least 1 allowed",
    )


def test_unknown_input_mode():
    def change(r):
        r["ProcessingInputs"][1]["S3Input"]["S3InputMode"] = "Bogus"

    only(
        violations_of(change),
        "ProcessingInputs[1].S3Input.S3InputMode",
        "'Bogus' is not one of File, Pipe",
    )


def test_missing_role_arn():
    def change(r):
        del r["RoleArn"]

    only(violations_of(change), "RoleArn", "missing required member RoleArn")


def test_s3_uri_scheme():
    def change(r):
        r["ProcessingInputs"][0]["S3Input"]["S3Uri"] = "ftp://x"

    only(
        violations_of(change),
        "ProcessingInputs[0].S3Input.S3Uri",
        "'ftp://x' does not match (https|s3)://([^/]+)/?(.*)",
    )


def test_empty_job_name_is_one_violation_not_length_and_pattern():
    def change(r):
        r["ProcessingJobName"] = ""

    only(violations_of(change), "ProcessingJobName", "is 0 characters; at least 1 allowed")


def test_botocore_errors_are_not_duplicated():
    def change(r):
        r["Tags"][0]["Key"] = ""  # botocore: min length 1; the pattern accepts ''
        r["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] = 0
        r["AppSpecification"]["ContainerEntrypoint"] = []

    found = violations_of(change)
    assert len(found) == len(set(found)) == 3, found
    assert [v.path for v in found] == [
        "ProcessingResources.ClusterConfig.VolumeSizeInGB",
        "AppSpecification.ContainerEntrypoint",
        "Tags[0].Key",
    ]


def test_unknown_member_and_wrong_type_come_from_botocore():
    def change(r):
        r["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = "1"
        r["Bogus"] = 1

    found = violations_of(change)
    assert (
        Violation("ProcessingResources.ClusterConfig.InstanceCount", "is str; expected int")
        in found
    )
    assert any(v.path == "Bogus" and v.message.startswith("unknown member Bogus") for v in found)


def test_violations_come_in_walk_order():
    def change(r):
        r["ProcessingJobName"] = "my_job"
        r["StoppingCondition"]["MaxRuntimeInSeconds"] = 0
        r["AppSpecification"]["ContainerArguments"] = ["a"] * 101
        del r["RoleArn"]
        r["ProcessingInputs"][1]["S3Input"]["S3InputMode"] = "Bogus"
        r["Environment"]["1BAD"] = "x"

    paths = [v.path for v in violations_of(change)]
    assert paths == [
        "RoleArn",
        "ProcessingJobName",
        "StoppingCondition.MaxRuntimeInSeconds",
        "AppSpecification.ContainerArguments",
        "ProcessingInputs[1].S3Input.S3InputMode",
        "Environment",
    ]
    assert paths == [v.path for v in violations_of(change)]


def test_violation_reads_as_path_and_message():
    assert str(Violation("RoleArn", "missing required member RoleArn")) == (
        "RoleArn: missing required member RoleArn"
    )


# --- The cached model -------------------------------------------------------------------------


@pytest.fixture()
def fresh_state(tmp_path, monkeypatch):
    """A state directory of its own, and no shapes loaded in this process yet."""
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    service_model.input_shape.cache_clear()
    yield tmp_path / "state"
    service_model.input_shape.cache_clear()


def cache_file(state: Path, version: str | None = None) -> Path:
    import botocore

    name = f"sagemaker-CreateProcessingJob-{version or botocore.__version__}.json"
    return state / "model-cache" / name


def underscore_job_name(r):
    r["ProcessingJobName"] = "my_job"


def forget_shapes():
    service_model.input_shape.cache_clear()


@pytest.mark.e2e
def test_the_model_is_cached_on_first_use_under_botocores_version(fresh_state):
    assert find_violations(valid_request()) == []
    path = cache_file(fresh_state)
    model = json.loads(path.read_bytes())
    assert (model["format"], model["service"], model["operation"], model["input"]) == (
        1,
        "sagemaker",
        "CreateProcessingJob",
        "CreateProcessingJobRequest",
    )
    assert "documentation" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial files


@pytest.mark.e2e
def test_a_warm_cache_is_read_and_botocore_is_not(fresh_state, monkeypatch):
    find_violations(valid_request())
    forget_shapes()

    def no_botocore(*args):
        raise AssertionError("botocore's model was loaded")

    monkeypatch.setattr(service_model, "_compact_model", no_botocore)
    only(violations_of(underscore_job_name), "ProcessingJobName", "does not match")


def test_the_botocore_version_is_read_without_importing_botocore():
    import botocore

    assert service_model.botocore_version.__wrapped__() == botocore.__version__


@pytest.mark.e2e
def test_another_botocore_version_does_not_read_the_cache(fresh_state, monkeypatch):
    find_violations(valid_request())
    path = cache_file(fresh_state)
    model = json.loads(path.read_bytes())
    model["shapes"]["ProcessingJobName"]["max"] = 3  # so we can tell whose shapes are used
    path.write_text(json.dumps(model))
    forget_shapes()
    only(violations_of(lambda r: None), "ProcessingJobName", "at most 3 allowed")

    monkeypatch.setattr(service_model, "botocore_version", lambda: "9.9.9")
    forget_shapes()
    assert violations_of(lambda r: None) == []
    assert cache_file(fresh_state, "9.9.9").is_file()


@pytest.mark.e2e
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"format": 1}',
        b'{"format": 2, "service": "sagemaker", "operation": "CreateProcessingJob",'
        b' "input": "CreateProcessingJobRequest", "shapes": {}}',
        b'{"format": 1, "service": "sagemaker", "operation": "CreateProcessingJob",'
        b' "input": "CreateProcessingJobRequest", "shapes": {}}',
        b'{"format": 1, "service": "sagemaker", "operation": "CreateProcessingJob",'
        b' "input": "X", "shapes": {"X": {"type": "bigInteger"}}}',
    ],
)
def test_a_corrupt_cache_falls_back_to_botocore_and_is_rewritten(fresh_state, content):
    path = cache_file(fresh_state)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    only(violations_of(underscore_job_name), "ProcessingJobName", "does not match")
    assert json.loads(path.read_bytes())["input"] == "CreateProcessingJobRequest"
    forget_shapes()
    only(violations_of(underscore_job_name), "ProcessingJobName", "does not match")


@pytest.mark.e2e
def test_a_cache_that_cannot_be_written_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(blocker))
    forget_shapes()
    try:
        only(violations_of(underscore_job_name), "ProcessingJobName", "does not match")
    finally:
        forget_shapes()


@pytest.mark.e2e
def test_a_model_of_the_users_own_is_read_by_botocore_not_cached(fresh_state, monkeypatch):
    home = fresh_state.parent / "home"
    (home / ".aws" / "models" / "sagemaker").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert service_model.cache_path("sagemaker", "CreateProcessingJob") is None
    only(violations_of(underscore_job_name), "ProcessingJobName", "does not match")
    assert not (fresh_state / "model-cache").exists()


@pytest.mark.e2e
def test_a_warm_call_in_a_fresh_process_imports_no_botocore(fresh_state):
    request = valid_request()
    underscore_job_name(request)
    del request["RoleArn"]
    expected = [list(v) for v in find_violations(request)]  # also writes the cache
    code = (
        "import json, sys\n"
        "from aws_sagemaker_remote.job.model_checks import find_violations\n"
        "found = find_violations(json.loads(sys.argv[1]))\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'botocore')\n"
        "print(json.dumps({'found': found, 'botocore': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == {"found": expected, "botocore": []}


def test_posix_classes_are_the_string_modules():
    """java_patterns spells out string.hexdigits and string.punctuation (it does not import
    string, which costs a submission 1-2 ms): they must stay the same characters."""
    import string

    from aws_sagemaker_remote.job import java_patterns

    assert java_patterns._HEXDIGITS == string.hexdigits
    assert java_patterns._PUNCTUATION == string.punctuation
    assert java_patterns.matches(r"\p{XDigit}+", "09afAF") and not java_patterns.matches(
        r"\p{XDigit}+", "g"
    )
    assert java_patterns.matches(r"\p{Punct}+", string.punctuation)
