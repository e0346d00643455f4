"""``serve``: the SageMaker, S3, CloudWatch Logs and STS faces over the local engine, and the console."""
