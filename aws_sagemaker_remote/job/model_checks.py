"""Check a request against the botocore service model before anything is sent.

botocore's own ``ParamValidator`` checks required members, types and minimums but leaves
maximum lengths, list and map sizes, patterns and enums to the service, so a job name
with an underscore or an eleventh input only fails after staging, as an AWS round trip.
:func:`find_violations` makes botocore's checks and adds the rest from the same shape
metadata, so a bad request is a user error reported up front, every problem at once.

Choices worth knowing:

* botocore is not imported on the usual path: the shapes come from a compact cache of
  the model (:mod:`service_model`).
* botocore's checks are redone here (:func:`_validate`) on those shapes, error for error,
  in botocore's order and with its names: required members, unknown members, types
  (``bool`` passes for integers, as ``isinstance`` says; ``Decimal`` for floats), minimum
  lengths and values, tagged unions, documents, JSON-value headers. Timestamps other than
  ``datetime`` objects are still parsed by botocore, as only it knows which strings pass
  (``CreateProcessingJob`` has none). tests/test_model_checks_differential.py holds this
  to botocore's ``ParamValidator`` on some 2,400 mutated and made-up requests.
* AWS patterns are Java regular expressions, run by :mod:`java_patterns`.
* A value whose length is out of range is not also reported for its pattern: AWS
  patterns often repeat the length limit (``{0,62}``), and one message is clearer.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, NamedTuple, cast

from . import java_patterns, service_model


class Violation(NamedTuple):
    """One way a request breaks the service model."""

    path: str
    """Member path: ``ProcessingInputs[3].S3Input.S3Uri``, ``Environment.MY_VAR``."""
    message: str
    """Short and human: ``is 300 characters; at most 256 allowed``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def find_violations(
    params: dict, operation: str = "CreateProcessingJob", service: str = "sagemaker"
) -> list[Violation]:
    """All the ways params break the service model: botocore's own checks plus max lengths,
    sizes, patterns, enums. In walk order; each (path, message) once."""
    shape = service_model.input_shape(service, operation)
    if shape is None:
        return [Violation("", f"{operation} takes no parameters")] if params else []
    errors: list[tuple[str, Any, dict]] = []
    _validate(params, shape, errors, "")
    return _violations(params, shape, errors)


def _violations(params: Any, shape: Any, errors: list[tuple[str, Any, dict]]) -> list[Violation]:
    """The Violations for botocore-style errors (reason, name, details) and the walk's own
    findings, each botocore error reported where the walk reaches its node."""
    botocore_errors: dict[Any, list[tuple[str, dict]]] = {}
    for reason, name, details in errors:
        botocore_errors.setdefault(name, []).append((reason, details))
    walk = _Walk(botocore_errors)
    walk.visit(params, shape, "")
    for name, found in list(botocore_errors.items()):  # nodes the walk did not reach
        for reason, details in found:
            walk.found.append(_from_botocore(reason, details, None, _path(name), ""))
    return list(dict.fromkeys(walk.found))


# --- botocore's checks ----------------------------------------------------------------------

# What botocore.validate.ParamValidator accepts, and the type names it reports (str(type)).
_DECIMAL = "<class 'decimal.Decimal'>"
_VALID_TYPES = {
    "structure": [str(dict)],
    "map": [str(dict)],
    "list": [str(list), str(tuple)],
    "string": [str(str)],
    "integer": [str(int)],
    "long": [str(int)],
    "float": [str(float), _DECIMAL, str(int)],
    "double": [str(float), _DECIMAL, str(int)],
    "boolean": [str(bool)],
    "blob": [str(bytes), str(bytearray), "file-like object"],
    "timestamp": ["<class 'datetime.datetime'>", "timestamp-string"],
}
_SCALARS = frozenset(("string", "integer", "long", "float", "double", "boolean"))
_CONSTRAINTS = frozenset(("required", "min", "document", "union"))  # ParamValidator's
_DOCUMENT_TYPES = [str(t) for t in (str, int, bool, float, list, dict)]


