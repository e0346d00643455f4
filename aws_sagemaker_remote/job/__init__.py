"""The job description, pure and without I/O: spec, channels, the request, model checks."""
