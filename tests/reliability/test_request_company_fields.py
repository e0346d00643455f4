"""The request fields company accounts require (VPC, network isolation, KMS keys,
experiments, manifest inputs): flags, environment defaults, the dry run, the service
model, the role, and what the local engine does with each."""

from __future__ import annotations

import json
import os
import socket
import threading

import boto3
import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote.aws.roles import (
    ACCOUNT_POLICY_NAME,
    KMS_ACTIONS,
    VPC_ACTIONS,
    account_statements,
    resolve_role,
)
from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends.local.runner.transfer import Locations, plan_input
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.model_checks import find_violations
from aws_sagemaker_remote.job.spec import JobSpec
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path

DRY = ("--sagemaker-run", "true", "--sagemaker-dry-run", "true")
LOCAL = ("--sagemaker-run", "true", "--sagemaker-instance", "local")
STORE = f"s3://{LOCAL_STORE_BUCKET}"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    write_script(tmp_path, 'inputs={"input": "data"}, outputs={"output": "out"},')
    return tmp_path


def request_of(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def one_line_error(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.e2e
def test_every_field_reaches_the_request_and_passes_the_model(project, no_aws_env):
    done = run_script(
        project / "job.py",
        *DRY,
        "--sagemaker-subnets",
        "subnet-0a1b,subnet-2c3d",
        "--sagemaker-security-groups",
        "sg-0123",
        "--sagemaker-network-isolation",
        "yes",
        "--sagemaker-inter-container-encryption",
        "true",
        "--sagemaker-volume-kms-key",
        KEY_ARN,
        "--sagemaker-output-kms-key",
        "alias/outputs",
        "--sagemaker-experiment",
        "churn",
        "--sagemaker-trial",
        "churn-t1",
        "--sagemaker-experiment-run",
        "run-7",
        "--input",
        "s3://data-bucket/manifests/train.json",
        "--input-data-type",
        "manifestfile",
        cwd=project,
        env=no_aws_env,
    )
    request = request_of(done)
    assert find_violations(request) == []
    assert request["NetworkConfig"] == {
        "VpcConfig": {"SecurityGroupIds": ["sg-0123"], "Subnets": ["subnet-0a1b", "subnet-2c3d"]},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY_ARN
    assert request["ProcessingOutputConfig"]["KmsKeyId"] == "alias/outputs"
    assert request["ExperimentConfig"] == {
        "ExperimentName": "churn",
        "TrialName": "churn-t1",
        "RunName": "run-7",
    }
    data = next(i for i in request["ProcessingInputs"] if i["InputName"] == "input")
    assert data["S3Input"]["S3DataType"] == "ManifestFile"
    assert data["S3Input"]["S3Uri"] == "s3://data-bucket/manifests/train.json"
    # the job's argument is the directory the manifest's objects land in
    arguments = request["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--input") + 1] == "/opt/ml/processing/input/input"


@pytest.mark.e2e
def test_a_job_without_the_fields_gets_the_request_it_always_got(project, no_aws_env):
    request = request_of(run_script(project / "job.py", *DRY, cwd=project, env=no_aws_env))
    assert "NetworkConfig" not in request and "ExperimentConfig" not in request
    assert "VolumeKmsKeyId" not in request["ProcessingResources"]["ClusterConfig"]
    assert "KmsKeyId" not in request["ProcessingOutputConfig"]
    assert all(i["S3Input"]["S3DataType"] == "S3Prefix" for i in request["ProcessingInputs"])


@pytest.mark.e2e
def test_environment_defaults_and_code_defaults(tmp_path, no_aws_env):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    write_script(
        tmp_path,
        'inputs={"input": "data"}, outputs={"output": "out"}, network_isolation=True,'
        ' experiment="from-code",',
    )
    env = {
        **no_aws_env,
        "AWS_SAGEMAKER_REMOTE_SUBNETS": "subnet-1,subnet-2",
        "AWS_SAGEMAKER_REMOTE_SECURITY_GROUPS": "sg-1",
        "AWS_SAGEMAKER_REMOTE_OUTPUT_KMS_KEY": "1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    request = request_of(run_script(tmp_path / "job.py", *DRY, cwd=tmp_path, env=env))
    assert request["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-1", "subnet-2"]
    assert request["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert request["ExperimentConfig"] == {"ExperimentName": "from-code"}
    assert request["ProcessingOutputConfig"]["KmsKeyId"].startswith("1234abcd")
    # the command line wins over both
    request = request_of(
        run_script(
            tmp_path / "job.py",
            *DRY,
            "--sagemaker-network-isolation",
            "no",
            "--sagemaker-subnets",
            "subnet-9",
            cwd=tmp_path,
            env=env,
        )
    )
    assert request["NetworkConfig"] == {
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-9"]}
    }


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args, flag",
    [
        (("--sagemaker-subnets", "subnet-1"), "--sagemaker-subnets"),
        (("--sagemaker-security-groups", "sg-1"), "--sagemaker-security-groups"),
        (
            ("--sagemaker-subnets", "subnet_1!", "--sagemaker-security-groups", "sg-1"),
            "--sagemaker-subnets",
        ),
        (
            (
                "--sagemaker-subnets",
                ",".join(f"subnet-{i}" for i in range(17)),
                "--sagemaker-security-groups",
                "sg-1",
            ),
            "--sagemaker-subnets",
        ),
        (("--sagemaker-volume-kms-key", "key with spaces"), "--sagemaker-volume-kms-key"),
        (("--sagemaker-experiment", "not_valid"), "--sagemaker-experiment"),
        (("--sagemaker-experiment-run", "r1"), "--sagemaker-experiment-run"),
        (("--input-data-type", "Manifest"), "--input-data-type"),
    ],
)
def test_bad_values_are_one_line_naming_the_flag(project, no_aws_env, args, flag):
    done = run_script(project / "job.py", *DRY, *args, cwd=project, env=no_aws_env)
    assert flag in one_line_error(done)
    assert done.stdout == ""


@pytest.mark.e2e
def test_output_key_without_outputs_is_refused(tmp_path, no_aws_env):
    write_script(tmp_path, "")
    done = run_script(
        tmp_path / "job.py", *DRY, "--sagemaker-output-kms-key", "k", cwd=tmp_path, env=no_aws_env
    )
    assert "--sagemaker-output-kms-key" in one_line_error(done)


def test_model_checks_cover_the_new_members():
    spec_fields = set(JobSpec._fields)
    from aws_sagemaker_remote.job.request import OPTIONAL_MEMBERS

    assert {attribute for _, attribute in OPTIONAL_MEMBERS} <= spec_fields
    base = {
        "ProcessingJobName": "j",
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.t3.medium",
                "VolumeSizeInGB": 1,
            }
        },
        "AppSpecification": {"ImageUri": "i"},
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    }
    bad = {
        **base,
        "NetworkConfig": {"VpcConfig": {"SecurityGroupIds": ["sg_!"], "Subnets": []}},
        "ExperimentConfig": {"ExperimentName": "x" * 121},
    }
    paths = {v.path for v in find_violations(bad)}
    assert "NetworkConfig.VpcConfig.SecurityGroupIds[0]" in paths
    assert "NetworkConfig.VpcConfig.Subnets" in paths  # at least one subnet
    assert "ExperimentConfig.ExperimentName" in paths


# -- the role ------------------------------------------------------------------------------


class _Spec:
    def __init__(self, subnets=(), volume=None, output=None):
        self.subnets, self.volume_kms_key, self.output_kms_key = subnets, volume, output


@pytest.mark.e2e
def test_created_role_gets_eni_and_kms_permissions(moto_reset):
    ctx = resolve_aws(None)
    iam = boto3.client("iam")
    lines: list[str] = []
    extra = account_statements(ctx, _Spec(("subnet-1",), "1234abcd", "alias/out"))
    arn = resolve_role(ctx, "asr-vpc", extra=extra, notify=lines.append)
    policy = iam.get_role_policy(RoleName="asr-vpc", PolicyName=ACCOUNT_POLICY_NAME)
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["VpcNetworkInterfaces"]["Action"] == list(VPC_ACTIONS)
    assert statements["UseKmsKeys"]["Action"] == list(KMS_ACTIONS)
    assert statements["UseKmsKeys"]["Resource"] == [
        f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/1234abcd"
    ]
    aliases = statements["UseKmsAliases"]["Condition"]["ForAnyValue:StringEquals"]
    assert aliases == {"kms:ResourceAliases": ["alias/out"]}
    # a later job with another key gets it; the earlier grants go (no job running needs them)
    extra = account_statements(ctx, _Spec((), KEY_ARN))
    assert resolve_role(ctx, "asr-vpc", extra=extra, notify=lines.append) == arn
    policy = iam.get_role_policy(RoleName="asr-vpc", PolicyName=ACCOUNT_POLICY_NAME)
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert "VpcNetworkInterfaces" not in statements
    assert statements["UseKmsKeys"]["Resource"] == [KEY_ARN]
    assert any(line.startswith("granted role") for line in lines)


@pytest.mark.e2e
def test_a_role_the_user_made_is_not_touched(moto_reset):
    ctx = resolve_aws(None)
    iam = boto3.client("iam")
    iam.create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")
    extra = account_statements(ctx, _Spec(("subnet-1",)))
    resolve_role(ctx, "theirs", extra=extra)
    assert iam.list_role_policies(RoleName="theirs")["PolicyNames"] == []


@pytest.mark.e2e
def test_no_account_policy_without_vpc_or_keys(moto_reset):
    ctx = resolve_aws(None)
    assert account_statements(ctx, _Spec()) == []
    resolve_role(ctx, "plain", extra=[])
    names = boto3.client("iam").list_role_policies(RoleName="plain")["PolicyNames"]
    assert ACCOUNT_POLICY_NAME not in names


# -- the local engine ------------------------------------------------------------------------

NETWORK_SCRIPT = """
import json, os, socket
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    try:
        with socket.create_connection(("127.0.0.1", int(os.environ["PROBE_PORT"])), timeout=5):
            reached = True
    except OSError:
        reached = False
    with open(os.path.join(args.output, "network.json"), "w") as f:
        json.dump({"reached": reached, "isolation": args.sagemaker_network_isolation}, f)

if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"output": "out"})
"""


@pytest.fixture()
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def _unshare_works() -> bool:
    from aws_sagemaker_remote.backends.local.isolation import netns

    return netns.available()


@pytest.mark.e2e
@pytest.mark.skipif(not _unshare_works(), reason="no unprivileged network namespaces here")
def test_network_isolation_is_honoured_by_the_local_engine(tmp_path, listener):
    script = tmp_path / "net.py"
    script.write_text(NETWORK_SCRIPT)
    results = {}
    for isolation in ("no", "yes"):
        out = tmp_path / f"out-{isolation}"
        done = run_script(
            script,
            *LOCAL,
            "--sagemaker-network-isolation",
            isolation,
            "--sagemaker-env",
            f"PROBE_PORT={listener}",
            "--output",
            out,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        results[isolation] = json.loads((out / "network.json").read_text())
    assert results["no"] == {"reached": True, "isolation": False}
    assert results["yes"] == {"reached": False, "isolation": True}


@pytest.mark.e2e
def test_vpc_kms_and_experiments_are_recorded_and_said_so(tmp_path):
    script = tmp_path / "net.py"
    script.write_text(NETWORK_SCRIPT)
    described = tmp_path / "described.json"
    done = run_script(
        script,
        *LOCAL,
        "--sagemaker-subnets",
        "subnet-1",
        "--sagemaker-security-groups",
        "sg-1",
        "--sagemaker-volume-kms-key",
        KEY_ARN,
        "--sagemaker-output-kms-key",
        "alias/out",
        "--sagemaker-experiment",
        "exp",
        "--sagemaker-env",
        "PROBE_PORT=1",
        "--sagemaker-output-json",
        described,
        "--output",
        tmp_path / "out",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "local engine: VpcConfig recorded, not applied" in done.stderr
    assert "local engine: KMS keys recorded" in done.stderr
    assert "local engine: ExperimentConfig recorded" in done.stderr
    description = json.loads(described.read_text())
    assert description["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-1"]
    assert description["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY_ARN
    assert description["ProcessingOutputConfig"]["KmsKeyId"] == "alias/out"
    assert description["ExperimentConfig"] == {"ExperimentName": "exp"}


def _put(key: str, data: bytes) -> None:
    path = local_store_path(f"{STORE}/{key}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_manifest_entries_are_appended_to_the_prefix_as_sagemaker_does(tmp_path):
    """ "SageMaker appends the suffix elements to the prefix" (S3DataSource.S3Uri): a prefix
    that does not end in "/" gets no "/" added; each object lands at LocalPath/<entry>."""
    prefix = f"manifest-{os.getpid()}-{id(tmp_path)}"
    _put(f"{prefix}/data/part-1.csv", b"one")
    _put(f"{prefix}/data/part-2/x.csv", b"two")
    manifest = [{"prefix": f"{STORE}/{prefix}/data/part-"}, "1.csv", "2/x.csv"]
    _put(f"{prefix}/m.json", json.dumps(manifest).encode())
    s3_input = {
        "S3Uri": f"{STORE}/{prefix}/m.json",
        "LocalPath": "/opt/ml/processing/m",
        "S3DataType": "ManifestFile",
    }
    locations = Locations()
    locations.fetch_all(plan_input(locations, s3_input, [tmp_path]), lambda: False)
    assert (tmp_path / "processing/m/1.csv").read_bytes() == b"one"
    assert (tmp_path / "processing/m/2/x.csv").read_bytes() == b"two"


MANIFEST_SCRIPT = """
import json, os
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    found = {}
    for root, _, files in os.walk(args.input):
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, args.input)] = open(path).read()
    with open(os.path.join(args.output, "found.json"), "w") as f:
        json.dump({"found": found, "data_type": args.input_data_type}, f, sort_keys=True)

if __name__ == "__main__":
    sagemaker_processing_main(main=main, inputs={"input": "m.json"}, outputs={"output": "out"})
"""


@pytest.mark.e2e
def test_a_local_manifest_file_is_materialised_by_the_local_engine(tmp_path):
    prefix = f"manifest-e2e-{os.getpid()}-{id(tmp_path)}"
    _put(f"{prefix}/objects/a/1.txt", b"1")
    _put(f"{prefix}/objects/b.txt", b"b")
    _put(f"{prefix}/objects/not-listed.txt", b"no")
    manifest = [{"prefix": f"{STORE}/{prefix}/objects/"}, "a/1.txt", "b.txt"]
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    (tmp_path / "job.py").write_text(MANIFEST_SCRIPT)
    done = run_script(
        tmp_path / "job.py", *LOCAL, "--input-data-type", "ManifestFile", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "found.json").read_text())
    assert result == {"found": {"a/1.txt": "1", "b.txt": "b"}, "data_type": "ManifestFile"}


@pytest.mark.e2e
def test_the_python_api_takes_the_same_fields_as_keywords(project, no_aws_env, monkeypatch):
    """The settings table gives the API what the flags give: a list of subnets, the
    booleans, the keys, the experiment, a ManifestFile input; warnings are events."""
    import aws_sagemaker_remote as asr
    from aws_sagemaker_remote.args import PathArgument

    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in no_aws_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    events = []
    request = asr.request(
        str(project / "job.py"),
        inputs={"input": PathArgument("s3://data-bucket/m.json", data_type="ManifestFile")},
        outputs={"output": str(project / "out")},
        subnets=["subnet-0a1b", "subnet-2c3d"],
        security_groups=["sg-0123"],
        network_isolation=True,
        output_kms_key="alias/outputs",
        experiment="churn",
        experiment_run="run-7",
        on_event=events.append,
    )
    assert find_violations(request) == []
    assert request["NetworkConfig"] == {
        "VpcConfig": {"SecurityGroupIds": ["sg-0123"], "Subnets": ["subnet-0a1b", "subnet-2c3d"]},
        "EnableNetworkIsolation": True,
    }
    assert request["ProcessingOutputConfig"]["KmsKeyId"] == "alias/outputs"
    assert request["ExperimentConfig"] == {"ExperimentName": "churn", "RunName": "run-7"}
    data = next(i for i in request["ProcessingInputs"] if i["InputName"] == "input")
    assert data["S3Input"]["S3DataType"] == "ManifestFile"
    assert all(event.kind in ("info", "warning", "note") for event in events)
    with pytest.raises(UserError) as raised:
        asr.request(str(project / "job.py"), subnets=["subnet-0a1b"])
    assert raised.value.field == "subnets"
    assert "security_groups" in raised.value.one_line(lambda field: field)