def _validate(value: Any, shape: service_model.Shape, errors: list, name: Any) -> None:
    """ParamValidator._validate: the same errors, in the same order, under the same names."""
    if shape.json_value_header:
        try:
            json.dumps(value)
        except (ValueError, TypeError) as e:
            errors.append(("unable to encode to json", name, {"type_error": e}))
        return
    kind = shape.type_name
    if kind == "structure" and shape.is_document_type:
        _validate_document(value, errors, name)
        return
    if not _accepts(kind, value):
        errors.append(
            ("invalid type", name, {"param": value, "valid_types": list(_VALID_TYPES[kind])})
        )
        return
    if kind == "structure":
        _validate_structure(value, shape, errors, name)
    elif kind == "list":
        _check_min(name, len(value), shape, "invalid length", errors)
        item_shape = cast(service_model.Shape, shape.member)  # a list shape has a member
        kind = item_shape.type_name
        if kind in _SCALARS and not _CONSTRAINTS.intersection(item_shape.metadata):
            for i, item in enumerate(value):  # botocore checks only the type of these
                if not _accepts(kind, item):
                    details = {"param": item, "valid_types": list(_VALID_TYPES[kind])}
                    errors.append(("invalid type", f"{name}[{i}]", details))
            return
        for i, item in enumerate(value):
            _validate(item, item_shape, errors, f"{name}[{i}]")
    elif kind == "map":
        for key, item in value.items():
            _validate(key, cast(service_model.Shape, shape.key), errors, f"{name} (key: {key})")
            _validate(item, cast(service_model.Shape, shape.value), errors, f"{name}.{key}")
    elif kind == "string":
        _check_min(name, len(value), shape, "invalid length", errors)
    elif kind in ("integer", "long", "float", "double"):
        _check_min(name, value, shape, "invalid range", errors)


def _validate_structure(value: dict, shape: service_model.Shape, errors: list, name: Any) -> None:
    members = shape.members
    if shape.is_tagged_union:
        if len(value) == 0:
            errors.append(("empty input", name, {"members": list(members)}))
        elif len(value) > 1:
            errors.append(("more than one input", name, {"members": list(members)}))
    for required in shape.metadata.get("required", []):
        if required not in value:
            details = {"required_name": required, "user_params": value}
            errors.append(("missing required field", name, details))
    known = []
    for member in value:
        if member in members:
            known.append(member)
        else:
            details = {"unknown_param": member, "valid_names": list(members)}
            errors.append(("unknown field", name, details))
    for member in known:
        _validate(value[member], members[member], errors, f"{name}.{member}")


