"""What a processing container would see, reproduced on this machine without I/O.

The runner (:mod:`.runner`) needs the container's command, either as a process here (in
namespaces, or with paths under ``/opt/ml`` mapped into the job's directory) or as
``docker run``, and the
``/opt/ml/config/processingjobconfig.json`` SageMaker writes. Each is a pure function of
the request, kept apart from the runner so it can be checked without starting anything.
"""

from __future__ import annotations

from pathlib import Path

from ....script.layout import OPT_ML
from ..caches.pythons import is_interpreter
from ..opt_ml import BOOTSTRAP_SUFFIX
from ..store import job_arn

DEFAULT_MAX_RUNTIME = 86400  # SageMaker's default MaxRuntimeInSeconds for processing


def map_item(item: str, opt_ml: Path) -> str:
    """``/opt/ml/...`` (alone or as ``--flag=/opt/ml/...``) onto the job's own directory."""
    if item.startswith("-") and "=" in item:
        flag, value = item.split("=", 1)
        return flag + "=" + map_item(value, opt_ml)
    if item == OPT_ML or item.startswith(OPT_ML + "/"):
        return str(opt_ml) + item[len(OPT_ML) :]
    return item


def local_command(
    entrypoint: list[str], arguments: list[str], opt_ml: Path | None, python: str
) -> list[str]:
    """The container's command as a process here: an interpreter entrypoint is ``python``
    (the job's environment), and with ``opt_ml`` (no namespaces) ``/opt/ml`` is mapped.

    Our bootstrap as the entrypoint starts with ``-S``: it needs the standard library
    only, and site (the environment's .pth files) would cost every job a start-up of its
    own; it execs the script with the same interpreter, without ``-S``."""
    command = [*entrypoint, *arguments]
    if opt_ml is not None:
        command = [map_item(item, opt_ml) for item in command]
    if entrypoint and is_interpreter(entrypoint[0]):
        command[0] = python
        if len(entrypoint) > 1 and entrypoint[1].endswith(BOOTSTRAP_SUFFIX):
            command.insert(1, "-S")
    return command


def docker_command(
    request: dict, host: str, opt_ml: Path, environment: dict[str, str]
) -> list[str]:
    app = request["AppSpecification"]
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    command = ["docker", "run", "--rm", "--name", f"{request['ProcessingJobName']}-{host}"]
    command += ["--hostname", host, "-v", f"{opt_ml}:{OPT_ML}"]
    for key, value in environment.items():
        command += ["-e", f"{key}={value}"]
    if entrypoint:
        command += ["--entrypoint", entrypoint[0]]
    command.append(app["ImageUri"])
    return command + entrypoint[1:] + list(app.get("ContainerArguments") or [])


def processing_job_config(request: dict) -> dict:
    """/opt/ml/config/processingjobconfig.json, as in "How to Build Your Own Processing
    Container": the request with its optional members spelled out."""
    app = request["AppSpecification"]
    inputs = []
    for item in request.get("ProcessingInputs") or []:
        item = dict(item)
        if "S3Input" in item:
            item["S3Input"] = {
                "S3DataDistributionType": "FullyReplicated",
                "S3InputMode": "File",
                "S3CompressionType": "None",
                "S3DownloadMode": "StartOfJob",
                **item["S3Input"],
            }
        inputs.append(item)
    output_config = request.get("ProcessingOutputConfig") or {"Outputs": []}
    cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    stopping = request.get("StoppingCondition") or {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}
    return {
        "ProcessingJobArn": job_arn(request["ProcessingJobName"]),
        "ProcessingJobName": request["ProcessingJobName"],
        "AppSpecification": {
            "ImageUri": app.get("ImageUri"),
            "ContainerEntrypoint": app.get("ContainerEntrypoint"),
            "ContainerArguments": app.get("ContainerArguments"),
        },
        "Environment": request.get("Environment") or {},
        "NetworkConfig": {
            "EnableInterContainerTrafficEncryption": False,
            "EnableNetworkIsolation": False,
            "VpcConfig": None,
            **(request.get("NetworkConfig") or {}),
        },
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"KmsKeyId": None, **output_config},
        "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": None, **cluster}},
        "RoleArn": request.get("RoleArn"),
        "StoppingCondition": stopping,
    }
