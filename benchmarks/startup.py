"""Whole-process time of a trivial local run: library script vs the same script on bare argparse.

    python benchmarks/startup.py [--runs 40]

Both scripts take an input and an output path and do nothing else; they run alternately in
fresh interpreters, and the medians are compared. Also reports whether boto3/botocore were
imported (they must not be on a local run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

LIBRARY = """
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    pass

if __name__ == "__main__":
    sagemaker_processing_main(script=__file__, main=main,
                              inputs={"input": "."}, outputs={"output": "out"})
"""

BARE = """
import argparse

def main(args):
    pass

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", default=".")
    parser.add_argument("--output", default="out")
    main(parser.parse_args())
"""


# An installed package has its bytecode compiled; measure that, not a recompile per run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_once(script: str, cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, script], cwd=cwd, check=True, env=ENV)
    return time.perf_counter() - start


def heavy_imports(script: str, cwd: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted(names & {"boto3", "botocore", "s3transfer", "sqlite3"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    options = parser.parse_args()
    import aws_sagemaker_remote

    package = os.path.dirname(aws_sagemaker_remote.__file__)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, env=ENV)
    with tempfile.TemporaryDirectory() as cwd:
        scripts = {}
        for name, text in (("library", LIBRARY), ("argparse", BARE)):
            scripts[name] = os.path.join(cwd, f"{name}_job.py")
            with open(scripts[name], "w") as f:
                f.write(text)
        for script in scripts.values():  # warm the file cache and bytecode
            time_once(script, cwd)
        times: dict[str, list[float]] = {name: [] for name in scripts}
        for _ in range(options.runs):
            for name, script in scripts.items():
                times[name].append(time_once(script, cwd))
        heavy = heavy_imports(scripts["library"], cwd)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:9s} median {value * 1000:6.1f} ms over {options.runs} runs")
    print(f"ratio library/argparse: {medians['library'] / medians['argparse']:.2f}x")
    print(f"boto3/botocore imported on a local run: {', '.join(heavy) if heavy else 'no'}")


if __name__ == "__main__":
    main()
