"""Content-addressed staging of trees to a store (S3 or the local store); never the same
bytes twice, never a reused tree unchecked.

Layout under a staging root ``s3://bucket/prefix``::

    trees/<digest>/<relpath>     every file of a tree; a job input references the prefix
    manifests/<digest>.json      written last: present means the whole tree was put in place

Per tree, one HEAD asks for the manifest and one LIST per 1,000 keys shows what is under the
tree's prefix, so a reused tree is verified, not trusted: an object deleted or truncated
since (a lifecycle rule, a manual clean-up) is restored and the summary says so. Objects
are checked by content: the listing's ETags against the files' MD5s (or the ETags S3 gave
this tool's own uploads), and where an ETag says neither (SSE-KMS, a multipart upload made
elsewhere) the SHA-256 checksum S3 keeps with the object; other bytes of the same size are
replaced, and a key from the blob index is checked the same way before it is copied from. Then
:func:`plan.plan_staging` decides per file (skip, copy server side from a key holding the
same sha256, upload) and :class:`StagingRun` carries the plan out through the transfer
engine. Uploads hash what they send and fail a file whose bytes are not its digest.
An interrupted run resumes: what arrived is listed and kept, and no manifest names a tree
that was not complete.

A store that answers at once (the local store) is looked at without an event loop, and a
plan with nothing to move ends there: a warm local-engine run does not import asyncio.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..wording import count, size
from .hashcache import StagingCache
from .plan import BlobPlan, Put, StagingPlan, holds, manifest_key, plan_staging, tree_prefix
from .s3clients import PREFIX_FIELD, NoSuchBucket
from .store import AtOnceStore, ObjectStore, at_once
from .stores import open_store
from .transfer import (
    ProgressCallback,
    TransferConfig,
    TransferProgress,
    Transfers,
    all_or_nothing,
    run,
)
from .trees import Tree

__all__ = ["TransferConfig", "UploadReport", "upload_trees", "manifest_body"]


def manifest_body(tree: Tree) -> bytes:
    """A manifest's bytes, the same for S3 and the local store."""
    return json.dumps(tree.manifest(), indent=1).encode()


class UploadReport(NamedTuple):
    """What staging moved and what it found in place, for the summary line."""

    files_uploaded: int
    bytes_uploaded: int
    files_copied: int  # server-side copies of bytes already in the staging root
    files_skipped: int  # already in place (a complete tree, or resumed from a partial one)
    bytes_skipped: int
    files_restored: int = 0  # of the uploaded and copied: missing from a tree with a manifest
    bytes_resumed: int = 0  # of the uploaded: parts an interrupted run had sent, kept
    files_replaced: int = 0  # of the uploaded: staged objects that held other bytes

    def summary(self) -> str:
        """One line for stderr."""
        text = f"staged {count(self.files_uploaded, 'file')} ({size(self.bytes_uploaded)}) uploaded"
        if self.files_copied:
            text += f", {self.files_copied} copied from earlier uploads"
        text += f", {self.files_skipped} unchanged ({size(self.bytes_skipped)}) skipped"
        if self.files_restored:
            text += f"; {self.files_restored} missing from a staged tree restored"
        if self.bytes_resumed:
            text += f"; {size(self.bytes_resumed)} sent by an interrupted run kept"
        if self.files_replaced:
            replaced = count(self.files_replaced, "staged object")
            text += f"; {replaced} with other bytes of the same size replaced"
        return text


