"""Hostile edXML through the adapter's parser (what `eoffice vxp parse`, the hub and the sync
jobs all call): a typed problem code for each, within a memory cap, and nothing read from disk
or the network."""

from __future__ import annotations

import pytest

from tests.data.hostile import edxml
from tests.hostile.conftest import CORPUS, EDXML_EXPECTED, MB, corpus_edxml, in_bounded_child
from vxp_adapter.edxml_parse import parse_message
from vxp_adapter.errors import InvalidMessage
from vxp_adapter.model import Edoc


def _parse(data: bytes) -> tuple[str, object]:
    """("ok", a summary of the message) or ("refused", problem code)."""
    try:
        message = parse_message(data)
    except InvalidMessage as e:
        assert e.message[0].isupper()  # noqa: PT017 - a Vietnamese sentence for the admin
        return "refused", str(e.code)
    if isinstance(message, Edoc):
        fields = [message.subject, message.sender.organ_name, message.content, message.place]
        names = [a.name for a in message.attachments]
        return "ok", (fields, names, [len(a.data) for a in message.attachments])
    return "ok", ([message.description], [], [])


@pytest.mark.parametrize(("name", "expected"), EDXML_EXPECTED.items())
def test_each_message_parses_or_is_refused_with_its_code(name: str, expected: tuple) -> None:
    code, _ = expected
    kind, value = in_bounded_child(_parse, corpus_edxml(name), limit_bytes=100 * MB)
    assert (kind, value if kind == "refused" else None) == (
        ("refused", code) if code else ("ok", None)
    )
    if kind == "ok":
        fields, names, _sizes = value
        assert not any("root:" in f for f in fields)  # /etc/passwd was never read
        for attachment_name in names:
            assert "/" not in attachment_name and "\\" not in attachment_name
            assert attachment_name.isprintable() and attachment_name not in ("", ".", "..")


def test_a_zip_that_would_inflate_to_a_quarter_gigabyte_is_refused_before_inflating() -> None:
    bomb = edxml.zip_bomb(256 * MB)  # about 1.5 MB of base64
    assert len(bomb) < 2 * MB
    assert in_bounded_child(_parse, bomb, limit_bytes=60 * MB) == ("refused", "zip_bomb")


def test_base64_over_the_attachment_limit_is_refused_before_decoding() -> None:
    big = edxml.huge_base64(101 * MB)  # the limit is 100 MB after decoding
    assert in_bounded_child(_parse, big, limit_bytes=len(big) + 160 * MB) == (
        "refused",
        "attachment_too_large",
    )


def test_a_message_over_the_size_limit_is_refused_unread() -> None:
    from vxp_adapter.xmlsafe import Limits

    small = Limits(max_message_bytes=10_000)
    with pytest.raises(InvalidMessage) as refused:
        parse_message(corpus_edxml("many-elements.edxml"), small)
    assert refused.value.code == "message_too_large"


FOUND = sorted((CORPUS / "found").glob("*"))


@pytest.mark.parametrize("path", FOUND, ids=[p.name for p in FOUND])
def test_inputs_the_fuzzer_found_are_refused_with_a_code(path) -> None:
    """Each crashed the parser once (an exception other than InvalidMessage escaped)."""
    kind, _ = in_bounded_child(_parse, path.read_bytes(), limit_bytes=100 * MB)
    assert kind in ("ok", "refused")
