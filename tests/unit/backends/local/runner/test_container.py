"""What a processing container would see, as pure functions of the request: its command
as a process here or as ``docker run``, and the processingjobconfig.json SageMaker writes."""

from __future__ import annotations

from aws_sagemaker_remote.backends.local.runner.container import (
    DEFAULT_MAX_RUNTIME,
    docker_command,
    local_command,
    map_item,
    processing_job_config,
)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/python:3.11"


def request(**members) -> dict:
    made = {
        "ProcessingJobName": "dock",
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/job.py"],
            "ContainerArguments": ["/opt/ml/processing/in"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 2,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
            }
        },
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    }
    made.update(members)
    return made


def test_commands_map_opt_ml_and_python(tmp_path):
    opt_ml = tmp_path / "algo-1" / "opt" / "ml"
    python = str(tmp_path / "env" / "bin" / "python")
    entrypoint = ["python3", "/opt/ml/processing/code/job.py"]
    arguments = ["--input=/opt/ml/processing/in", "/opt/ml", "/opt/mlx", "s3://b/opt/ml/x", "plain"]
    # in namespaces /opt/ml is /opt/ml: only the interpreter is the job's own
    assert local_command(entrypoint, arguments, None, python) == [
        python,
        *entrypoint[1:],
        *arguments,
    ]
    command = local_command(entrypoint, arguments, opt_ml, python)
    assert command == [
        python,
        f"{opt_ml}/processing/code/job.py",
        f"--input={opt_ml}/processing/in",
        str(opt_ml),
        "/opt/mlx",
        "s3://b/opt/ml/x",
        "plain",
    ]
    assert local_command(["/bin/sh", "-c", "true"], [], opt_ml, python) == ["/bin/sh", "-c", "true"]
    bootstrap = ["python3", "/opt/ml/processing/code/aws_sagemaker_remote/script/bootstrap.py"]
    assert (
        local_command(bootstrap, ["--script", "x.py"], None, python)
        == [
            python,
            "-S",  # the bootstrap needs no site; the script it execs gets it
            *bootstrap[1:],
            "--script",
            "x.py",
        ]
    )


def test_a_flags_value_is_mapped_but_not_the_flag(tmp_path):
    assert map_item("--opt=/opt/ml/x", tmp_path) == f"--opt={tmp_path}/x"
    assert map_item("--/opt/ml", tmp_path) == "--/opt/ml"


def test_docker_runs_the_image_with_opt_ml_mounted_and_nothing_mapped(tmp_path):
    opt_ml = tmp_path / "algo-2" / "opt" / "ml"
    docker = docker_command(request(), "algo-2", opt_ml, {"A": "1"})
    assert docker[:3] == ["docker", "run", "--rm"]
    assert docker[docker.index("--name") + 1] == "dock-algo-2"
    assert f"{opt_ml}:/opt/ml" == docker[docker.index("-v") + 1]
    assert "python3" == docker[docker.index("--entrypoint") + 1]
    assert "A=1" == docker[docker.index("-e") + 1]
    assert docker[-3:] == [IMAGE, "/opt/ml/processing/code/job.py", "/opt/ml/processing/in"]


def test_without_an_entrypoint_docker_runs_the_images_own():
    app = {"ImageUri": IMAGE, "ContainerArguments": ["go"]}
    docker = docker_command(request(AppSpecification=app), "algo-1", "/x", {})
    assert "--entrypoint" not in docker and docker[-2:] == [IMAGE, "go"]


def test_the_job_config_spells_out_what_sagemaker_fills_in():
    s3 = {"S3Uri": "s3://b/in/", "LocalPath": "/opt/ml/processing/in", "S3DataType": "S3Prefix"}
    config = processing_job_config(
        request(
            ProcessingInputs=[{"InputName": "in", "S3Input": s3}],
            NetworkConfig={"EnableNetworkIsolation": True},
        )
    )
    assert config["ProcessingJobArn"].endswith(":processing-job/dock")
    filled = config["ProcessingInputs"][0]["S3Input"]
    assert filled["S3InputMode"] == "File" and filled["S3DownloadMode"] == "StartOfJob"
    assert filled["S3Uri"] == "s3://b/in/"
    assert config["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert config["NetworkConfig"]["VpcConfig"] is None
    assert config["StoppingCondition"] == {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}
    assert config["ProcessingOutputConfig"] == {"KmsKeyId": None, "Outputs": []}
    assert config["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert config["Environment"] == {}
