"""Check a request against the botocore service model before anything is sent.

botocore's own ``ParamValidator`` checks required members, types and minimums but leaves
maximum lengths, list and map sizes, patterns and enums to the service, so a job name
with an underscore or an eleventh input only fails after staging, as an AWS round trip.
:func:`find_violations` runs botocore's checks and adds the rest from the same shape
metadata, so a bad request is a user error reported up front, every problem at once.

Choices worth knowing:

* The model is read with botocore's loader rather than a session (no ``botocore.session``
  import, and it is the faster of the two); botocore is imported only when a check runs.
* AWS patterns are Java regular expressions matched against the whole value. They are
  run with ``re.fullmatch`` and ``re.ASCII`` (Java's ``\\w``, ``\\d`` and ``\\s`` are
  ASCII). Two Java-isms are translated: ``\\p{L}``-style classes (used by tag keys and
  values) and surrogate pairs such as ``\\uD800\\uDC00``. Any other pattern Python
  rejects is skipped rather than guessed at.
* A value whose length is out of range is not also reported for its pattern: AWS
  patterns often repeat the length limit (``{0,62}``), and one message is clearer.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from typing import Any, NamedTuple


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
    from botocore.validate import ParamValidator

    shape = _input_shape(service, operation)
    if shape is None:
        return [Violation("", f"{operation} takes no parameters")] if params else []
    botocore_errors: dict[str, list[tuple[str, dict]]] = {}
    for reason, name, details in ParamValidator().validate(params, shape)._errors:
        botocore_errors.setdefault(name, []).append((reason, details))
    walk = _Walk(botocore_errors)
    walk.visit(params, shape, "")
    for name, errors in list(botocore_errors.items()):  # nodes the walk did not reach
        for reason, details in errors:
            walk.found.append(_from_botocore(reason, details, None, _path(name), ""))
    return list(dict.fromkeys(walk.found))


@functools.cache
def _service_model(service: str) -> Any:
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    return ServiceModel(create_loader().load_service_model(service, "service-2"), service)


@functools.cache
def _input_shape(service: str, operation: str) -> Any:
    return _service_model(service).operation_model(operation).input_shape


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
            self.found.append(Violation(path, f"{named}is not one of {_choices(enum)}"))
        pattern = meta.get("pattern")
        length_ok = len(value) >= low and (top is None or len(value) <= top)
        if pattern and length_ok and not _matches(pattern, value):
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


def _choices(enum: list[str], shown: int = 10) -> str:
    ordered = sorted(enum)
    if len(ordered) <= shown:
        return ", ".join(ordered)
    return f"{', '.join(ordered[:shown])}, ... ({len(ordered)} values)"


# --- Java patterns in Python --------------------------------------------------------------

# Each Unicode general category gets one private-use character. A pattern that uses
# \p{...} is rewritten to accept the ASCII members of the class plus the placeholders of
# its categories, and non-ASCII characters of the value are replaced by the placeholder of
# their category before matching. Exact for categories; cheap, as most values are ASCII.
_CATEGORIES = (
    "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn"
).split()
_PLACEHOLDER = {category: chr(0xF0000 + i) for i, category in enumerate(_CATEGORIES)}
_ASCII = [chr(i) for i in range(128)]
_POSIX = {  # Java's POSIX classes are ASCII-only
    "Lower": str.islower,
    "Upper": str.isupper,
    "Alpha": str.isalpha,
    "Digit": str.isdigit,
    "Alnum": str.isalnum,
    "XDigit": lambda c: c in string.hexdigits,
    "Punct": lambda c: c in string.punctuation,
    "Space": lambda c: c in " \t\n\x0b\x0c\r",
    "Blank": lambda c: c in " \t",
    "ASCII": lambda c: True,
}
_PROPERTY = re.compile(r"\{(?:Is)?(\w+)\}|([A-Za-z])")
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _matches(pattern: str, value: str) -> bool:
    """Whether value matches the whole model pattern; True when Python cannot run it."""
    compiled = _compile(pattern)
    if compiled is None:
        return True
    regex, by_category = compiled
    if by_category and not value.isascii():
        value = "".join(c if c.isascii() else _PLACEHOLDER[unicodedata.category(c)] for c in value)
    return regex.fullmatch(value) is not None


@functools.cache
def _compile(pattern: str) -> tuple[re.Pattern[str], bool] | None:
    try:
        translated, by_category = _translate(pattern)
        return re.compile(translated, re.ASCII), by_category
    except re.error:
        return None


def _translate(pattern: str) -> tuple[str, bool]:
    """The Java pattern in Python syntax, and whether it uses category placeholders."""
    out: list[str] = []
    in_class = by_category = other_unicode = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            pair = _SURROGATE_PAIR.match(pattern, i)
            if pair:
                high, low = int(pair.group(1), 16), int(pair.group(2), 16)
                out.append(f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}")
                other_unicode, i = True, pair.end()
            elif escaped == "p":
                prop = _PROPERTY.match(pattern, i + 2)
                if prop is None:
                    raise re.error(f"bad property at {i}")
                members, uses_placeholders = _property_members(prop.group(1) or prop.group(2))
                by_category = by_category or uses_placeholders
                out.append(members if in_class else f"[{members}]")
                i = prop.end()
            elif escaped == "P":
                raise re.error("negated properties are not translated")
            else:
                other_unicode = other_unicode or escaped in "uUxN"
                out.append(pattern[i : i + 2])
                i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        other_unicode = other_unicode or not char.isascii()
        out.append(char)
        i += 1
    if by_category and other_unicode:
        # Values are rewritten to placeholders, so non-ASCII literals could never match.
        raise re.error("\\p{...} mixed with non-ASCII literals")
    return "".join(out), by_category


def _property_members(name: str) -> tuple[str, bool]:
    """Class members (for inside [...]) for \\p{name}, and whether placeholders are used."""
    if name in _POSIX:
        ascii_members = [c for c in _ASCII if _POSIX[name](c)]
        return "".join(f"\\x{ord(c):02x}" for c in ascii_members), False
    categories = [c for c in _CATEGORIES if c.startswith(name)]
    if not categories:
        raise re.error(f"unknown property {name}")
    ascii_members = [c for c in _ASCII if unicodedata.category(c).startswith(name)]
    members = "".join(f"\\x{ord(c):02x}" for c in ascii_members)
    return members + "".join(_PLACEHOLDER[c] for c in categories), True
