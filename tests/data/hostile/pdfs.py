"""Hostile and damaged PDFs, written object by object so that each one is exactly what it says.

`python -m tests.data.hostile.generate` writes the small ones into ``pdf/``; the large ones
(a content-stream bomb) are built by the tests that need them, never committed.
"""

from __future__ import annotations

import io
import zlib

TEXT = b"BT /F1 12 Tf 72 770 Td (Cong van thu nghiem) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def stream(data: bytes, extra: bytes = b"", *, compress: bool = False) -> bytes:
    """Return a stream object body (its dictionary carries the right /Length)."""
    if compress:
        data, extra = zlib.compress(data, 9), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def assemble(objects: dict[int, bytes], *, trailer: bytes = b"", shift_xref: int = 0) -> bytes:
    """Return a PDF of ``objects`` (number → body) with a classic xref table and trailer.

    ``shift_xref`` moves every recorded offset (a "wrong xref" file); object 1 is the catalog.
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    size = max(objects) + 1
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        if number in offsets:
            out.write(b"%010d 00000 n \n" % (offsets[number] + shift_xref))
        else:
            out.write(b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (size, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def one_page(
    catalog_extra: bytes = b"", page_extra: bytes = b"", more: dict | None = None
) -> bytes:
    """A valid one-page PDF with a line of text; extras go into the catalog and the page."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >>%s >>" % page_extra,
        4: stream(TEXT),
        5: FONT,
    }
    objects.update(more or {})
    return assemble(objects)


def valid() -> bytes:
    return one_page()


def truncated() -> bytes:
    """The valid file cut short: no xref, no trailer, no %%EOF."""
    data = valid()
    return data[: len(data) * 3 // 5]


def wrong_xref() -> bytes:
    """Every xref offset is off by 7 bytes (readers repair this by scanning)."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream(TEXT),
        5: FONT,
    }
    return assemble(objects, shift_xref=7)


def header_only() -> bytes:
    return b"%PDF-1.7\n%%EOF\n"


def garbage_after_header() -> bytes:
    return b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def page_tree_dag(levels: int = 40) -> bytes:
    """A page tree whose nodes list the same child twice: 2**levels pages from 40 objects."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    for level in range(levels):
        number, child = 2 + level, 3 + level
        objects[number] = b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>" % (
            child,
            child,
            2 ** (levels - level),
        )
    leaf = 2 + levels
    objects[leaf] = (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
        b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (leaf - 1, leaf + 1, leaf + 2)
    )
    objects[leaf + 1] = stream(TEXT)
    objects[leaf + 2] = FONT
    return assemble(objects)


