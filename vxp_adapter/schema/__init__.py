"""The adapter's own XSD for the edXML it emits (package data: edxml.xsd)."""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources

from lxml import etree

from vxp_adapter.errors import InvalidMessage, Problem

_local = threading.local()


@cache
def _xsd_text() -> bytes:
    return resources.files(__name__).joinpath("edxml.xsd").read_bytes()


def _tools() -> tuple[etree.XMLParser, etree.XMLSchema]:
    """Return this thread's parser and schema (lxml objects are not shared between threads)."""
    cached = getattr(_local, "tools", None)
    if cached is None:
        safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        schema = etree.XMLSchema(etree.fromstring(_xsd_text(), safe))
        # Only for our own output: huge_tree lifts the 10 MB text-node cap for base64.
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
        )
        cached = _local.tools = (parser, schema)
    return cached


def validate(data: bytes) -> None:
    """Check edXML bytes we produced against the adapter's XSD.

    :raises InvalidMessage: the document does not satisfy the schema.
    """
    parser, schema = _tools()
    try:
        doc = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise InvalidMessage(Problem.SCHEMA, str(e)) from e
    if not schema.validate(doc):
        raise InvalidMessage(Problem.SCHEMA, str(schema.error_log.last_error))
