"""Checked values of a job spec: paths that exist or can be written, S3 URIs, KEY=VALUE
pairs, tags, names without blanks. Each raises a UserError naming the field it checks.

Pure but for looking at the file system (a path exists, a directory is writable).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import UserError
from ..script import layout
from ..storage.localstore import LOCAL_STORE_BUCKET
from ..uris import checked_s3_uri


def key_values(
    items: Sequence[tuple[str, str | None]], field: str, kind: str
) -> tuple[tuple[str, str], ...]:
    """(key, value) pairs, the last of a key winning; a value of None was no KEY=VALUE."""
    pairs: dict[str, str] = {}
    for key, value in items or ():
        if value is None or not key:
            shown = key if value is None else f"{key}={value}"
            raise UserError(
                f"{shown!r} is not KEY=VALUE", field=field, fix=f"write {kind} as KEY=VALUE"
            )
        pairs[key] = value
    return tuple(pairs.items())


def s3_uri(uri: str, field: str) -> str:
    """``uri``, once it is known to be a well-formed s3:// URI."""
    checked_s3_uri(uri, field)
    return uri


def where_relative(path: str) -> str:
    """`` (relative to /cwd)`` for a relative path, so the message says where it looked."""
    return "" if os.path.isabs(path) else f" (relative to {os.getcwd()})"


def existing_path(path: str | None, field: str, *, what: str = "file") -> str | None:
    """The absolute path of an existing ``what``: "file", "file or directory", or "module"
    (a directory or a .py file)."""
    if not path:
        return None
    if not os.path.exists(path):
        raise UserError(
            f"{path} does not exist{where_relative(path)}",
            field=field,
            fix=f"pass an existing {'directory or .py file' if what == 'module' else what}",
        )
    if what == "module" and not (os.path.isdir(path) or path.endswith(".py")):
        raise UserError(
            f"{path} is neither a directory nor a .py file",
            field=field,
            fix="pass the module's package directory or its .py file",
        )
    if what == "file" and os.path.isdir(path):
        raise UserError(f"{path} is a directory", field=field, fix="pass a file")
    if not (os.path.isdir(path) or os.path.isfile(path)):  # a fifo would never end reading
        raise UserError(
            f"{path} is not a regular file or directory (a fifo, socket or device)",
            field=field,
            fix=f"pass a {'directory or .py file' if what == 'module' else what}",
        )
    return os.path.abspath(path)


def writable_dir(path: str, field: str) -> str:
    """A directory we can create or write into later; checked now, before anything is sent."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(
            f"{path} exists and is not a directory",
            field=field,
            fix="pass a directory, or a path that does not exist yet",
        )
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot write under {parent}",
            field=field,
            fix="pass a path in a directory you can write to",
        )
    return path


def writable_file(path: str | None, field: str) -> str | None:
    """An absolute path of a file we can write later (e.g. the job's description)."""
    if not path:
        return None
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if os.path.isdir(path) or not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise UserError(
            f"cannot write the file {path}",
            field=field,
            fix="pass a file path in an existing directory you can write to",
        )
    return path


def no_blanks(value: str | None, field: str, what: str) -> str | None:
    if value is not None and (not value.strip() or any(c.isspace() for c in value)):
        raise UserError(f"{value!r} is not {what}", field=field, fix=f"pass {what}")
    return value


def checked_tags(items: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    tags = key_values(items, "tags", "tags")
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise UserError(
                f"tag key {key!r} uses the reserved prefix aws:",
                field="tags",
                fix="choose a key without the aws: prefix",
            )
    return tags


def staging_prefix(prefix: str | None) -> str | None:
    if not prefix:
        return None
    prefix = s3_uri(prefix.rstrip("/"), "s3_prefix")
    if prefix.startswith(f"s3://{LOCAL_STORE_BUCKET}"):
        raise UserError(
            "names the local store's reserved bucket",
            field="s3_prefix",
            fix="leave it out to use the local store",
        )
    return prefix


def instance_type(value: str) -> str:
    """``value`` once it is ``local`` or a processing instance type of botocore's model.

    Checked before any credentials are looked for: a typo (``lcoal``) is the user's
    mistake, and blaming the missing credentials it led to would send them the wrong way."""
    from ..settings import LOCAL_INSTANCE
    from ..wording import did_you_mean
    from .service_model import input_shape

    if value == LOCAL_INSTANCE:
        return value
    shape = input_shape("sagemaker", "CreateProcessingJob")
    resources = shape.members["ProcessingResources"] if shape else None
    enum = resources.members["ClusterConfig"].members["InstanceType"].metadata.get("enum", [])
    if not enum or value in enum:
        return value
    choices = [LOCAL_INSTANCE, *enum]
    hint = (
        f"; did you mean 'ml.{value}'?" if f"ml.{value}" in enum else did_you_mean(value, choices)
    )
    raise UserError(
        f"{value!r} is neither {LOCAL_INSTANCE!r} nor a SageMaker processing instance type{hint}",
        field="instance",
        fix=f"pass {LOCAL_INSTANCE!r} to run on this machine, or a type such as ml.m5.large",
    )


_PROCESSING = layout.PROCESSING_ROOT
_LOCAL_PATH_MAX = 256  # ProcessingLocalPath in the service model


def container_path(path: object, field: str, *, mount: bool = False) -> str:
    """A path inside the container that SageMaker and the local engine both take, without
    its trailing "/": absolute, with no ``.``, ``..`` or empty parts, under
    ``/opt/ml/processing/`` (a ``mount``, under which channels go, may be that directory).
    The one check of container paths, made before anything is staged."""
    fix = f"use an absolute path under {_PROCESSING}/, e.g. {_PROCESSING}/data"
    if not isinstance(path, str) or not path.strip("/"):
        raise UserError(f"{path!r} is not a container path", field=field, fix=fix)
    trimmed = path.rstrip("/")
    if not path.startswith("/"):
        raise UserError(f"{path!r} is relative; a container path is absolute", field=field, fix=fix)
    if any(part in ("", ".", "..") for part in trimmed.split("/")[1:]):
        raise UserError(
            f"{path!r} has an empty, '.' or '..' part", field=field, fix=f"write it plainly; {fix}"
        )
    if not (trimmed.startswith(_PROCESSING + "/") or (mount and trimmed == _PROCESSING)):
        raise UserError(
            f"{path!r} is not under {_PROCESSING}/, where SageMaker puts channels",
            field=field,
            fix=fix,
        )
    if len(trimmed) > _LOCAL_PATH_MAX:
        raise UserError(
            f"is {len(trimmed)} characters; SageMaker takes at most {_LOCAL_PATH_MAX}",
            field=field,
            fix="use a shorter path",
        )
    return trimmed


_ROLE_NAME = r"[\w+=,.@-]{1,64}"  # IAM's rule for a role's name, compiled on use


def role_name_or_arn(role: str | None) -> str | None:
    """A role name IAM takes (1-64 of letters, digits and ``+=,.@_-``), or an ARN whose
    last part is one; the ARN's form is checked against the service model later."""
    import re

    if role is None:
        return None
    name = role.rsplit("/", 1)[-1] if role.startswith("arn:") else role
    if not re.fullmatch(_ROLE_NAME, name):
        raise UserError(
            f"{role!r} is not a role name IAM takes",
            field="role",
            fix="use 1-64 letters, digits and +=,.@_- (or the role's ARN)",
        )
    return role