def upload_trees(
    trees: Sequence[Tree],
    staging_root: str,
    *,
    session=None,
    config: TransferConfig | None = None,
    progress: ProgressCallback | None | bool = None,
    while_looking: Callable[[], object] | None = None,
    before_upload: Callable[[], object] | None = None,
    make_bucket: Callable[[], object] | None = None,
) -> UploadReport:
    """Put every tree under ``staging_root`` (``s3://bucket/prefix``), manifests last.

    ``while_looking``: called once (on this thread) as soon as the look at what is there is
    under way: a submission starts its own round trips there, on threads whose CPU would
    otherwise delay the look's requests.
    ``before_upload``: called once what is there has been looked up and before anything is
    sent (on a worker thread); what it raises stops the staging with nothing sent. A
    submission waits there for what it checked meanwhile (the job name, the output
    buckets, the role).
    ``make_bucket``: called after ``before_upload`` only when the look found no bucket
    (then it looks again). A look that lists the bucket has shown it exists, may be used,
    and, on AWS, is in the region its requests are signed for: no HeadBucket is asked.

    ``session``: a boto3.Session for S3 (None: ``boto.default_session``);
    unused for the local store.
    ``progress``: called with :class:`~.transfer.TransferProgress` events (False/None: not).
    A user's mistake (no such bucket, access denied, no credentials) raises UserError; a
    network or server fault raises ServiceError naming the endpoint.
    """
    config = config or TransferConfig()
    root = staging_root.rstrip("/")
    store, key = open_store(root, session=session, config=config, field=PREFIX_FIELD)
    base = f"{key.strip('/')}/" if key.strip("/") else ""
    unique = list({t.digest: t for t in trees}.values())
    callback = progress if callable(progress) else None
    with StagingCache() as cache:
        staging = StagingRun(
            store, root, base, cache, config, callback, while_looking, before_upload, make_bucket
        )
        plan = None
        local = at_once(store)
        if local is not None:
            plan = staging.look_now(local, unique)
            staging.looking()
            if not plan.blobs and not plan.manifests:
                return staging.all_in_place(unique, plan)
        return run(staging.stage(unique, plan))


_LIST_SOURCES_FROM = 8  # copy sources in one staged tree: listed, not asked one HEAD each


def _every_thousandth(prefix: str, tree: Tree) -> list[str]:
    """Where a tree's listing splits into pages listed at once: after every 1,000th key."""
    return sorted(prefix + e.relpath for e in tree.entries)[999::1000]


