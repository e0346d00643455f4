"""``serve``: SageMaker, S3, CloudWatch Logs and STS faces over the local engine; the console."""