def _validate_document(value: Any, errors: list, name: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key in value:
            _validate_document(value[key], errors, key)  # sic: botocore names it by key alone
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _validate_document(item, errors, f"{name}[{i}]")
    elif not isinstance(value, (str, int, bool, float)):
        details = {"param": value, "param_type": type(value), "valid_types": _DOCUMENT_TYPES}
        errors.append(("invalid type for document", name, details))


def _accepts(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind in ("structure", "map"):
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, (list, tuple))
    if kind in ("integer", "long"):
        return isinstance(value, int)  # True and False too, as isinstance has it
    if kind in ("float", "double"):
        return isinstance(value, (float, int)) or _is_instance_of(value, "decimal", "Decimal")
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "blob":
        return isinstance(value, (bytes, bytearray, str)) or hasattr(value, "read")
    return _is_timestamp(value)


def _is_instance_of(value: Any, module: str, name: str) -> bool:
    """isinstance(value, module.name), without importing module: if it was never imported,
    value cannot be one."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, name))


def _is_timestamp(value: Any) -> bool:
    """Whether botocore's parse_to_aware_datetime takes value."""
    if _is_instance_of(value, "datetime", "datetime"):
        if value.tzinfo is None:
            return True
        try:
            value.astimezone(sys.modules["datetime"].timezone.utc)
            return True
        except (TypeError, ValueError, AttributeError):
            return False
    from botocore.utils import parse_to_aware_datetime  # strings and numbers: dateutil's say

    try:
        parse_to_aware_datetime(value)
        return True
    except (TypeError, ValueError, AttributeError):
        return False


def _check_min(
    name: Any, value: Any, shape: service_model.Shape, reason: str, errors: list
) -> None:
    """botocore.validate.range_check: the model's min, or 1 for host labels."""
    if "min" in shape.metadata:
        low = shape.metadata["min"]
    elif shape.host_label:
        low = 1
    else:
        return
    if value < low:
        errors.append((reason, name, {"param": value, "min_allowed": low}))


class _Walk:
    """Visits params alongside their shape, naming nodes exactly as botocore does, so the
    errors botocore found for a node are reported where the walk reaches it."""

    def __init__(self, botocore_errors: dict[str, list[tuple[str, dict]]]):
        self.botocore_errors = botocore_errors
        self.found: list[Violation] = []

    def visit(self, value: Any, shape: Any, name: str) -> None:
        path = _path(name)
        self._report_botocore(name, shape, path, "")
        kind = shape.type_name
        if kind == "structure":
            if isinstance(value, dict) and not shape.is_document_type:
                for member, item in value.items():
                    if member in shape.members:
                        self.visit(item, shape.members[member], f"{name}.{member}")
        elif kind == "list":
            if isinstance(value, (list, tuple)):
                self._check_size(len(value), shape, path, "item")
                for i, item in enumerate(value):
                    self.visit(item, shape.member, f"{name}[{i}]")
        elif kind == "map":
            if isinstance(value, dict):
                # botocore checks no map sizes, so both ends are ours.
                self._check_size(len(value), shape, path, "entry", check_min=True)
                for key, item in value.items():
                    key_name = f"{name} (key: {key})"
                    subject = f"key {_quote(key)} " if isinstance(key, str) else f"key {key!r} "
                    self._report_botocore(key_name, shape.key, path, subject)
                    if isinstance(key, str) and shape.key.type_name == "string":
                        self._check_string(key, shape.key, path, subject)
                    self.visit(item, shape.value, f"{name}.{key}")
        elif kind == "string":
            if isinstance(value, str):
                self._check_string(value, shape, path, "")
        elif kind in ("integer", "long", "float", "double"):
            top = shape.metadata.get("max")
            if isinstance(value, (int, float)) and top is not None and value > top:
                self.found.append(Violation(path, f"is {value}; at most {top} allowed"))

    def _report_botocore(self, name: str, shape: Any, path: str, subject: str) -> None:
        for reason, details in self.botocore_errors.pop(name, ()):
            self.found.append(_from_botocore(reason, details, shape, path, subject))

    def _check_size(
        self, size: int, shape: Any, path: str, noun: str, check_min: bool = False
    ) -> None:
        low, top = shape.metadata.get("min"), shape.metadata.get("max")
        if check_min and low is not None and size < low:
            self.found.append(Violation(path, f"has {_count(size, noun)}; at least {low} allowed"))
        if top is not None and size > top:
            self.found.append(Violation(path, f"has {_count(size, noun)}; at most {top} allowed"))

    def _check_string(self, value: str, shape: Any, path: str, subject: str) -> None:
        meta = shape.metadata
        low, top = meta.get("min", 0), meta.get("max")
        if top is not None and len(value) > top:
            message = f"{subject}is {_count(len(value), 'character')}; at most {top} allowed"
            self.found.append(Violation(path, message))
        named = subject or f"{_quote(value)} "
        enum = meta.get("enum")
        if enum and value not in enum:
            self.found.append(Violation(path, f"{named}is not one of {_choices(enum, value)}"))
        pattern = meta.get("pattern")
        length_ok = len(value) >= low and (top is None or len(value) <= top)
        if pattern and length_ok and not java_patterns.matches(pattern, value):
            self.found.append(Violation(path, f"{named}does not match {pattern}"))


def _from_botocore(reason: str, details: dict, shape: Any, path: str, subject: str) -> Violation:
    """One botocore error as a Violation; see ValidationErrors._format_error for the kinds."""
    if reason == "missing required field":
        member = details["required_name"]
        return Violation(_join(path, member), f"missing required member {member}")
    if reason == "unknown field":
        member = details["unknown_param"]
        valid = ", ".join(details["valid_names"])
        return Violation(_join(path, member), f"unknown member {member}; expected one of {valid}")
    if reason == "invalid type":
        types = " or ".join(_type_name(t) for t in details["valid_types"])
        found = type(details["param"]).__name__
        return Violation(path, f"{subject}is {found}; expected {types}")
    if reason == "invalid length":
        size, low = details["param"], details["min_allowed"]
        kind = shape.type_name if shape is not None else None
        if kind == "list":
            return Violation(path, f"has {_count(size, 'item')}; at least {low} allowed")
        if kind == "string":
            measured = _count(size, "character")
            return Violation(path, f"{subject}is {measured}; at least {low} allowed")
        return Violation(path, f"{subject}has length {size}; at least {low} allowed")
    if reason == "invalid range":
        return Violation(
            path, f"{subject}is {details['param']}; at least {details['min_allowed']} allowed"
        )
    if reason == "empty input":
        return Violation(path, f"must set one of {', '.join(details['members'])}")
    if reason == "more than one input":
        return Violation(path, f"may set only one of {', '.join(details['members'])}")
    if reason == "unable to encode to json":
        return Violation(path, f"{subject}is not JSON serializable: {details['type_error']}")
    if reason == "invalid type for document":
        found = type(details["param"]).__name__
        return Violation(path, f"is {found}; a document holds str, int, bool, float, list, dict")
    return Violation(path, f"{subject}{reason}")


def _path(botocore_name: str) -> str:
    return botocore_name[1:] if botocore_name.startswith(".") else botocore_name


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def _quote(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _type_name(valid_type: str) -> str:
    match = re.fullmatch(r"<class '([\w.]+)'>", valid_type)
    return match.group(1) if match else valid_type


def _choices(enum: list[str], value: str = "", shown: int = 10) -> str:
    """A short list of the allowed values (a count when there are many), and the nearest."""
    from ..wording import did_you_mean

    ordered = sorted(enum)
    listed = ", ".join(ordered) if len(ordered) <= shown else f"the {len(ordered)} allowed values"
    return listed + did_you_mean(value, ordered)
