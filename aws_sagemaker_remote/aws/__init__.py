"""The AWS account around a job: session and region, staging bucket, role, image, git tags."""
