"""Mutated real messages: the parser answers every one with a message or InvalidMessage.

A hypothesis-driven fuzz that runs everywhere the suite runs (the coverage-guided one is
`make fuzz`, tests/fuzz/fuzz_edxml.py). Seeds are the real-shaped messages of tests/data/edxml;
mutations flip, delete, repeat and splice byte ranges and swap in XML-significant tokens.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vxp_adapter.edxml_parse import parse_message
from vxp_adapter.errors import InvalidMessage
from vxp_adapter.xmlsafe import Limits

DATA = Path(__file__).resolve().parents[1] / "data"
# Real-shaped messages, and the inputs that once crashed the parser under the fuzzer.
SEEDS = sorted([*(DATA / "edxml").glob("*.edxml"), *(DATA / "hostile" / "found").glob("*")])
TOKENS = [
    b"<", b">", b"</", b"/>", b"&", b"&amp;", b"&#0;", b"&#x1F;", b"<!DOCTYPE x>", b"<![CDATA[",
    b"]]>", b"<?xml", b'"', b"=", b"xmlns=", b"edXML:", b"\x00", b"\xff", b"\xc3", b"PK\x03\x04",
    b"cid:", b"JVBERi0", b"====", b"<Attachment>", b"</Attachment>", b"<ContentType>application/zip",
]  # fmt: skip
LIMITS = Limits(max_message_bytes=512 * 1024, max_elements=5_000, max_attachment_bytes=1024 * 1024)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(data)))
        end = min(len(data), start + draw(st.integers(0, 64)))
        op = draw(st.sampled_from(["flip", "delete", "repeat", "token", "splice"]))
        if op == "flip" and start < len(data):
            data[start] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[start:end]
        elif op == "repeat":
            data[end:end] = data[start:end] * draw(st.integers(1, 20))
        elif op == "token":
            data[start:end] = draw(st.sampled_from(TOKENS))
        else:
            other = draw(st.sampled_from(SEEDS)).read_bytes()
            at = draw(st.integers(0, len(other)))
            data[start:end] = other[at : at + draw(st.integers(0, 200))]
    return bytes(data[: LIMITS.max_message_bytes])


# Derandomized: the same 400 mutations on every run, so the suite cannot fail by chance.
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_a_mutated_message_parses_or_is_invalid(data: bytes) -> None:
    try:
        parse_message(data, LIMITS)
    except InvalidMessage as e:
        assert e.code and e.message  # noqa: PT017 - any other exception fails the test
