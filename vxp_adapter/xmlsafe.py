"""Hardened XML reading: no DTD, no entities, no network, bounded size and element count.

Messages are read through an lxml *target* parser into a small tree of `Node`s. That keeps
`huge_tree=False` (libxml2's depth and name limits stay on) while letting a base64 attachment
exceed libxml2's 10 MB text-node limit, and it counts elements while parsing, not after.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from vxp_adapter.errors import InvalidMessage, Problem

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds applied to every message read (defaults suit a national axis)."""

    max_message_bytes: int = 150 * MB
    """The whole edXML file."""
    max_elements: int = 20_000
    max_attachments: int = 100
    max_attachment_bytes: int = 100 * MB
    """Each attachment after base64 decoding (and after unzipping)."""
    max_total_unzipped_bytes: int = 300 * MB
    """All attachments of one message together, after unzipping."""
    max_zip_entries: int = 16
    max_zip_ratio: int = 200
    """Largest uncompressed/compressed size ratio accepted for a zip entry."""


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Node:
    """An element: namespace, local name, attributes, children and its own text."""

    ns: str
    name: str
    attrib: dict[str, str]
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's own text, stripped."""
        return "".join(self.parts).strip()

    def raw_text(self) -> str:
        """The element's own text as it was, unstripped."""
        return "".join(self.parts)

    def child(self, name: str) -> Node | None:
        """Return the first child with this local name."""
        for c in self.children:
            if c.name == name:
                return c
        return None

    def all(self, name: str) -> list[Node]:
        """Return the children with this local name, in document order."""
        return [c for c in self.children if c.name == name]

    def text_of(self, name: str) -> str:
        """Return the stripped text of the first child with this local name, or ""."""
        c = self.child(name)
        return c.text if c is not None else ""


class _TreeBuilder:
    """lxml parser target building `Node`s and enforcing the element limit."""

    def __init__(self) -> None:
        self.reset(0)

    def reset(self, max_elements: int) -> None:
        self._stack: list[Node] = []
        self._root: Node | None = None
        self._parts: list[str] = []
        self._count = 0
        self._max = max_elements

    # Signatures without `nsmap`: lxml then skips building a namespace map per element.
    def start(self, tag: str, attrib: Any) -> None:
        self._count += 1
        if self._count > self._max:
            raise InvalidMessage(Problem.TOO_MANY_ELEMENTS, f"> {self._max}")
        ns, name = _split(tag)
        node = Node(ns, name, {_split(k)[1]: v for k, v in attrib.items()} if attrib else {})
        if self._stack:
            self._stack[-1].children.append(node)
        else:
            self._root = node
        self._stack.append(node)
        self._parts = node.parts

    def end(self, tag: str) -> None:
        self._stack.pop()
        self._parts = self._stack[-1].parts if self._stack else []

    def data(self, text: str) -> None:
        self._parts.append(text)

    def doctype(self, *args: Any) -> None:
        raise InvalidMessage(Problem.DOCTYPE)

    def close(self) -> Node:
        root, self._root, self._stack = self._root, None, []
        if root is None:
            raise InvalidMessage(Problem.MALFORMED, "không có phần tử gốc")
        return root


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


_XML_DECL = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _check_prolog(data: bytes) -> bytes:
    """Strip a UTF-8 BOM and leading blanks; refuse other encodings and any DOCTYPE."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        raise InvalidMessage(Problem.ENCODING, "UTF-16/32")
    if data[:1].isspace():
        data = data.lstrip(b" \t\r\n")
    if not data:
        raise InvalidMessage(Problem.MALFORMED, "tệp rỗng")
    decl = _XML_DECL.match(data)
    if decl and decl.group(1).lower() not in (b"utf-8", b"utf8"):
        raise InvalidMessage(Problem.ENCODING, decl.group(1).decode("ascii"))
    pos = 0
    while True:
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            pos = end + 2 if end >= 0 else len(data)
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos)
            pos = end + 3 if end >= 0 else len(data)
        elif data.startswith(b"<!", pos):
            raise InvalidMessage(Problem.DOCTYPE)
        elif not data.startswith(b"<", pos):
            raise InvalidMessage(Problem.MALFORMED, "có dữ liệu lạ trước phần tử gốc")
        else:
            return data


_local = threading.local()
_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _streaming() -> tuple[etree.XMLParser, _TreeBuilder]:
    """Return this thread's streaming parser (lxml parsers are not thread-safe)."""
    cached = getattr(_local, "streaming", None)
    if cached is None:
        builder = _TreeBuilder()
        cached = _local.streaming = (etree.XMLParser(target=builder, **_OPTIONS), builder)
    return cached


def parse_xml(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse untrusted XML bytes into a `Node` tree.

    :raises InvalidMessage: too large, not UTF-8, has a DOCTYPE, too many elements, or malformed.
    """
    if len(data) > limits.max_message_bytes:
        raise InvalidMessage(Problem.TOO_LARGE, f"{len(data)} > {limits.max_message_bytes} byte")
    return _stream(_check_prolog(data), limits)


def _stream(data: bytes, limits: Limits) -> Node:
    parser, builder = _streaming()
    builder.reset(limits.max_elements)
    try:
        root: Node = etree.fromstring(data, parser)
    except InvalidMessage:
        raise
    except (etree.XMLSyntaxError, etree.ParseError, ValueError) as e:
        raise InvalidMessage(Problem.MALFORMED, str(e)) from e
    finally:
        builder.reset(0)
    return root
