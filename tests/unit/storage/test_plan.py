"""The staging plan trusts an object by its content: ETag = MD5, or the ETag of our own put."""

from __future__ import annotations

from aws_sagemaker_remote.storage.plan import holds, plan_staging, tree_prefix
from aws_sagemaker_remote.storage.trees import FileEntry, make_tree

SHA_A, SHA_B = "a" * 64, "b" * 64
MD5_A, MD5_B = "1" * 32, "2" * 32


def entry(rel: str, sha: str, md5: str, size: int = 10) -> FileEntry:
    return FileEntry(rel, f"/src/{rel}", size, sha, md5)


def test_an_object_holds_the_file_by_md5_by_our_own_etag_or_where_the_store_vouches():
    a = entry("a", SHA_A, MD5_A)
    assert holds(a, MD5_A, None)
    assert holds(a, "abc-3", (SHA_A, "abc-3"))  # a multipart upload of ours
    assert holds(a, None, None)  # the local store lists no ETags
    assert not holds(a, MD5_B, None)  # other bytes of the same size
    assert not holds(a, "abc-3", (SHA_B, "abc-3"))  # our ETag, but of other bytes
    assert not holds(entry("x", SHA_A, ""), "", None)  # an unknown MD5 proves nothing


def test_a_suspect_is_neither_skipped_nor_a_copy_source_until_settled():
    tree = make_tree([entry("a", SHA_A, MD5_A), entry("b", SHA_B, MD5_B)])
    other = make_tree([entry("c", SHA_A, MD5_A), entry("d", SHA_B, MD5_B)])
    prefix = tree_prefix("p/", tree)
    listed = {prefix + "a": 10, prefix + "b": 10}
    etags = {prefix + "a": MD5_A, prefix + "b": "f" * 32}  # b: other bytes, same size
    plan = plan_staging(
        [tree, other], "p/", manifests={tree.digest: True}, listed=listed, known={},
        etags=etags,
    )  # fmt: skip
    assert [e.relpath for e in plan.skipped] == ["a"]
    assert [p.key for p in plan.suspects] == [prefix + "b"]
    sources = {b.sha256: (b.source, b.source_seen) for b in plan.blobs}
    assert sources == {SHA_A: (prefix + "a", True), SHA_B: (None, False)}

    settled = plan_staging(
        [tree, other], "p/", manifests={tree.digest: True}, listed=listed, known={},
        etags=etags, replaced=frozenset({prefix + "b"}),
    )  # fmt: skip
    assert settled.suspects == ()
    puts = {p.key: (p.repair, p.replaced) for b in settled.blobs for p in b.puts}
    assert puts[prefix + "b"] == (True, True)


def test_a_known_source_from_the_blob_index_is_marked_to_be_checked():
    tree = make_tree([entry("a", SHA_A, MD5_A)])
    plan = plan_staging(
        [tree], "p/", manifests={}, listed={}, known={SHA_A: "p/trees/old/a"}, etags={}
    )
    (blob,) = plan.blobs
    assert (blob.source, blob.source_seen) == ("p/trees/old/a", False)
