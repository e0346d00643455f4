"""What the local engine refuses, found before anything is recorded or started.

SageMaker rejects a bad request at CreateProcessingJob; the local engine must do the same
before it writes the job store, so a refused job leaves no trace and the caller can check
a request (``LocalBackend.check_request``) before staging a byte. The checks are about
the request alone, plus the two facts of this machine it depends on: whether Docker
answers and whether the job name is taken.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from ....errors import UserError
from ....uris import parse_s3_uri
from ..isolation import netns
from ..store import JobStore, job_arn

_PROCESSING_ROOT = "/opt/ml/processing/"


def check_request(request: dict[str, Any], *, docker: bool, store: JobStore) -> list[str]:
    """UserError for what this engine cannot run; nothing is recorded or started. Returns
    one note per field the engine records (in the job's description) but cannot apply."""
    name = request.get("ProcessingJobName")
    if not name or "/" in name:
        raise UserError(f"invalid job name {name!r}", field="job_name")
    app = request.get("AppSpecification") or {}
    if not docker and not app.get("ContainerEntrypoint"):
        raise UserError(
            "without Docker the local engine runs AppSpecification.ContainerEntrypoint, "
            "and the request has none",
            field="docker",
            fix="give the job an entrypoint, or run it in Docker with {{docker}}",
        )
    if docker and not docker_available():
        raise UserError(
            "Docker was asked for but no Docker engine answers",
            field="docker",
            fix="start Docker or drop {{docker}}",
        )
    if store.get(name) is not None:
        raise duplicate(name)
    cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    count = cluster.get("InstanceCount", 1)
    if not isinstance(count, int) or count < 1:
        raise UserError(f"InstanceCount must be at least 1, not {count!r}")
    for item in request.get("ProcessingInputs") or []:
        what = f"input {item.get('InputName')!r}"
        if item.get("AppManaged"):
            raise UserError(
                f"{what} is AppManaged, which the local engine does not support",
                fix="give it an S3Input, or run the job on SageMaker",
            )
        if "DatasetDefinition" in item:
            raise UserError(
                f"{what} is a DatasetDefinition (Athena/Redshift), which the local engine "
                "does not support",
                fix="export the data to S3 and pass it as an S3 input, or run the job on SageMaker",
            )
        s3 = item.get("S3Input")
        if not s3:
            raise UserError(f"{what} has no S3Input")
        if s3.get("S3InputMode", "File") != "File":
            raise UserError(
                f"{what} asks for {s3.get('S3InputMode')} mode; the local engine supports "
                "File mode only",
                field=f"inputs.{item.get('InputName')}.mode",
                fix="use File mode, or run the job on SageMaker",
            )
        _container_path(s3.get("LocalPath"), what)
        _s3_uri(s3.get("S3Uri"), what)
    for item in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        what = f"output {item.get('OutputName')!r}"
        if item.get("AppManaged") or "FeatureStoreOutput" in item or "S3Output" not in item:
            raise UserError(
                f"{what} is not an S3 output, the only kind the local engine supports",
                fix="give it an S3Output, or run the job on SageMaker",
            )
        s3 = item["S3Output"]
        if s3.get("S3UploadMode") not in ("EndOfJob", "Continuous"):
            raise UserError(f"{what} has S3UploadMode {s3.get('S3UploadMode')!r}")
        _container_path(s3.get("LocalPath"), what)
        _s3_uri(s3.get("S3Uri"), what)
    return account_notes(request, docker=docker)


def account_notes(request: dict[str, Any], *, docker: bool) -> list[str]:
    """What a company account's fields mean here: network isolation is honoured (a network
    namespace, or Docker's ``--network none``) or refused; the rest is recorded and said so.

    A VPC is recorded rather than refused: the job then reaches what this machine reaches,
    which can only be more than its subnets would allow, so a job that works in its VPC
    works here too, and refusing would take away the local engine from every VPC account.
    """
    network = request.get("NetworkConfig") or {}
    if network.get("EnableNetworkIsolation") and not (docker or netns.available()):
        raise UserError(
            "the local engine isolates a job's network with a Linux network namespace "
            "(unshare --user --net), which this machine cannot create",
            field="network_isolation",
            fix="run it on SageMaker, with --sagemaker-docker, or without network isolation",
        )
    notes = []
    if network.get("VpcConfig"):
        notes.append(
            "local engine: VpcConfig recorded, not applied; the job uses this machine's network"
        )
    if network.get("EnableInterContainerTrafficEncryption"):
        notes.append(
            "local engine: inter-container encryption recorded; its instances are processes "
            "of this machine and exchange no network traffic"
        )
    cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    keys = [
        key
        for key in (
            cluster.get("VolumeKmsKeyId"),
            (request.get("ProcessingOutputConfig") or {}).get("KmsKeyId"),
        )
        if key
    ]
    if keys:
        notes.append(
            "local engine: KMS keys recorded in the job's description; local files are not "
            "encrypted with them, outputs on S3 get their bucket's default encryption"
        )
    if request.get("ExperimentConfig"):
        notes.append("local engine: ExperimentConfig recorded; no trial component is created")
    return notes


def duplicate(name: str) -> UserError:
    """The error for a job name already in the job store."""
    return UserError(
        f"a local job named {name} already exists ({job_arn(name)})",
        field="job_name",
        fix="choose another name, or leave the flag out to get a fresh one",
    )


def docker_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        answer = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.returncode == 0


def _container_path(path: Any, what: str) -> None:
    if not isinstance(path, str) or not path.startswith(_PROCESSING_ROOT):
        raise UserError(
            f"{what} has LocalPath {path!r}; SageMaker requires a path under {_PROCESSING_ROOT}",
            fix=f"use a container path under {_PROCESSING_ROOT}",
        )
    if ".." in path.split("/"):
        raise UserError(f"{what} has LocalPath {path!r}, which leaves {_PROCESSING_ROOT}")


def _s3_uri(uri: Any, what: str) -> None:
    try:
        parse_s3_uri(uri if isinstance(uri, str) else "")
    except ValueError as error:
        raise UserError(f"{what} has S3Uri {uri!r}: {error}", fix="use s3://bucket/key") from None
