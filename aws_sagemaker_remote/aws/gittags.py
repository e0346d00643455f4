"""Tags that tie a job to the code it ran: commit, branch, remote and dirty state.

Two git calls (``status --porcelain=v2 --branch`` and ``config --get-regexp``) give all of
it; none is made where git could find no repository (no ``.git`` in the script's directory
or above it, no bare repository there, no ``GIT_DIR``), which saves starting git for a
script outside any repository. Remote URLs lose any credentials before they become tags,
and every value is cut down to SageMaker's tag charset and lengths.
"""

from __future__ import annotations

import os
import re
import subprocess
from urllib.parse import urlsplit, urlunsplit

PREFIX = "aws-sagemaker-remote:"
COMMIT_TAG = f"{PREFIX}git-commit"
BRANCH_TAG = f"{PREFIX}git-branch"
REMOTE_TAG = f"{PREFIX}git-remote"
DIRTY_TAG = f"{PREFIX}git-dirty"

# SageMaker allows ([\p{L}\p{Z}\p{N}_.:/=+\-@]*); this is its ASCII subset.
_NOT_ALLOWED = r"[^A-Za-z0-9 _.:/=+\-@]"  # compiled on first use: most runs have no tags
_TIMEOUT = 10


def git_tags(script_path: str) -> list[dict[str, str]]:
    """SageMaker Tags recording the git state of the script's repository; [] outside git."""
    directory = os.path.dirname(os.path.abspath(script_path))
    if not may_be_in_repository(directory):
        return []
    status = _git(directory, "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    if status is None:
        return []
    headers = {}
    dirty = False
    for line in status.splitlines():
        if line.startswith("# "):
            name, _, value = line[2:].partition(" ")
            headers[name] = value
        elif line.strip():
            dirty = True
    commit = headers.get("branch.oid", "")
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        return []  # no commit yet
    tags = [(COMMIT_TAG, commit)]
    branch = headers.get("branch.head", "")
    if branch and branch != "(detached)":
        tags.append((BRANCH_TAG, branch))
    remote = _remote_url(directory, headers.get("branch.upstream", ""))
    if remote:
        tags.append((REMOTE_TAG, strip_credentials(remote)))
    tags.append((DIRTY_TAG, "true" if dirty else "false"))
    return [{"Key": clean_tag(key, 128), "Value": clean_tag(value, 256)} for key, value in tags]


def may_be_in_repository(directory: str) -> bool:
    """False only where git's own discovery must fail: neither ``directory`` nor a parent
    (followed both as given and with symlinks resolved) holds ``.git`` or is a bare
    repository, and ``GIT_DIR`` is not set. Discovery limits such as
    ``GIT_CEILING_DIRECTORIES`` can only make git find less, so they are left to git."""
    if os.environ.get("GIT_DIR"):
        return True
    for start in {os.path.abspath(directory), os.path.realpath(directory)}:
        path = start
        while True:
            if os.path.lexists(os.path.join(path, ".git")) or _is_bare_repository(path):
                return True
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return False


def _is_bare_repository(path: str) -> bool:
    return (
        os.path.isfile(os.path.join(path, "HEAD"))
        and os.path.isdir(os.path.join(path, "objects"))
        and os.path.isdir(os.path.join(path, "refs"))
    )


def strip_credentials(url: str) -> str:
    """The remote URL without anything that may be a secret: the password (and, for http,
    the whole user info, which is often a token), ``;parameters``, the query and the
    fragment. Only a URL that starts with ``scheme://`` is read as one; anything else
    (``[user[:password]@]host:path``) is scp-like, even when ``://`` appears later on."""
    if not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", url):
        rest = re.split(r"[?#;]", url)[0]
        head, slash, path = rest.partition("/")
        userinfo, at, host = head.rpartition("@")
        user = userinfo.partition(":")[0]
        return (f"{user}@" if at and user else "") + host + slash + path
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    if not at or parts.scheme.rpartition("+")[2] in ("http", "https"):
        netloc = host
    else:
        netloc = f"{user}@{host}" if user else host
    return urlunsplit((parts.scheme, netloc, parts.path.partition(";")[0], "", ""))


def clean_tag(text: str, limit: int) -> str:
    return re.sub(_NOT_ALLOWED, "_", text)[:limit]


def _remote_url(directory: str, upstream: str) -> str | None:
    output = _git(directory, "config", "--get-regexp", r"^remote\..*\.url$")
    if not output:
        return None
    urls = {}
    for line in output.splitlines():
        key, _, url = line.partition(" ")
        urls[key[len("remote.") : -len(".url")]] = url.strip()
    for name in (upstream.partition("/")[0], "origin"):
        if name in urls:
            return urls[name]
    return next(iter(urls.values()), None)


def _git(directory: str, *args: str) -> str | None:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            ["git", "-C", directory, *args],
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            timeout=_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
