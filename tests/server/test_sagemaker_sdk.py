"""The SageMaker Python SDK v2's processors against ``serve``: code no one here wrote."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.compat]
sagemaker = pytest.importorskip(
    "sagemaker", reason="the SageMaker Python SDK is not installed (pip install -e '.[compat]')"
)

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
COPY_SCRIPT = """\
import os, shutil, sys
src, dst = '/opt/ml/processing/input/data', '/opt/ml/processing/output/result'
for name in sorted(os.listdir(src)):
    shutil.copyfile(os.path.join(src, name), os.path.join(dst, name + '.copy'))
print('copied', sorted(os.listdir(src)), 'with', sys.argv[1:], flush=True)
"""
BUCKET = "sagemaker-us-east-1-000000000000"
PAYLOAD = {"one.bin": bytes(range(256)) * 64, "two.txt": b"zwei\n"}


@pytest.fixture()
def sdk_session(serve, monkeypatch):
    """A SageMaker SDK session whose every AWS call goes to ``serve``."""
    for name, value in serve.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    import boto3

    # The SDK asks STS for the account at a hard-coded endpoint (sts.<region>.amazonaws.com,
    # not AWS_ENDPOINT_URL) to name its default bucket: name the bucket instead.
    return sagemaker.Session(
        boto_session=boto3.Session(region_name="us-east-1"), default_bucket=BUCKET
    )


def inputs_and_outputs(tmp_path, bucket: str):
    from sagemaker.processing import ProcessingInput, ProcessingOutput

    data = tmp_path / "data"
    data.mkdir()
    for name, content in PAYLOAD.items():
        (data / name).write_bytes(content)
    inputs = [ProcessingInput(source=str(data), destination="/opt/ml/processing/input/data")]
    outputs = [
        ProcessingOutput(
            source="/opt/ml/processing/output/result", destination=f"s3://{bucket}/result"
        )
    ]
    return inputs, outputs


def check_outputs(serve, bucket: str) -> None:
    s3 = serve.client("s3")
    for name, content in PAYLOAD.items():
        got = s3.get_object(Bucket=bucket, Key=f"result/{name}.copy")["Body"].read()
        assert got == content, name


def test_script_processor_with_a_local_input(serve, sdk_session, tmp_path, job_name, capsys):
    from sagemaker.processing import ScriptProcessor

    script = tmp_path / "copy.py"
    script.write_text(COPY_SCRIPT)
    bucket = sdk_session.default_bucket()
    assert bucket == BUCKET  # created by the SDK through serve's S3
    inputs, outputs = inputs_and_outputs(tmp_path, bucket)
    processor = ScriptProcessor(
        role=ROLE,
        image_uri=IMAGE,
        command=["python3"],
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=sdk_session,
    )
    processor.run(
        code=str(script),
        inputs=inputs,
        outputs=outputs,
        arguments=["--flag", "x"],
        job_name=job_name,
        wait=True,
        logs=True,
    )
    assert processor.jobs[-1].describe()["ProcessingJobStatus"] == "Completed"
    assert "copied ['one.bin', 'two.txt'] with ['--flag', 'x']" in capsys.readouterr().out
    check_outputs(serve, bucket)


def test_framework_processor_with_source_dir_and_requirements(
    serve, sdk_session, tmp_path, job_name, capsys
):
    """Its entrypoint is the SDK's runproc.sh: untar the code, pip install -r, run."""
    from sagemaker.processing import FrameworkProcessor
    from sagemaker.sklearn.estimator import SKLearn

    source = tmp_path / "source"
    (source / "helper").mkdir(parents=True)
    (source / "helper" / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='helper', version='1.0', py_modules=['helper'])\n"
    )
    (source / "helper" / "helper.py").write_text("GREETING = 'installed from requirements'\n")
    (source / "requirements.txt").write_text("./helper\n")
    (source / "main.py").write_text("import helper\nprint(helper.GREETING)\n" + COPY_SCRIPT)
    bucket = sdk_session.default_bucket()
    inputs, outputs = inputs_and_outputs(tmp_path, bucket)
    processor = FrameworkProcessor(
        estimator_cls=SKLearn,
        framework_version="1.2-1",
        image_uri=IMAGE,
        role=ROLE,
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=sdk_session,
    )
    processor.run(
        code="main.py",
        source_dir=str(source),
        inputs=inputs,
        outputs=outputs,
        job_name=job_name,
        wait=True,
        logs=True,
    )
    described = processor.jobs[-1].describe()
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["AppSpecification"]["ContainerEntrypoint"][-1].endswith("runproc.sh")
    printed = capsys.readouterr().out
    assert "installed from requirements" in printed
    check_outputs(serve, bucket)
