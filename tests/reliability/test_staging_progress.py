"""Hashing what is to be staged is a step of its own, seconds long for gigabytes: it is
reported like the transfers, so no long step of a submission is silent."""

from __future__ import annotations

import io
import os

import pytest

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.cli.progress import ProgressPrinter
from aws_sagemaker_remote.storage.hashcache import hashing_reported
from aws_sagemaker_remote.storage.transfer import TransferProgress
from aws_sagemaker_remote.storage.trees import scan_tree


def test_hashing_a_tree_reports_its_progress(tmp_path):
    for i in range(3):
        (tmp_path / f"f{i}.bin").write_bytes(os.urandom(2 * 1024 * 1024 + i))
    heard: list[TransferProgress] = []
    with hashing_reported(heard.append):
        tree = scan_tree(tmp_path)
    assert heard and all(p.what == "hashing" for p in heard)
    last = heard[-1]
    assert last.final and (last.files_done, last.files_total) == (3, 3)
    assert last.bytes_done == last.bytes_total == tree.size
    heard.clear()
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.bin").write_bytes(os.urandom(1024))
    scan_tree(tmp_path / "more")  # hashed outside the block: nobody is told
    assert heard == []


def test_a_printer_off_a_terminal_says_hashing_too():
    out = io.StringIO()
    now = [0.0]
    printer = ProgressPrinter(out, tty=False, clock=lambda: now[0])
    now[0] = 12.0
    printer(TransferProgress("hashing", 1, 3, 1024, 3072, 12.0))
    assert out.getvalue() == "hashing: 1/3 files, 1.0 KiB/3.0 KiB (85 B/s)\n"


@pytest.mark.e2e
def test_a_submission_reports_hashing_and_a_download_its_progress(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    script = tmp_path / "job.py"
    script.write_text(
        "import os, shutil\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    shutil.copy(os.path.join(args.input, 'big.bin'), args.output)\n"
        "if __name__ == '__main__':\n"
        "    sagemaker_processing_main(main=main, inputs={'input': 'data'},"
        " outputs={'output': 'out'})\n"
    )
    events = []
    job = asr.submit(
        script,
        instance="local",
        inputs={"input": str(tmp_path / "data")},
        outputs={"output": str(tmp_path / "out")},
        on_event=events.append,
    )
    assert job.wait() == "Completed"
    hashing = [e.data for e in events if e.kind == "progress" and e.data.what == "hashing"]
    assert hashing and hashing[-1].final
    assert hashing[-1].bytes_done >= 3 * 1024 * 1024
    kinds = [e.kind for e in events]
    assert kinds.index("progress") < kinds.index("staged")  # heard before staging ends
    events.clear()
    job.download(str(tmp_path / "fetched"))
    downloading = [e.data for e in events if e.kind == "progress"]
    assert downloading and downloading[-1].what == "downloading" and downloading[-1].final
    assert downloading[-1].bytes_done == 3 * 1024 * 1024
    fetched = (tmp_path / "fetched" / "output" / "big.bin").read_bytes()
    assert fetched == (tmp_path / "data" / "big.bin").read_bytes()
