"""Inside a job: the settings the job really runs with, from SageMaker's own account of it.

The job's arguments carry only the channel paths and ``--sagemaker-run false``; everything
else a script may read (``args.sagemaker_job_name``, ``args.sagemaker_instance``,
``args.input_mode``, ...) would otherwise show the code defaults. SageMaker writes the
job's request to ``/opt/ml/config/processingjobconfig.json`` in every container (the local
engine does too), so the values are read from there: no argument or environment slot of
the request is spent on them, and they are what SageMaker was asked for, not a copy.

The bootstrap marks the environment of the script it runs (:data:`IN_JOB_ENV`), which is
how :func:`in_job` knows. Standard library only: this module ships into the job.
"""

from __future__ import annotations

import argparse
import json
import os

from . import layout

LOCAL_ENGINE_REGION = ":local:"  # in the ARNs of the local engine's jobs


def job_config_path() -> str:
    """Where processingjobconfig.json is (``/opt/ml`` mapped as the bootstrap maps it)."""
    opt_ml = os.environ.get(layout.OPT_ML_ENV)
    path = layout.PROCESSING_JOB_CONFIG
    if opt_ml:
        path = opt_ml.rstrip("/") + path[len(layout.OPT_ML) :]
    return path


def read_job_config() -> dict | None:
    try:
        with open(job_config_path(), encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


def apply_job_config(args: argparse.Namespace, config: dict) -> None:
    """Set the ``sagemaker_*`` values and each channel's settings to what the job uses."""
    cluster = (config.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    network = config.get("NetworkConfig") or {}
    vpc = network.get("VpcConfig") or {}
    experiment = config.get("ExperimentConfig") or {}
    local = LOCAL_ENGINE_REGION in str(config.get("ProcessingJobArn", ""))
    values = {
        "job_name": config.get("ProcessingJobName"),
        "instance": "local" if local else cluster.get("InstanceType"),
        "instance_count": cluster.get("InstanceCount"),
        "volume_size": cluster.get("VolumeSizeInGB"),
        "volume_kms_key": cluster.get("VolumeKmsKeyId"),
        "runtime_seconds": (config.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds"),
        "image": (config.get("AppSpecification") or {}).get("ImageUri"),
        "role": config.get("RoleArn"),
        "output_kms_key": (config.get("ProcessingOutputConfig") or {}).get("KmsKeyId"),
        "subnets": tuple(vpc.get("Subnets") or ()),
        "security_groups": tuple(vpc.get("SecurityGroupIds") or ()),
        "network_isolation": bool(network.get("EnableNetworkIsolation")),
        "inter_container_encryption": bool(network.get("EnableInterContainerTrafficEncryption")),
        "experiment": experiment.get("ExperimentName"),
        "trial": experiment.get("TrialName"),
        "experiment_run": experiment.get("RunName"),
    }
    for name, value in values.items():
        if hasattr(args, "sagemaker_" + name) and value is not None:
            setattr(args, "sagemaker_" + name, value)
    for item in config.get("ProcessingInputs") or []:
        s3 = item.get("S3Input") or {}
        _set(args, item.get("InputName"), "mode", s3.get("S3InputMode"))
        _set(args, item.get("InputName"), "distribution", s3.get("S3DataDistributionType"))
        _set(args, item.get("InputName"), "data_type", s3.get("S3DataType"))
    for item in (config.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        _set(args, item.get("OutputName"), "mode", (item.get("S3Output") or {}).get("S3UploadMode"))


def _set(args: argparse.Namespace, name: str | None, attribute: str, value: str | None) -> None:
    """Only for a channel the script declared (``args.<name>_<attribute>`` exists)."""
    dest = f"{name}_{attribute}"
    if name and value is not None and hasattr(args, dest):
        setattr(args, dest, value)
