"""A small LDAP-style filter language (a subset of RFC 4515) and its evaluator, for role rules' ``search_string``.

Every public ``search_string`` is such a filter: ``(cn=alice)`` (PrivX v16 docs; the Python SDK's role example),
``(principal=<name>)`` (the built-in privx-admin role). The grammar::

    filter  = "(" ( and / or / not / item ) ")"
    and     = "&" 1*filter
    or      = "|" 1*filter
    not     = "!" filter
    item    = attr "=" value
    attr    = a letter, then letters, digits, "-", "_", "."; ":"-separated parts are allowed (``custom:group``)
    value   = any characters but "(", ")", "\\" and NUL; "\\" + two hex digits is an escaped byte (UTF-8), so
              ``\\28`` "(", ``\\29`` ")", ``\\2a`` "*", ``\\5c`` "\\"; an unescaped "*" is a wildcard

No whitespace is allowed between the parts, as in RFC 4515. ``(attr=*)`` is a presence test: the attribute has a
value. The other RFC 4515 operators (``~=``, ``>=``, ``<=``, extensible ``:=``) and the empty ``(&)`` / ``(|)``
are refused as malformed: the emulator does not implement them. Nesting is limited to :data:`MAX_DEPTH`.

Matching: attribute names are case-insensitive; values too (LDAP's ``caseIgnoreMatch``, the default for
directory strings), after RFC 4518's string preparation as far as it widens a match: NFKC and case folding
(:func:`prepare`), so ``OPS``, ``opſ`` and full-width ``ｏｐｓ`` all match ``ops``. PrivX does not publish how its
matcher compares; this is the widest reading, the one that lets a group-spelling attack be rehearsed. An
attribute may have several values (``tags``, or a repeated attribute key); an item matches when any value does.
A missing attribute matches no item, so ``(!(x=y))`` matches a user without ``x`` (two-valued logic: LDAP's
"undefined" is not modelled).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_DEPTH = 32
_ATTR = re.compile(r"[A-Za-z][A-Za-z0-9._-]*(?::[A-Za-z0-9._-]+)*")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_UNSUPPORTED = ("~=", ">=", "<=", ":")


def prepare(value: str) -> str:
    """``value`` as compared: NFKC, case folding, NFKC (RFC 4518 section 2: "Map" with case folding, "Normalize"
    with NFKC; normalised again after folding, which can denormalise)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


class FilterError(ValueError):
    """A malformed filter; the message says what and where (0-based position)."""


@dataclass(frozen=True)
class Item:
    """``(attr=value)``: ``parts`` is the value split at its unescaped ``*`` (one part: equality)."""

    attr: str  # lower-cased
    parts: tuple[str, ...]

    def matches(self, attrs: Mapping[str, Sequence[str]]) -> bool:
        values = attrs.get(self.attr, ())
        if self.parts == ("", ""):  # (attr=*)
            return len(values) > 0
        if len(self.parts) == 1:
            want = prepare(self.parts[0])
            return any(prepare(v) == want for v in values)
        pattern = re.compile(".*".join(re.escape(prepare(p)) for p in self.parts), re.DOTALL)
        return any(pattern.fullmatch(prepare(v)) for v in values)


@dataclass(frozen=True)
class And:
    children: tuple[Filter, ...]

    def matches(self, attrs: Mapping[str, Sequence[str]]) -> bool:
        return all(c.matches(attrs) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Filter, ...]

    def matches(self, attrs: Mapping[str, Sequence[str]]) -> bool:
        return any(c.matches(attrs) for c in self.children)


@dataclass(frozen=True)
class Not:
    child: Filter

    def matches(self, attrs: Mapping[str, Sequence[str]]) -> bool:
        return not self.child.matches(attrs)


Filter = Item | And | Or | Not


def parse_filter(text: str) -> Filter:
    """The filter ``text`` holds; raises :class:`FilterError` when it is malformed."""
    return _Parser(text).parse()


def matches(text: str, attrs: Mapping[str, Sequence[str]]) -> bool:
    """Whether the filter ``text`` matches ``attrs`` (keys lower-cased); raises :class:`FilterError`."""
    return parse_filter(text).matches(attrs)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def parse(self) -> Filter:
        if not self.s:
            raise FilterError("is empty; a filter looks like (attr=value)")
        node = self.filter(0)
        if self.i != len(self.s):
            raise FilterError(f"has {self.s[self.i :]!r} after the filter's end at position {self.i}")
        return node

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end"
            raise FilterError(f"expected {char!r} at position {self.i}, found {found}")
        self.i += 1

    def filter(self, depth: int) -> Filter:
        if depth >= MAX_DEPTH:
            raise FilterError(f"nests deeper than {MAX_DEPTH} levels")
        self.expect("(")
        op = self.peek()
        node: Filter
        if op in ("&", "|"):
            self.i += 1
            children: list[Filter] = []
            while self.peek() == "(":
                children.append(self.filter(depth + 1))
            if not children:
                raise FilterError(f"'{op}' at position {self.i - 1} needs at least one filter")
            node = And(tuple(children)) if op == "&" else Or(tuple(children))
        elif op == "!":
            self.i += 1
            node = Not(self.filter(depth + 1))
        else:
            node = self.item()
        self.expect(")")
        return node

    def item(self) -> Item:
        m = _ATTR.match(self.s, self.i)
        if m is None:
            raise FilterError(f"expected an attribute name at position {self.i}")
        self.i = m.end()
        for op in _UNSUPPORTED:
            if self.s.startswith(op, self.i):
                raise FilterError(f"uses {op!r} at position {self.i}; only '=' (with '*' wildcards) is supported")
        self.expect("=")
        return Item(m.group().lower(), self.value())

    def value(self) -> tuple[str, ...]:
        parts: list[str] = []
        current = bytearray()
        while True:
            c = self.peek()
            if c in ("", ")"):
                break
            if c in ("(", "\0"):
                raise FilterError(f"has {c!r} in a value at position {self.i}; escape it as \\{ord(c):02x}")
            if c == "\\":
                hex2 = _HEX2.fullmatch(self.s, self.i + 1, self.i + 3)
                if hex2 is None:
                    raise FilterError(f"has a bad escape at position {self.i}; use \\ and two hex digits")
                current.append(int(hex2.group(), 16))
                self.i += 3
                continue
            self.i += 1
            if c == "*":
                parts.append(_decode(current, self.i))
                current = bytearray()
            else:
                current.extend(c.encode())
        parts.append(_decode(current, self.i))
        return tuple(parts)


def _decode(raw: bytearray, position: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FilterError(f"has escapes that are not UTF-8 before position {position}") from None
