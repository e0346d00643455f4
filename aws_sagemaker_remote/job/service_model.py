"""The part of a botocore service model that request checks read, cached as compact JSON.

Importing botocore's loader and reading the whole sagemaker model cost about 200 ms a
process: most of the fixed overhead of a local-engine run or a dry run. So the shapes
reachable from an operation's input are kept in ``<state dir>/model-cache/<service>-
<operation>-<botocore version>.json`` (about 12 KB), written on first use from botocore's
loader. The version comes from the text of ``botocore/__init__.py`` (``importlib.metadata``
costs ~30 ms), so a botocore upgrade misses the cache; a file of another ``"format"`` is
rewritten. An unreadable or corrupt cache, or a model of the user's own in
``~/.aws/models/<service>`` (which botocore's loader prefers), means botocore's model is
used; a cache that cannot be written is not an error.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

_CACHE_FORMAT = 1
METADATA = ("required", "min", "max", "pattern", "enum", "document", "union")
_SERIALIZATION = ("jsonvalue", "location", "hostLabel")
_TRAITS = METADATA + _SERIALIZATION  # all that the checks read, on shapes and member refs
KINDS = frozenset(
    "structure list map string integer long float double boolean timestamp blob".split()
)


@functools.cache
def input_shape(service: str, operation: str) -> Shape | None:
    model = _cached_model(service, operation)
    if model is not None:
        try:
            return _build(model, service, operation)
        except Exception:  # a cache is never worth failing a run for; botocore decides
            pass
    encoded = _compact_model(service, operation)
    path = cache_path(service, operation)
    if path is not None:
        from ..storage.localstore import atomic_write

        try:
            atomic_write(path, lambda out: out.write(encoded))
        except OSError:
            pass
    return _build(json.loads(encoded), service, operation)  # exactly what a reader gets


def _cached_model(service: str, operation: str) -> Any:
    path = cache_path(service, operation)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def cache_path(service: str, operation: str) -> Path | None:
    """Where the compact model lives, or None when it must come from botocore."""
    if os.path.isdir(os.path.join(os.path.expanduser("~"), ".aws", "models", service)):
        return None  # botocore's loader prefers the user's own model
    version = botocore_version()
    if version is None:
        return None
    from ..storage.localstore import state_dir

    return state_dir() / "model-cache" / f"{service}-{operation}-{version}.json"


@functools.cache
def botocore_version() -> str | None:
    """botocore's version, read from its __init__.py: importing botocore costs ~6 ms,
    importlib.metadata ~30 ms, finding and reading the file ~0.4 ms."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("botocore")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return None
        with open(origin, encoding="utf-8") as f:
            text = f.read()
    except (ImportError, OSError, ValueError):
        return None
    match = re.search(r"""^__version__\s*=\s*['"]([\w.+-]+)['"]""", text, re.MULTILINE)
    return match.group(1) if match else None


def _compact_model(service: str, operation: str) -> bytes:
    """The operation's input and every shape reachable from it, from botocore's loader,
    keeping only what the checks read, as compact JSON."""
    from botocore.loaders import create_loader

    description = create_loader().load_service_model(service, "service-2")
    try:
        operation_model = description["operations"][operation]
    except KeyError:
        from botocore.model import OperationNotFoundError

        raise OperationNotFoundError(operation) from None
    shapes = description["shapes"]
    input_ref = operation_model.get("input")
    kept: dict[str, dict] = {}
    pending = [input_ref] if input_ref is not None else []
    while pending:
        name = pending.pop()["shape"]
        if name in kept:
            continue
        source = shapes[name]
        shape = kept[name] = {"type": source["type"]}
        shape.update((k, source[k]) for k in _TRAITS if k in source)
        if "members" in source:
            shape["members"] = {m: _compact_ref(r) for m, r in source["members"].items()}
            pending.extend(source["members"].values())
        for part in ("member", "key", "value"):
            if part in source:
                shape[part] = _compact_ref(source[part])
                pending.append(source[part])
    model = {
        "format": _CACHE_FORMAT,
        "service": service,
        "operation": operation,
        "input": _compact_ref(input_ref) if input_ref is not None else None,
        "shapes": kept,
    }
    return json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode()


def _compact_ref(ref: dict) -> Any:
    """A member reference: the shape's name, or [name, {traits}] when it carries traits."""
    traits = {k: ref[k] for k in _TRAITS if k in ref}
    return [ref["shape"], traits] if traits else ref["shape"]


class Shape:
    """The part of a botocore ``Shape`` the checks read, under the same names."""

    __slots__ = (
        "type_name",
        "metadata",
        "members",
        "member",
        "key",
        "value",
        "is_document_type",
        "is_tagged_union",
        "host_label",
        "json_value_header",
    )
    type_name: str
    metadata: dict[str, Any]
    members: dict[str, Shape]
    member: Shape | None
    key: Shape | None
    value: Shape | None
    is_document_type: bool
    is_tagged_union: bool
    host_label: bool
    json_value_header: bool


def _build(model: Any, service: str, operation: str) -> Shape | None:
    """The input shape of a compact model, every reference resolved (cycles included)."""
    if (model["format"], model["service"], model["operation"]) != (
        _CACHE_FORMAT,
        service,
        operation,
    ):
        raise ValueError("not this model")
    shapes = model["shapes"]
    built: dict[str | tuple[str, str], Shape] = {}

    def resolve(ref: Any) -> Shape:
        memo: str | tuple[str, str]
        if isinstance(ref, str):
            name, traits, memo = ref, None, ref
        else:
            name, traits = ref
            memo = (name, json.dumps(traits, sort_keys=True))
        shape = built.get(memo)
        if shape is not None:
            return shape
        source = shapes[name]
        if traits:  # botocore merges a member's traits over its shape
            source = {**source, **traits}
        kind = source["type"]
        if kind not in KINDS:
            raise ValueError(f"unknown shape type {kind}")
        shape = built[memo] = Shape()
        shape.type_name = kind
        shape.metadata = {k: source[k] for k in METADATA if k in source}
        shape.is_document_type = shape.metadata.get("document", False)
        shape.is_tagged_union = shape.metadata.get("union", False)
        shape.host_label = source.get("hostLabel", False)
        shape.json_value_header = bool(
            kind == "string" and source.get("jsonvalue") and source.get("location") == "header"
        )
        shape.members = {m: resolve(r) for m, r in source.get("members", {}).items()}
        shape.member, shape.key, shape.value = (
            resolve(source[part]) if part in source else None for part in ("member", "key", "value")
        )
        return shape

    return resolve(model["input"]) if model["input"] is not None else None
