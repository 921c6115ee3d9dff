"""Write the committed hostile-input corpus: ``python -m tests.data.hostile.generate``.

Every file here is small (the largest is about 120 KB); the bombs that would be megabytes on disk
(a content stream of millions of operators, base64 over the size limit, a zip inflating to a
gigabyte) are built in memory by the tests from the same builders. See README.md for what each
file is and what eoffice must do with it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from tests.data.hostile import edxml, pdfs

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024


def strings() -> dict[str, str]:
    """The hostile text values (HTML, formulas, SQL, PDF syntax, bidi tricks) by name."""
    return json.loads((HERE / "strings.json").read_text(encoding="utf-8"))


EDXML: dict[str, Callable[[], bytes]] = {
    "billion-laughs.edxml": edxml.billion_laughs,
    "quadratic-blowup.edxml": edxml.quadratic_blowup,
    "external-entity.edxml": edxml.external_entity,
    "parameter-entity.edxml": edxml.parameter_entity,
    "doctype-after-bom.edxml": edxml.doctype_after_bom_and_comment,
    "xinclude.edxml": edxml.xinclude,
    "deep-nesting.edxml": edxml.deep_nesting,
    "many-elements.edxml": edxml.many_elements,
    "too-many-attachments.edxml": edxml.too_many_attachments,
    "bad-base64.edxml": edxml.bad_base64,
    "utf16.edxml": edxml.utf16,
    "latin1-declared.edxml": edxml.latin1_declared,
    "invalid-utf8.edxml": edxml.invalid_utf8,
    "nul-reference.edxml": edxml.nul_reference,
    "control-reference.edxml": edxml.control_reference,
    "zip-bomb.edxml": lambda: edxml.zip_bomb(20 * MB),
    "zip-lying-about-size.edxml": edxml.zip_lying_about_size,
    "zip-many-entries.edxml": edxml.zip_many_entries,
    "zip-nested.edxml": edxml.zip_nested,
    "zip-traversal-entry.edxml": edxml.zip_traversal_entry,
    "zip-encrypted-entry.edxml": edxml.zip_encrypted_entry,
    "hostile-file-names.edxml": edxml.hostile_file_names,
    "text-injection.edxml": lambda: edxml.text_injection(strings()),
    "overlong-fields.edxml": edxml.overlong_fields,
    "status-injection.edxml": lambda: edxml.status("<b>13</b>", strings()["script_tag"]),
    "pdf-encrypted.edxml": lambda: edxml.pdf_attached("encrypted-user-password.pdf"),
    "pdf-truncated.edxml": lambda: edxml.pdf_attached("truncated.pdf"),
    "pdf-deep-nesting.edxml": lambda: edxml.pdf_attached("deep-nesting.pdf"),
    "pdf-javascript.edxml": lambda: edxml.pdf_attached("javascript-objstm.pdf"),
    "pdf-page-tree-dag.edxml": lambda: edxml.pdf_attached("page-tree-dag.pdf"),
}


# AES draws a random IV: these differ on every run, so they are written only when missing.
RANDOM = frozenset(
    {"encrypted-user-password.pdf", "encrypted-empty-password.pdf", "pdf-encrypted.edxml"}
)


def main(force: bool = False) -> None:
    written = 0
    for folder, builders in (("pdf", pdfs.SMALL), ("edxml", EDXML)):
        target = HERE / folder
        target.mkdir(exist_ok=True)
        for name, build in builders.items():
            path = target / name
            if path.exists() and name in RANDOM and not force:
                continue
            data = build()
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
                written += 1
    print(f"{written} of {len(pdfs.SMALL) + len(EDXML)} files written under {HERE}")


if __name__ == "__main__":
    main(force="--force" in sys.argv)
