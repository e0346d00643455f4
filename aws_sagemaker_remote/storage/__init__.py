"""Where bytes live: content-addressed trees, staging, downloads, S3 and the local store."""
