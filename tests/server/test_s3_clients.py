"""The S3 face driven by clients no one here wrote: obstore (and this project's own S3
store on top of it), s5cmd and the AWS CLI v1. Bytes are compared exactly.

s5cmd and the AWS CLI are marked ``compat`` (and ``e2e``: subprocesses) and skip, saying
why, when they are not installed (``pip install -e '.[compat]'``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MiB = 1024 * 1024


def make_files(root: Path, count: int, size: int) -> dict[str, bytes]:
    files = {}
    for i in range(count):
        relpath = f"sub{i % 3}/file-{i:04d}.bin" if i % 2 else f"file-{i:04d}.bin"
        data = os.urandom(size + i)
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(data)
        files[relpath] = data
    return files


def tree_bytes(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def client_env(face) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=face.url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    return env


def tool(name: str) -> str:
    """The client's executable, beside this interpreter or on PATH; skip when missing."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[compat]')")
    return found


def run(command: list[str], env: dict, cwd: Path | None = None) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command[:3]} failed: {done.stderr[-2000:]}"
    return done.stdout


# obstore -----------------------------------------------------------------------------------
def test_obstore_puts_gets_lists_copies_and_deletes(s3c, s3_face_server):
    import obstore
    from obstore.store import S3Store

    store = S3Store(
        "data",
        config={
            "endpoint": s3_face_server.url,
            "region": "us-east-1",
            "virtual_hosted_style_request": False,
            "access_key_id": "local",
            "secret_access_key": "local",
        },
        client_options={"allow_http": True},
    )
    small = os.urandom(20_000)
    large = os.urandom(11 * MiB)
    obstore.put(store, "dir/small", small)
    obstore.put(store, "dir/large", large, use_multipart=True, chunk_size=5 * MiB)
    assert bytes(obstore.get(store, "dir/small").bytes()) == small
    assert bytes(obstore.get(store, "dir/large").bytes()) == large
    ranged = obstore.get_range(store, "dir/large", start=MiB, end=3 * MiB)
    assert bytes(ranged) == large[MiB : 3 * MiB]
    listed = sorted((m["path"], m["size"]) for batch in obstore.list(store, "dir") for m in batch)
    assert listed == [("dir/large", len(large)), ("dir/small", len(small))]
    assert obstore.head(store, "dir/small")["e_tag"] == f'"{hashlib.md5(small).hexdigest()}"'
    obstore.copy(store, "dir/small", "dir/copy")
    assert bytes(obstore.get(store, "dir/copy").bytes()) == small
    obstore.delete(store, ["dir/small", "dir/copy"])
    assert [m["path"] for batch in obstore.list(store, "dir") for m in batch] == ["dir/large"]


def test_this_projects_s3_store_stages_and_fetches_through_the_face(
    s3c, s3_face_server, tmp_path, monkeypatch
):
    from aws_sagemaker_remote.storage.stores import open_store
    from aws_sagemaker_remote.storage.transfer import TransferConfig, run

    for name, value in client_env(s3_face_server).items():
        monkeypatch.setenv(name, value)
    config = TransferConfig(multipart_threshold=6 * MiB, multipart_chunk_size=5 * MiB)
    store, _ = open_store("s3://data/staged/", config=config)
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(os.urandom(5000))
    large.write_bytes(os.urandom(12 * MiB))
    for path in (small, large):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        run(store.put_file(f"staged/{path.name}", str(path), sha256=digest, progress=lambda n: 0))
    assert store.list_sync("staged/") == [("staged/large", 12 * MiB), ("staged/small", 5000)]
    assert run(store.copy("staged/small", "staged/small-copy"))
    for name in ("small", "large", "small-copy"):
        target = tmp_path / f"back-{name}"
        target.touch()
        size = run(store.head(f"staged/{name}"))
        run(store.get_file(f"staged/{name}", str(target), size, lambda n: 0))
        source = small if name == "small-copy" else tmp_path / name
        assert target.read_bytes() == source.read_bytes()


# s5cmd -------------------------------------------------------------------------------------
@pytest.mark.compat
@pytest.mark.e2e
def test_s5cmd_copies_many_files_up_and_down_and_lists_them(s3c, s3_face_server, tmp_path):
    s5cmd = tool("s5cmd")
    env = client_env(s3_face_server)
    up = tmp_path / "up"
    files = make_files(up, 120, 16 * 1024)
    base = [s5cmd, "--endpoint-url", s3_face_server.url, "--no-verify-ssl"]
    run([*base, "cp", f"{up}/*", "s3://data/many/"], env)
    listing = run([*base, "ls", "s3://data/many/*"], env)
    assert len(listing.strip().splitlines()) == len(files)
    down = tmp_path / "down"
    run([*base, "cp", "s3://data/many/*", f"{down}/"], env)
    assert tree_bytes(down) == files
    run([*base, "rm", "s3://data/many/*"], env)
    assert s3c.list_objects_v2(Bucket="data")["KeyCount"] == 0


@pytest.mark.compat
@pytest.mark.e2e
def test_s5cmd_moves_a_large_file_in_parts(s3c, s3_face_server, tmp_path):
    s5cmd = tool("s5cmd")
    env = client_env(s3_face_server)
    source = tmp_path / "large.bin"
    source.write_bytes(os.urandom(23 * MiB))
    base = [s5cmd, "--endpoint-url", s3_face_server.url]
    run([*base, "cp", "--part-size", "5", str(source), "s3://data/large.bin"], env)
    assert s3c.head_object(Bucket="data", Key="large.bin")["ETag"].endswith('-5"')
    back = tmp_path / "back.bin"
    run([*base, "cp", "--part-size", "5", "s3://data/large.bin", str(back)], env)
    assert back.read_bytes() == source.read_bytes()


# the AWS CLI v1 ----------------------------------------------------------------------------
@pytest.mark.compat
@pytest.mark.e2e
def test_aws_cli_cp_sync_ls_rm_and_head_object(s3c, s3_face_server, tmp_path):
    aws = tool("aws")
    env = client_env(s3_face_server)
    env["AWS_CONFIG_FILE"] = str(tmp_path / "aws-config")
    (tmp_path / "aws-config").write_text(
        "[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n"
    )
    up = tmp_path / "up"
    files = make_files(up, 30, 4096)
    (up / "large.bin").write_bytes(os.urandom(12 * MiB))
    files["large.bin"] = (up / "large.bin").read_bytes()
    run([aws, "s3", "sync", str(up), "s3://data/synced/"], env)
    again = run([aws, "s3", "sync", str(up), "s3://data/synced/"], env)
    assert again.strip() == ""  # nothing changed: nothing sent
    listing = run([aws, "s3", "ls", "--recursive", "s3://data/synced/"], env)
    assert len(listing.strip().splitlines()) == len(files)
    run([aws, "s3", "cp", str(up / "file-0000.bin"), "s3://data/one.bin"], env)
    head = run([aws, "s3api", "head-object", "--bucket", "data", "--key", "one.bin"], env)
    assert hashlib.md5(files["file-0000.bin"]).hexdigest() in head
    down = tmp_path / "down"
    run([aws, "s3", "cp", "--recursive", "s3://data/synced/", str(down)], env)
    assert tree_bytes(down) == files
    run([aws, "s3", "rm", "--recursive", "s3://data/synced/"], env)
    run([aws, "s3", "rm", "s3://data/one.bin"], env)
    assert s3c.list_objects_v2(Bucket="data")["KeyCount"] == 0
