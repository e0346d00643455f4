"""Inside a job, the script's sagemaker_* values come from processingjobconfig.json."""

from __future__ import annotations

import argparse
import json

from aws_sagemaker_remote.script import jobconfig, layout


def test_the_config_is_read_where_opt_ml_is_mapped(tmp_path, monkeypatch):
    config = tmp_path / "config" / "processingjobconfig.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"ProcessingJobName": "j"}))
    monkeypatch.setenv(layout.OPT_ML_ENV, str(tmp_path))
    assert jobconfig.job_config_path() == str(config)
    assert jobconfig.read_job_config() == {"ProcessingJobName": "j"}
    config.write_text("[1, 2]")  # not an object: no config
    assert jobconfig.read_job_config() is None


def test_applied_values_reach_only_declared_arguments():
    args = argparse.Namespace(
        sagemaker_job_name=None,
        sagemaker_instance="ml.m5.large",
        sagemaker_instance_count=1,
        data_mode="File",
        out_mode="EndOfJob",
    )
    jobconfig.apply_job_config(
        args,
        {
            "ProcessingJobName": "j-1",
            "ProcessingJobArn": f"arn:aws:sagemaker{jobconfig.LOCAL_ENGINE_REGION}0:job/j-1",
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 2}},
            "ProcessingInputs": [
                {"InputName": "data", "S3Input": {"S3InputMode": "Pipe"}},
                {"InputName": "undeclared", "S3Input": {"S3InputMode": "Pipe"}},
            ],
            "ProcessingOutputConfig": {
                "Outputs": [{"OutputName": "out", "S3Output": {"S3UploadMode": "Continuous"}}]
            },
        },
    )
    assert vars(args) == {
        "sagemaker_job_name": "j-1",
        "sagemaker_instance": "local",
        "sagemaker_instance_count": 2,
        "data_mode": "Pipe",
        "out_mode": "Continuous",
    }
