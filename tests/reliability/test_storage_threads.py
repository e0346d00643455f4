"""No thread of obstore's runtime ever calls into Python.

A thread that obstore's tokio runtime owns and that calls into Python (to hand an awaitable
its result) can be caught by the interpreter's shutdown: Python 3.11 then ends the thread
with ``pthread_exit`` inside Rust frames, and the whole process aborts (SIGABRT) after a run
that had succeeded. CI saw it twice in one run. So every call into obstore is made from a
Python thread of the store's own pool, which the interpreter joins before it shuts down.
The check: every thread that hands the event loop a result is one Python started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from .conftest import BUCKET, write

MiB = 1024 * 1024

WATCH = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    from aws_sagemaker_remote.storage.downloads import download_prefix
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.transfer import TransferConfig
    from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

    foreign = set()
    original = asyncio.BaseEventLoop.call_soon_threadsafe

    def watched(self, *args, **kwargs):
        if isinstance(threading.current_thread(), threading._DummyThread):
            foreign.add(threading.get_ident())  # a thread Python did not start
        return original(self, *args, **kwargs)

    asyncio.BaseEventLoop.call_soon_threadsafe = watched
    config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunk_size=5 * 2**20)
    tree = scan_tree(sys.argv[1])
    root = sys.argv[2]
    upload_trees([tree], root, progress=False, config=config)
    upload_trees([tree], root, progress=False, config=config)  # the reuse path: HEAD, LIST
    download_prefix(None, tree_uri(root, tree), sys.argv[3], config=config)
    print(json.dumps(sorted(foreign)))
    """
)


def test_no_runtime_thread_hands_python_a_result(bucket, tmp_path):
    data = tmp_path / "data"
    write(data / "small.txt", b"small\n")
    write(data / "big.bin", bytes(range(256)) * (12 * MiB // 256))  # multipart both ways
    done = subprocess.run(
        [sys.executable, "-c", WATCH, str(data), f"s3://{BUCKET}/stage", str(tmp_path / "back")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert (tmp_path / "back" / "big.bin").read_bytes() == (data / "big.bin").read_bytes()
    assert (tmp_path / "back" / "small.txt").read_bytes() == b"small\n"


GIVE_UP = textwrap.dedent(
    """
    import asyncio, sys
    from aws_sagemaker_remote.errors import ServiceError, exit_on_error
    from aws_sagemaker_remote.storage.stores import open_store
    from aws_sagemaker_remote.storage.transfer import TransferConfig

    hour = 3600.0
    config = TransferConfig(read_timeout_s=hour, request_timeout_s=hour, socket_timeout_s=hour)
    store, key = open_store(sys.argv[1], config=config)

    async def give_up():
        try:
            await asyncio.wait_for(store.get_bytes(key), 1)
        except asyncio.TimeoutError:
            pass

    asyncio.run(give_up())  # the GET stays stalled on a thread of the pool
    print("gave up", flush=True)
    exit_on_error(ServiceError("S3 stalled", endpoint="test"))
    """
)


def test_an_error_exit_does_not_wait_for_calls_it_gave_up_on(bucket, tmp_path, proxy):
    bucket.put_object(Bucket=BUCKET, Key="x", Body=b"x")
    proxy.add("stall")
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
    done = subprocess.run(
        [sys.executable, "-c", GIVE_UP, f"s3://{BUCKET}/x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,  # far below the stalled call's hour
    )
    assert done.stdout == "gave up\n"
    assert done.stderr == "aws-sagemaker-remote: error: S3 stalled\n"
    assert done.returncode == 3


ASSUMED = textwrap.dedent(
    """
    import json, sys, threading
    import boto3
    from aws_sagemaker_remote.storage import s3clients
    from aws_sagemaker_remote.storage.downloads import download_prefix
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.transfer import TransferConfig
    from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

    calls = []
    made = s3clients._credentials

    def watched(session):
        found = made(session)
        provider = found.get("provider")
        if provider is not None:
            def call():
                calls.append(type(threading.current_thread()).__name__)
                return provider()
            found["provider"] = call
        return found

    s3clients._credentials = watched
    session = boto3.Session()
    config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunk_size=5 * 2**20)
    tree = scan_tree(sys.argv[1])
    upload_trees([tree], sys.argv[2], session=session, progress=False, config=config)
    download_prefix(session, tree_uri(sys.argv[2], tree), sys.argv[3], config=config)
    print(json.dumps(calls))
    """
)


def test_refreshable_credentials_are_asked_for_on_python_threads(bucket, tmp_path):
    """A role's credentials expire: obstore asks our provider again, on a thread of ours."""
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile base]\naws_access_key_id = base\naws_secret_access_key = base\n"
        "[profile assumed]\nrole_arn = arn:aws:iam::123456789012:role/reader\n"
        "source_profile = base\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ACCESS_KEY")}
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    env.pop("AWS_SESSION_TOKEN", None)
    env.update(AWS_CONFIG_FILE=str(config), AWS_PROFILE="assumed")
    write(tmp_path / "data" / "a.txt", b"assumed\n")
    large = os.urandom(11 * MiB)  # signed ranged GETs sign with the provider's keys too
    write(tmp_path / "data" / "large.bin", large)
    done = subprocess.run(
        [sys.executable, "-c", ASSUMED, str(tmp_path / "data"), f"s3://{BUCKET}/stage",
         str(tmp_path / "back")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    calls = json.loads(done.stdout)
    assert calls and set(calls) == {"Thread"}  # asked, and only ever on a pool thread
    assert (tmp_path / "back" / "a.txt").read_bytes() == b"assumed\n"
    assert (tmp_path / "back" / "large.bin").read_bytes() == large