class StagingRun:
    """One staging: look, plan, then carry the plan out; counts what happened."""

    def __init__(
        self,
        store: ObjectStore,
        root: str,
        base: str,
        cache,
        config,
        progress,
        while_looking=None,
        before_upload=None,
        make_bucket=None,
    ):
        self.store, self.root, self.base, self.cache = store, root, base, cache
        self.config, self.progress = config, progress
        self.while_looking: Callable[[], object] | None = while_looking
        self.before_upload, self.make_bucket = before_upload, make_bucket
        self.counts = {k: [0, 0] for k in ("uploaded", "copied", "skipped", "restored", "replaced")}
        self.learned: list[tuple[str, str]] = []  # (sha256, key) stored by this run
        self.stale: list[str] = []  # sha256s whose indexed key is gone
        self.stored: list[tuple[str, str, str]] = []  # (key, sha256, ETag) put or checked
        self.trusted: dict[str, tuple[str, str]] = {}  # key -> (sha256, ETag) of ours
        self.sources: dict[str, tuple[int, str | None] | None] = {}  # listed copy sources

    def count(self, what: str, put_or_entries) -> None:
        entries = [p.entry if isinstance(p, Put) else p for p in put_or_entries]
        self.counts[what][0] += len(entries)
        self.counts[what][1] += sum(e.size for e in entries)

    async def stage(self, trees: list[Tree], plan: StagingPlan | None = None) -> UploadReport:
        """Look (unless ``plan`` says what was found already), then carry the plan out."""
        import asyncio

        self.transfers = Transfers(self.config, "staging", self.progress)
        self.transfers.expect(sum(len(t.entries) for t in trees), sum(t.size for t in trees))
        try:
            if plan is None:
                look = asyncio.ensure_future(self.look_unless_no_bucket(trees))
                await asyncio.sleep(0)  # the look's first step: its requests go to the pool
                self.looking()
                plan = await look
            if self.before_upload is not None:
                await asyncio.to_thread(self.before_upload)
            if plan is None:  # no bucket: made now, or this says it is not there
                if self.make_bucket is not None:
                    await asyncio.to_thread(self.make_bucket)
                plan = await self.look(trees)
            plan = await self.settle(trees, plan)
            await self.look_at_sources(plan)
            self.count("skipped", plan.skipped)
            self.transfers.finished(len(plan.skipped), sum(e.size for e in plan.skipped))
            await self.carry_out(plan)
        finally:
            self.transfers.close()
        return self.report(self.transfers.bytes_resumed)

    def looking(self) -> None:
        """The look is under way: ``while_looking`` is called, once."""
        started, self.while_looking = self.while_looking, None
        if started is not None:
            started()

    def report(self, bytes_resumed: int = 0) -> UploadReport:
        (fu, bu), (fc, _), (fs, bs), (fr, _), (fx, _) = (
            self.counts[k] for k in ("uploaded", "copied", "skipped", "restored", "replaced")
        )
        return UploadReport(fu, bu, fc, fs, bs, fr, bytes_resumed, fx)

    async def look(self, trees: list[Tree]) -> StagingPlan:
        """One HEAD per manifest and one listing per tree, at once; then the plan."""
        import asyncio

        heads = [self.store.head(manifest_key(self.base, t)) for t in trees]
        prefixes = [(tree_prefix(self.base, t), t) for t in trees]
        lists = [
            self.store.list_tagged(p, split_after=_every_thousandth(p, t)) for p, t in prefixes
        ]
        sizes, found_lists = await asyncio.gather(asyncio.gather(*heads), asyncio.gather(*lists))
        return self.plan(trees, sizes, found_lists)

    async def look_unless_no_bucket(self, trees: list[Tree]) -> StagingPlan | None:
        """:meth:`look`; None when the bucket does not exist (a first run in an account: a
        submission makes it then)."""
        try:
            return await self.look(trees)
        except NoSuchBucket:
            return None

    def look_now(self, store: AtOnceStore, trees: list[Tree]) -> StagingPlan:
        """:meth:`look` for a store that answers at once: the same questions, one by one."""
        sizes = [store.head_sync(manifest_key(self.base, t)) for t in trees]
        found_lists = [
            [(key, size, None) for key, size in store.list_sync(tree_prefix(self.base, t))]
            for t in trees
        ]
        return self.plan(trees, sizes, found_lists)

    def all_in_place(self, trees: list[Tree], plan: StagingPlan) -> UploadReport:
        """The end of a staging whose plan moves nothing: counted and reported as
        :meth:`stage` would, with no event loop started."""
        started = time.monotonic()
        if self.before_upload is not None:
            self.before_upload()
        self.count("skipped", plan.skipped)
        if self.progress is not None:
            files, nbytes = sum(len(t.entries) for t in trees), sum(t.size for t in trees)
            elapsed = time.monotonic() - started
            self.progress(
                TransferProgress("staging", files, files, nbytes, nbytes, elapsed, final=True)
            )
        return self.report()

    def plan(
        self, trees: list[Tree], sizes: list, found_lists: list, replaced=frozenset()
    ) -> StagingPlan:
        """The plan from what was found: manifest sizes (None: missing) and listings of
        (key, size, ETag); ``replaced``: keys found to hold other bytes."""
        self.found = (sizes, found_lists)
        manifests = {t.digest: size is not None for t, size in zip(trees, sizes)}
        listed = {key: size for found in found_lists for key, size, _ in found}
        etags = {key: etag for found in found_lists for key, _, etag in found}
        hashes = [e.sha256 for t in trees for e in t.entries]
        known = self.cache.blob_keys(self.root, hashes)
        tagged = [key for key, etag in etags.items() if etag is not None]
        self.trusted.update(self.cache.object_etags(self.root, [*tagged, *known.values()]))
        plan = plan_staging(
            trees, self.base, manifests=manifests, listed=listed, known=known, etags=etags,
            trusted=self.trusted, replaced=replaced,
        )  # fmt: skip
        new = [(h, k) for h, k in plan.present if h not in known]  # the rest: ignored anyway
        self.cache.add_blobs(self.root, new, replace=False)
        return plan

    async def settle(self, trees: list[Tree], plan: StagingPlan) -> StagingPlan:
        """Objects of the right size whose ETag does not say whose bytes they are: kept when
        the SHA-256 S3 keeps with them is the file's, else replaced (and said so)."""
        import asyncio

        if not plan.suspects:
            return plan
        sums = await asyncio.gather(*(self.store.checksum_sha256(p.key) for p in plan.suspects))
        etags = {key: etag for found in self.found[1] for key, _, etag in found}
        replaced = set()
        for put, found in zip(plan.suspects, sums):
            if found == put.entry.sha256:
                self.trusted[put.key] = (put.entry.sha256, etags[put.key] or "")
                self.stored.append((put.key, put.entry.sha256, etags[put.key] or ""))
            else:
                replaced.add(put.key)
        return self.plan(trees, *self.found, replaced=frozenset(replaced))

    async def carry_out(self, plan: StagingPlan) -> None:
        try:
            await all_or_nothing(self.stage_blob(blob) for blob in plan.blobs)
        finally:  # also after a failure: what did arrive is reusable next time
            self.cache.forget_blobs(self.root, self.stale)
            self.cache.add_blobs(self.root, self.learned)
            self.cache.add_object_etags(self.root, self.stored)
        await all_or_nothing(
            self.transfers.put_bytes(self.store, key, manifest_body(tree))
            for tree, key in plan.manifests
        )

    async def stage_blob(self, blob: BlobPlan) -> None:
        """Every put holds the same bytes: copy from a known key, else upload one first."""
        import asyncio

        source, puts = blob.source, list(blob.puts)
        if source is not None and not blob.source_seen:
            if not await self.holds(source, puts[0].entry):
                self.stale.append(blob.sha256)
                source = None
        if source is not None and not await self.copy(source, puts[0]):
            self.stale.append(blob.sha256)
            source = None
        if source is None:
            await self.upload(puts[0])
            source = puts[0].key
            self.learned.append((blob.sha256, source))
        copied = await asyncio.gather(*(self.copy(source, put) for put in puts[1:]))
        for ok, put in zip(copied, puts[1:]):
            if not ok:
                await self.upload(put)

    async def look_at_sources(self, plan: StagingPlan) -> None:
        """Size and ETag of the copy sources the blob index named (this look did not list
        them): one listing of each staged tree that holds several (a tree with one changed
        file copies all the others from the tree before), a HEAD for the rest (in
        :meth:`holds`)."""
        import asyncio

        trees = f"{self.base}trees/"
        by_tree: dict[str, list[str]] = {}
        for blob in plan.blobs:
            if blob.source is not None and not blob.source_seen:
                digest, _, rest = blob.source[len(trees) :].partition("/")
                if blob.source.startswith(trees) and rest:
                    by_tree.setdefault(f"{trees}{digest}/", []).append(blob.source)
        listed = [prefix for prefix, keys in by_tree.items() if len(keys) >= _LIST_SOURCES_FROM]
        found = await asyncio.gather(*(self.store.list_tagged(p) for p in listed))
        for prefix, items in zip(listed, found):
            self.sources.update((key, None) for key in by_tree[prefix])  # None: not there
            self.sources.update((key, (size, etag)) for key, size, etag in items)

    async def holds(self, key: str, entry) -> bool:
        """Whether the object at ``key`` (a copy source from the blob index, not listed by
        this look) holds the entry's bytes: by its ETag, else the checksum S3 keeps."""
        found = self.sources[key] if key in self.sources else await self.store.head_etag(key)
        if found is None or found[0] != entry.size:
            return False
        if holds(entry, found[1], self.trusted.get(key)):
            return True
        return await self.store.checksum_sha256(key) == entry.sha256

    async def upload(self, put: Put) -> None:
        entry = put.entry
        etag = await self.transfers.upload(
            self.store, put.key, entry.source, entry.size, entry.sha256
        )
        if etag:
            self.stored.append((put.key, entry.sha256, etag))
        self.count("uploaded", [put])
        if put.repair:
            self.count("restored", [put])
        if put.replaced:
            self.count("replaced", [put])

    async def copy(self, source: str, put: Put) -> bool:
        if put.entry.size > self.config.copy_limit:
            return False
        if not await self.transfers.copy(self.store, source, put.key, put.entry.size):
            return False
        self.count("copied", [put])
        if put.repair:
            self.count("restored", [put])
        return True
