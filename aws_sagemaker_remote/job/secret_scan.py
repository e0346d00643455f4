"""Files that must never leave this machine: ``.env`` files and private keys.

Every file shipped as code is judged (the script and what ships with it, a source
directory, modules, the requirements file and the configuration script), by its name and
by its whole content: a key can sit after any amount of other text. A link is judged by
its own name, by the name of the file it leads to (``settings.cfg -> ../.env``) and by
that file's content, which is what would ship.

Reading every byte of the code on every submission would undo what the hash cache saves,
so the content's verdict is remembered in it under the SHA-256 of the very bytes that
were scanned (read once, hashed and scanned together): a warm submission looks verdicts
up by the digests its trees already carry and reads nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable

from ..errors import UserError

_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
# PEM private keys of any kind (RSA, EC, OPENSSH, ENCRYPTED...), PGP private key blocks,
# PuTTY key files. Bounded, so a match never spans more than _OVERLAP bytes.
_SECRET_CONTENT = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----"
    rb"|PuTTY-User-Key-File-[0-9]{1,3}:"
)
_OVERLAP = 128
_CHUNK = 1024 * 1024
# The verdicts' name in the hash cache; a new pattern is a new name, so old verdicts lapse.
CHECKER = "secrets-1"
CLEAN = ""


def name_reason(path: str) -> str | None:
    """Why a file of this name is a secret, whatever it holds; or None."""
    name = os.path.basename(path)
    if name == ".env" or name.startswith(".env."):
        return "a .env file"
    if name in _KEY_NAMES:
        return "a private key"
    if name.lower().endswith(".ppk"):
        return "a PuTTY private key"
    return None


def _content_reason(match: bytes) -> str:
    if match.startswith(b"PuTTY"):
        return "a PuTTY private key"
    if b" PGP " in match:
        return "a PGP private key"
    return "a private key"


def scan_content(path: str) -> tuple[str, str]:
    """(sha256 of the bytes read, the reason they are a secret or CLEAN): one pass over
    the whole file in chunks, the last bytes of each carried into the next."""
    digest = hashlib.sha256()
    verdict: str | None = None
    tail = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            if verdict is None:
                match = _SECRET_CONTENT.search(tail + chunk)
                if match:
                    verdict = _content_reason(match.group(0))
                tail = chunk[-_OVERLAP:]
    return digest.hexdigest(), verdict or CLEAN


class ShippedFile:
    """A file about to ship: the path it is shown as, where its bytes are, their digest."""

    __slots__ = ("shown", "source", "sha256")

    def __init__(self, shown: str, source: str, sha256: str | None = None):
        self.shown, self.source, self.sha256 = shown, source, sha256


def find_secret(files: Iterable[ShippedFile]) -> tuple[str, str] | None:
    """(shown path, reason) of the first file that is a secret, or None."""
    files = list(files)
    for item in files:
        reason = name_reason(item.shown) or name_reason(item.source)
        if reason is None and os.path.islink(item.source):
            reason = name_reason(os.path.realpath(item.source))
        if reason:
            return item.shown, reason
    from ..storage.hashcache import StagingCache

    with StagingCache() as cache:
        known = cache.verdicts(CHECKER, [f.sha256 for f in files if f.sha256])
        learned: list[tuple[str, str]] = []
        try:
            for item in files:
                verdict = known.get(item.sha256 or "")
                if verdict is None:
                    try:
                        sha256, verdict = scan_content(item.source)
                    except OSError:
                        continue  # unreadable: staging says so, naming the file
                    learned.append((sha256, verdict))
                if verdict:
                    return item.shown, verdict
        finally:
            cache.store_verdicts(CHECKER, learned)
    return None


def refuse_secrets(files: Iterable[ShippedFile], field: str) -> None:
    """UserError naming the first of ``files`` that looks like a secret."""
    found = find_secret(files)
    if found:
        shown, reason = found
        raise UserError(
            f"{shown} is {reason}; it would ship with the job",
            field=field,
            fix="add it to .gitignore or move it out, or allow it with {{allow_secrets}}",
        )


def tree_files(tree: object) -> list[ShippedFile]:
    """The files of a storage Tree, shown by the path they were found at."""
    return [ShippedFile(e.source, e.source, e.sha256) for e in tree.entries]  # type: ignore[attr-defined]
