"""Trees: content-only digests, channel shapes, and a hash cache that spares re-reading."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time

import pytest

from aws_sagemaker_remote.storage import hashcache
from aws_sagemaker_remote.storage.trees import combine_trees, manifest_uri, scan_tree, tree_uri

HOUR_AGO = time.time() - 3600


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Each test gets its own hash cache."""
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def write(path, data: bytes, mtime: float | None = HOUR_AGO):
    """Write a file; dated in the past by default so the cache may trust it at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def make_dir(root, files: dict[str, bytes]):
    for rel, data in files.items():
        write(root / rel, data)
    return root


FILES = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)) * 40, "sub/deep/c": b""}


def hashed_by(scan):
    """Run scan(); return (its result, files read, cache hits) from the public counters."""
    before = hashcache.stats()
    result = scan()
    after = hashcache.stats()
    return result, after.files_hashed - before.files_hashed, after.cache_hits - before.cache_hits


def test_the_digest_is_sha256_of_one_json_line_per_file(tmp_path):
    """Staged keys are named by it: its form must never change between versions."""
    files = {'dïr/ü "q".txt': b"x", "a.txt": b"alpha\n"}
    tree = scan_tree(make_dir(tmp_path / "t", files))
    alpha, x = hashlib.sha256(b"alpha\n").hexdigest(), hashlib.sha256(b"x").hexdigest()
    lines = [f'["a.txt", 6, "{alpha}"]\n', f'["dïr/ü \\"q\\".txt", 1, "{x}"]\n']
    assert tree.digest == hashlib.sha256("".join(lines).encode()).hexdigest()


def test_digest_depends_on_content_only(tmp_path):
    one = scan_tree(make_dir(tmp_path / "one", FILES))
    two = scan_tree(make_dir(tmp_path / "elsewhere" / "two", FILES))
    assert one.digest == two.digest
    assert [e.relpath for e in one.entries] == ["a.txt", "sub/b.bin", "sub/deep/c"]
    assert [e.size for e in one.entries] == [6, 10240, 0]
    assert one.entries[0].source == str(tmp_path / "one" / "a.txt")
    assert one.entries[1].sha256 == hashlib.sha256(FILES["sub/b.bin"]).hexdigest()

    two_dir = tmp_path / "elsewhere" / "two"
    write(two_dir / "a.txt", b"alpha!\n")
    assert scan_tree(two_dir).digest != one.digest
    write(two_dir / "a.txt", b"alpha\n")
    assert scan_tree(two_dir).digest == one.digest
    (two_dir / "sub" / "deep" / "c").rename(two_dir / "sub" / "deep" / "d")
    assert scan_tree(two_dir).digest != one.digest


def test_unchanged_files_are_not_read_again(tmp_path):
    root = make_dir(tmp_path / "d", {f"f{i:03}": os.urandom(100) for i in range(40)})
    first, read, hits = hashed_by(lambda: scan_tree(root))
    assert (read, hits) == (40, 0)

    again, read, hits = hashed_by(lambda: scan_tree(root))
    assert again == first
    assert (read, hits) == (0, 40)

    later = HOUR_AGO + 60  # touched, not changed: read once more, same digest
    os.utime(root / "f007", (later, later))
    touched, read, hits = hashed_by(lambda: scan_tree(root))
    assert touched.digest == first.digest
    assert (read, hits) == (1, 39)


def test_a_file_written_just_now_is_hashed_again_until_its_mtime_is_safely_past(tmp_path):
    root = tmp_path / "d"
    write(root / "fresh", b"v1", mtime=None)
    _, read, _ = hashed_by(lambda: scan_tree(root))
    assert read == 1
    _, read, _ = hashed_by(lambda: scan_tree(root))
    assert read == 1  # within the racy window: a same-size edit could keep the mtime


def test_a_corrupt_or_locked_cache_never_fails_a_scan(tmp_path, private_state):
    root = make_dir(tmp_path / "d", FILES)
    expected = scan_tree(root).digest
    cache_file = private_state / hashcache.CACHE_FILE
    cache_file.write_bytes(b"this is not a database" * 100)
    assert scan_tree(root).digest == expected
    _, read, hits = hashed_by(lambda: scan_tree(root))
    assert (read, hits) == (0, 3)  # the corrupt file was replaced and refilled

    holder = sqlite3.connect(str(cache_file), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = hashcache.StagingCache(cache_file, timeout=0.05)
        tree, read, _ = hashed_by(lambda: scan_tree(root, cache=locked))
        assert tree.digest == expected and read == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_single_file_channel_is_named_after_the_file(tmp_path):
    path = write(tmp_path / "dir" / "requirements.txt", b"numpy\n")
    tree = scan_tree(path)
    assert [(e.relpath, e.size) for e in tree.entries] == [("requirements.txt", 6)]
    assert [e.relpath for e in scan_tree(path, top="cfg").entries] == ["cfg/requirements.txt"]
    with pytest.raises(FileNotFoundError):
        scan_tree(tmp_path / "missing")


def test_modules_ship_under_top_without_bytecode_following_symlinks_but_not_cycles(tmp_path):
    pkg = make_dir(
        tmp_path / "mypkg",
        {
            "__init__.py": b"",
            "core.py": b"X = 1\n",
            "__pycache__/core.cpython-311.pyc": b"junk",
            "stale.pyc": b"junk",
            "data/table.csv": b"a,b\n",
            "build/out.o": b"obj",
        },
    )
    outside = make_dir(tmp_path / "outside", {"big.bin": b"x" * 100})
    (pkg / "linked_dir").symlink_to(outside, target_is_directory=True)
    (pkg / "linked_file.txt").symlink_to(outside / "big.bin")
    (pkg / "data" / "loop").symlink_to(pkg, target_is_directory=True)  # a cycle: not followed

    tree = scan_tree(
        pkg, top="mypkg", exclude=lambda rel: rel == "build/", follow_external_links=True
    )
    assert [e.relpath for e in tree.entries] == [
        "mypkg/__init__.py",
        "mypkg/core.py",
        "mypkg/data/table.csv",
        "mypkg/linked_dir/big.bin",
        "mypkg/linked_file.txt",
    ]
    assert tree.entries[-1].size == 100


def test_combine_trees_is_the_union_and_refuses_clashes(tmp_path):
    script = write(tmp_path / "code" / "job.py", b"print(1)\n")
    lib = scan_tree(make_dir(tmp_path / "lib", {"__init__.py": b"", "m.py": b"y"}), top="lib")
    bundle = combine_trees(scan_tree(script), lib)
    assert [e.relpath for e in bundle.entries] == ["job.py", "lib/__init__.py", "lib/m.py"]
    write(tmp_path / "both" / "job.py", b"print(1)\n")
    make_dir(tmp_path / "both" / "lib", {"__init__.py": b"", "m.py": b"y"})
    assert bundle.digest == scan_tree(tmp_path / "both").digest
    with pytest.raises(ValueError, match="job.py"):
        combine_trees(bundle, scan_tree(script))


def test_uris(tmp_path):
    tree = scan_tree(write(tmp_path / "f", b"1"))
    assert tree_uri("s3://b/p/", tree) == f"s3://b/p/trees/{tree.digest}/"
    assert manifest_uri("s3://b/p", tree) == f"s3://b/p/manifests/{tree.digest}.json"