def page_tree_cycle() -> bytes:
    """The page tree lists itself among its kids."""
    return one_page(more={2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"})


def huge_count() -> bytes:
    """One real page, a /Count of two thousand million."""
    return one_page(more={2: b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>"})


def deep_nesting(depth: int = 20_000) -> bytes:
    """An array nested ``depth`` deep in the catalog (recursive-descent parsers overflow)."""
    return one_page(catalog_extra=b" /Junk " + b"[" * depth + b"]" * depth)


def javascript_open_action() -> bytes:
    return one_page(
        catalog_extra=b" /OpenAction 6 0 R",
        more={6: b"<< /Type /Action /S /JavaScript /JS (app.alert\\('xin chao'\\);) >>"},
    )


def javascript_name_tree() -> bytes:
    """Document-level JavaScript in the /Names tree, its JS in a compressed stream."""
    return one_page(
        catalog_extra=b" /Names << /JavaScript << /Names [(a) 6 0 R] >> >>",
        more={
            6: b"<< /S /JavaScript /JS 7 0 R >>",
            7: stream(b"this.submitForm('http://127.0.0.1:9/');", compress=True),
        },
    )


def javascript_link_annotation() -> bytes:
    """A link on the page runs JavaScript, the action's name written with a # escape."""
    return one_page(
        page_extra=b" /Annots [6 0 R]",
        more={
            6: b"<< /Type /Annot /Subtype /Link /Rect [72 760 300 780] /Border [0 0 0]"
            b" /A << /S /J#61vaScript /JS (app.launchURL\\('http://127.0.0.1:9/'\\);) >> >>"
        },
    )


def javascript_page_additional_action() -> bytes:
    """A page-open additional action (/AA /O) compressed inside an object stream, which only a
    cross-reference stream can point at: nothing of it shows in the raw bytes."""
    hidden = b"<< /S /JavaScript /JS (app.alert\\(1\\);) >>"
    header = b"6 0 "
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /AA << /O 6 0 R >> >>",
        4: stream(TEXT),
        5: FONT,
        7: stream(header + hidden, b" /Type /ObjStm /N 1 /First %d" % len(header), compress=True),
    }
    return _assemble_with_xref_stream(objects, compressed={6: (7, 0)})


def _assemble_with_xref_stream(
    objects: dict[int, bytes], compressed: dict[int, tuple[int, int]]
) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref_number = max([*objects, *compressed]) + 1
    offsets[xref_number] = out.tell()
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, xref_number + 1):
        if number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
        elif number in compressed:
            holder, index = compressed[number]
            rows.append(b"\x02" + holder.to_bytes(4, "big") + index.to_bytes(2, "big"))
        else:
            rows.append(b"\x00\x00\x00\x00\x00\xff\xff")
    extra = b" /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1)
    body = stream(b"".join(rows), extra, compress=True)
    out.write(b"%d 0 obj\n%s\nendobj\n" % (xref_number, body))
    out.write(b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number])
    return out.getvalue()


def launch_action() -> bytes:
    return one_page(
        catalog_extra=b" /OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) >>"
    )


def encrypted(user_password: str) -> bytes:
    """The valid file encrypted with pypdf (AES-128); an empty user password opens for all."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(valid())))
    writer.encrypt(user_password, "chu-so-huu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def content_bomb(operators: int = 2_000_000) -> bytes:
    """A page whose compressed content stream holds ``operators`` text operators (tiny on disk,
    slow to interpret)."""
    content = b"BT /F1 1 Tf " + b"(x) Tj " * operators + b"ET"
    return one_page(more={4: stream(content, compress=True)})


def form_xobject_bomb(levels: int = 12, fan_out: int = 8) -> bytes:
    """Form XObjects that each draw the next one ``fan_out`` times: fan_out**levels draws."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /X 10 0 R >> >> >>",
        4: stream(b"/X Do"),
        5: FONT,
    }
    for level in range(levels):
        number = 10 + level
        if level + 1 < levels:
            body = b"/X Do " * fan_out
            resources = b"<< /XObject << /X %d 0 R >> >>" % (number + 1)
        else:
            body, resources = TEXT, b"<< /Font << /F1 5 0 R >> >>"
        extra = b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources %s" % resources
        objects[number] = stream(body, extra)
    return assemble(objects)


# File name → builder, for the committed files (each under 64 KB).
SMALL = {
    "valid.pdf": valid,
    "truncated.pdf": truncated,
    "wrong-xref.pdf": wrong_xref,
    "header-only.pdf": header_only,
    "garbage-after-header.pdf": garbage_after_header,
    "page-tree-dag.pdf": page_tree_dag,
    "page-tree-cycle.pdf": page_tree_cycle,
    "huge-page-count.pdf": huge_count,
    "deep-nesting.pdf": deep_nesting,
    "javascript-open-action.pdf": javascript_open_action,
    "javascript-name-tree.pdf": javascript_name_tree,
    "javascript-link.pdf": javascript_link_annotation,
    "javascript-objstm.pdf": javascript_page_additional_action,
    "launch-action.pdf": launch_action,
    "encrypted-user-password.pdf": lambda: encrypted("mat-khau"),
    "encrypted-empty-password.pdf": lambda: encrypted(""),
    "form-xobject-bomb.pdf": form_xobject_bomb,
}
