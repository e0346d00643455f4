"""AWS model patterns are Java regular expressions; run them with Python's ``re``.

They are matched against the whole value with ``re.fullmatch`` and ``re.ASCII`` (Java's
``\\w``, ``\\d`` and ``\\s`` are ASCII). Two Java-isms are translated: ``\\p{L}``-style
classes (used by tag keys and values) and surrogate pairs such as ``\\uD800\\uDC00``. Any
other pattern Python rejects is skipped rather than guessed at.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Each Unicode general category gets one private-use character. A pattern that uses
# \p{...} is rewritten to accept the ASCII members of the class plus the placeholders of
# its categories, and non-ASCII characters of the value are replaced by the placeholder of
# their category before matching. Exact for categories; cheap, as most values are ASCII.
_CATEGORIES = (
    "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn"
).split()
_PLACEHOLDER = {category: chr(0xF0000 + i) for i, category in enumerate(_CATEGORIES)}
_ASCII = [chr(i) for i in range(128)]
_HEXDIGITS = "0123456789abcdefABCDEF"  # string.hexdigits (importing string costs 1-2 ms)
_PUNCTUATION = r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"""  # string.punctuation
_POSIX = {  # Java's POSIX classes are ASCII-only
    "Lower": str.islower,
    "Upper": str.isupper,
    "Alpha": str.isalpha,
    "Digit": str.isdigit,
    "Alnum": str.isalnum,
    "XDigit": lambda c: c in _HEXDIGITS,
    "Punct": lambda c: c in _PUNCTUATION,
    "Space": lambda c: c in " \t\n\x0b\x0c\r",
    "Blank": lambda c: c in " \t",
    "ASCII": lambda c: True,
}
_PROPERTY = re.compile(r"\{(?:Is)?(\w+)\}|([A-Za-z])")
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def matches(pattern: str, value: str) -> bool:
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
