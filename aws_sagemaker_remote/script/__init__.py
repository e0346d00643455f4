"""The script-facing side: container paths, the in-job bootstrap, S3 channels of a local run.

Everything here stays light (standard library only): part of it ships into the container.
"""
