"""``serve``: how soon a job created through the local SageMaker is done, and talks.

    .venv/bin/python benchmarks/serve.py [--runs 7] [--no-sdk]

Starts ``aws-sagemaker-remote serve --port 0`` with a temporary state directory, runs one
job to warm the engine's cached environment, then per round (medians over ``--runs``):

- **create -> Completed**: boto3 ``create_processing_job`` of a trivial job
  (``python3 -c "print(...)"``) until ``DescribeProcessingJob`` answers Completed, polled
  every 10 ms (aim: at most 1 s);
- **create -> first log line**: the same, until the job's line is readable through
  ``DescribeLogStreams`` + ``GetLogEvents`` (aim: at most 1 s);
- beside them, in the same round, the peer: the same ``python3 -c`` run plainly here.

Then, once, the SageMaker SDK's ``ScriptProcessor.run(wait=True, logs=True)`` end to end
(skipped without the SDK): the SDK sleeps between its polls, so this figure measures the
SDK more than the server. S3 figures are ``benchmarks/s3.py``'s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUP = "/aws/sagemaker/ProcessingJobs"
LINE = "bench-first-line"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
POLL_S = 0.01


def start_server(state: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_SAGEMAKER_REMOTE_HOME"] = str(state)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aws_sagemaker_remote", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if "AWS_ENDPOINT_URL=" not in line:
        proc.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return proc, line.rsplit("AWS_ENDPOINT_URL=", 1)[1].strip()


def point_at(url: str) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        SAGEMAKER_SUPPRESS_V2_WARNING="1",
    )


def request(name: str) -> dict:
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": ["python3", "-c", f"print('{LINE}')"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
            }
        },
    }


def until_completed(sagemaker, name: str) -> float:
    started = time.perf_counter()
    sagemaker.create_processing_job(**request(name))
    while True:
        status = sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"]
        if status == "Completed":
            return time.perf_counter() - started
        if status not in ("InProgress", "Completing"):
            raise SystemExit(f"{name} ended {status}")
        time.sleep(POLL_S)


def until_first_line(sagemaker, logs, name: str) -> float:
    started = time.perf_counter()
    sagemaker.create_processing_job(**request(name))
    while True:
        streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{name}/")
        for stream in streams["logStreams"]:
            events = logs.get_log_events(
                logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True
            )["events"]
            if any(e["message"] == LINE for e in events):
                return time.perf_counter() - started
        time.sleep(POLL_S)


def plain_run() -> float:
    started = time.perf_counter()
    subprocess.run(["python3", "-c", f"print('{LINE}')"], check=True, capture_output=True)
    return time.perf_counter() - started


def sdk_run(workdir: Path) -> float | None:
    try:
        import boto3
        import sagemaker
        from sagemaker.processing import ScriptProcessor
    except ImportError:
        return None
    script = workdir / "trivial.py"
    script.write_text(f"print('{LINE}')\n")
    session = sagemaker.Session(
        boto_session=boto3.Session(region_name="us-east-1"),
        default_bucket="sagemaker-us-east-1-000000000000",
    )
    processor = ScriptProcessor(
        role=ROLE,
        image_uri=IMAGE,
        command=["python3"],
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=session,
    )
    started = time.perf_counter()
    processor.run(code=str(script), wait=True, logs=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-sdk", action="store_true", help="skip the SageMaker SDK's run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as temp:
        proc, url = start_server(Path(temp) / "state")
        try:
            point_at(url)
            import boto3

            sagemaker, logs = boto3.client("sagemaker"), boto3.client("logs")
            warm = until_completed(sagemaker, "bench-warm-up")
            print(f"warm-up job (cached environment built): {warm:.3f} s", file=sys.stderr)
            completed, first, plain = [], [], []
            for i in range(args.runs):
                completed.append(until_completed(sagemaker, f"bench-completed-{i}"))
                first.append(until_first_line(sagemaker, logs, f"bench-first-line-{i}"))
                plain.append(plain_run())
            median = statistics.median
            print(f"rounds: {args.runs} (medians; polled every {POLL_S * 1000:.0f} ms)")
            print(f"plain python3 -c: {median(plain) * 1000:.0f} ms")
            for what, times in (
                ("create -> Completed", completed),
                ("create -> first log line", first),
            ):
                ratios = [t / p for t, p in zip(times, plain)]
                print(
                    f"{what}: {median(times) * 1000:.0f} ms "
                    f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; "
                    f"{median(ratios):.1f}x plain python per round; aim <= 1000 ms)"
                )
            if not args.no_sdk:
                took = sdk_run(Path(temp))
                if took is None:
                    print("SDK ScriptProcessor.run(wait=True): skipped (no SageMaker SDK)")
                else:
                    print(f"SDK ScriptProcessor.run(wait=True) end to end: {took:.2f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
