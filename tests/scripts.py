"""Small processing scripts written by the tests, so each test states exactly what it runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

ECHO_MAIN = """
import json, os, sys
from aws_sagemaker_remote.processing import sagemaker_processing_main
from aws_sagemaker_remote.args import PathArgument, OPTIONAL


def main(args):
    seen = {k: v for k, v in vars(args).items() if not k.startswith("sagemaker_")}
    seen["ENV_LABEL"] = os.environ.get("ENV_LABEL")
    print(json.dumps(seen, sort_keys=True))
    if getattr(args, "output", None):
        with open(os.path.join(args.output, "seen.json"), "w") as f:
            json.dump(seen, f, sort_keys=True)
    if os.environ.get("FAIL_MAIN"):
        raise RuntimeError("main failed on purpose")


if __name__ == "__main__":
    sagemaker_processing_main(
        main=main,
        {kwargs}
    )
"""


def write_script(directory: Path, kwargs: str, name: str = "job.py") -> Path:
    """A script whose main prints (and writes to --output) the arguments it received."""
    path = directory / name
    path.write_text(ECHO_MAIN.replace("{kwargs}", textwrap.dedent(kwargs).strip()))
    return path
