"""What each keyword of the Python surfaces accepts: one table, checked in one place.

``sagemaker_processing_main`` and ``submit`` / ``request`` / ``attach`` take their values
from code. A value of the wrong type used to travel until something deep in the library
tripped over it (a traceback) or, worse, turned it into text (``env={"A": None}`` gave the
job ``A=None``). :func:`check_keywords` looks at every keyword before anything else runs
and raises :class:`~.errors.KeywordError` naming the keyword and what it takes.

Standard library only: a plain local run checks its keywords too.
"""

from __future__ import annotations

import os

from .args import FALSY, TRUTHY, PathArgument
from .errors import KeywordError
from .settings import BY_NAME, SETTINGS

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Mapping
    from typing import Any, Callable


class Bad(Exception):
    """What is wrong with a value, as the end of a sentence ("got 5 (int)")."""


def _shown(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{text} ({type(value).__name__})"


def _got(value: Any, where: str = "") -> Bad:
    return Bad(f"{where}got {_shown(value)}")


# --- the kinds of value ----------------------------------------------------------------------


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise _got(value)
    return value


def path(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise _got(value)
    return os.fspath(value)


def yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUTHY | FALSY:
        return value.strip().lower() in TRUTHY
    raise _got(value)


def whole(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _got(value)
    return value  # a numeric string is checked (and named) by the setting itself


def ids(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise _got(value)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _got(item, f"item {i} ")
    return tuple(value)


_SCALAR = (str, int, float)


def _scalar(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, _SCALAR):
        raise _got(value, where)


def pairs(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _got(key, "a key ")
            _scalar(item, f"{key!r}: ")
        return value
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _got(value)
    for i, item in enumerate(value):
        if isinstance(item, str):
            continue
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
            raise _got(item, f"item {i} ")
        _scalar(item[1], f"item {i} value ")
    return value


def function(value: Any) -> Any:
    if not callable(value):
        raise _got(value)
    return value


def strings(value: Any) -> Any:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _got(value)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _got(item, f"item {i} ")
    return list(value)


def arguments(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _got(value)
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (*_SCALAR, os.PathLike)):
            raise _got(item, f"item {i} ")
    return [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in value]


def optional(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return None if value is None else kind(value)

    return check


def _path_argument(value: PathArgument, where: str) -> None:
    if value.local is not None and not isinstance(value.local, (str, os.PathLike)):
        raise _got(value.local, f"{where} local ")
    if value.local is not None:
        value.local = os.fspath(value.local)
    if not isinstance(value.optional, bool):
        raise _got(value.optional, f"{where} optional ")
    for attribute in ("remote", "mode", "distribution", "data_type"):
        item = getattr(value, attribute)
        if item is not None and not isinstance(item, str):
            raise _got(item, f"{where} {attribute} ")


def _channel(value: Any, where: str, *, output: bool) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, PathArgument):
        _path_argument(value, where)
        return value
    if output and isinstance(value, tuple) and len(value) == 2:
        if all(v is None or isinstance(v, str) for v in value):
            return value
    raise _got(value, f"{where} ")


def _channels(output: bool) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _got(value)
        checked = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise _got(name, "a name ")
            checked[name] = _channel(item, f"{name!r}:", output=output)
        return checked

    return check


def modules(value: Any) -> Any:
    if not isinstance(value, dict):
        raise _got(value)
    checked = {}
    for name, item in value.items():
        if not isinstance(name, str):
            raise _got(name, "a name ")
        if isinstance(item, (str, os.PathLike)):
            checked[name] = os.fspath(item)
        elif isinstance(getattr(item, "__file__", None), str):
            checked[name] = item
        else:
            raise _got(item, f"{name!r}: ")
    return checked


def additional_arguments(value: Any) -> Any:
    if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
        raise _got(value)
    for i, item in enumerate(value):
        if isinstance(item, dict):
            dest = item.get("dest")
            if not isinstance(dest, str) or not dest.strip("-"):
                raise Bad(f"item {i} has no 'dest' naming the flag, e.g. '--width'")
            for key in item:
                if not isinstance(key, str):
                    raise _got(key, f"item {i} has a key ")
        elif (
            isinstance(item, (list, tuple))
            and len(item) == 2
            and isinstance(item[0], (list, tuple))
            and all(isinstance(a, str) for a in item[0])
            and isinstance(item[1], dict)
            and all(isinstance(k, str) for k in item[1])
        ):
            continue
        else:
            raise _got(item, f"item {i} ")
    return value


# --- the table -------------------------------------------------------------------------------

_PATH_SETTINGS = {"script", "requirements", "configuration_script", "source_dir", "output_json"}
_BY_KIND = {"bool": yes_no, "int": whole, "ids": ids, "pairs": pairs}
_CHANNELS = {
    "inputs": "a dict of name -> local path, s3:// URI or PathArgument",
    "outputs": "a dict of name -> local directory, s3:// URI or PathArgument",
    "modules": "a dict of name -> directory, .py file or imported module",
}


def _setting_kind(name: str) -> tuple[str, Callable[[Any], Any]]:
    setting = BY_NAME[name]
    if name in _PATH_SETTINGS:
        return "a path (str or os.PathLike)", optional(path)
    words = {
        "bool": "True or False (or yes/no)",
        "int": "a whole number",
        "ids": "a list of IDs, or 'ID,ID'",
        "pairs": "a dict of str -> str, or 'KEY=VALUE' strings",
    }
    return words.get(setting.kind, "a string"), optional(_BY_KIND.get(setting.kind, text))


KEYWORDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    **{s.name: _setting_kind(s.name) for s in SETTINGS},
    "main": ("a function of args", function),
    "description": ("a string", optional(text)),
    "inputs": (_CHANNELS["inputs"], optional(_channels(output=False))),
    "outputs": (_CHANNELS["outputs"], optional(_channels(output=True))),
    "modules": (_CHANNELS["modules"], optional(modules)),
    "dependencies": (_CHANNELS["modules"], optional(modules)),
    "additional_arguments": (
        "a list of dicts with 'dest' (the flag), or (args, kwargs) pairs",
        optional(additional_arguments),
    ),
    "argparse_callback": ("a function of the parser", optional(function)),
    "argv": ("a list of strings", optional(strings)),
    "arguments": ("a list of strings, e.g. ['--min-count', '2']", arguments),
    "on_event": ("a function of an Event", optional(function)),
    "name": ("a job name", text),
    "local": ("True or False", yes_no),
}


def check_keywords(given: Mapping[str, Any], surface: str, allowed: set[str]) -> dict[str, Any]:
    """``given`` with each value checked against the table (paths as str); KeywordError
    naming the first keyword that ``surface`` does not take or whose value is of a type it
    does not take."""
    checked = {}
    for name, value in given.items():
        if name not in allowed:
            import difflib

            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]}=?" if close else ""
            raise KeywordError(
                f"{surface}() has no keyword {name}={hint}", fix="see its documentation"
            )
        what, kind = KEYWORDS[name]
        try:
            checked[name] = kind(value)
        except Bad as bad:
            raise KeywordError(f"takes {what}; {bad}", field=name) from None
        except RecursionError:
            raise KeywordError(f"takes {what}; got a value nested too deeply", field=name) from None
    return checked


SETTING_NAMES = frozenset(BY_NAME)
