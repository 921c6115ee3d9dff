"""Hostile PDFs and file names through the registry's upload pages and its JSON API.

A refused file gives the clerk a Vietnamese message next to the file field (the API a machine
code) and leaves no document, no file row and no stored file — also when another field of the
same form is wrong, so that the form would otherwise keep the file for the next try.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from eoffice.documents.models import Document, DocumentFile
from tests.hostile.conftest import PDF_EXPECTED, corpus_pdf, stored_files
from tests.web.test_api_documents import Api, incoming, tokens_for
from tests.web.test_document_pages import _draft_form, _register_form

REFUSED = {name: code for name, code in PDF_EXPECTED.items() if code}
ACCEPTED = [name for name, code in PDF_EXPECTED.items() if code is None]
# What the clerk reads next to the file field, per refusal code.
FIELD_MESSAGE = {
    "pdf_malformed": "PDF bị hỏng",
    "pdf_encrypted": "PDF bị mã hóa",
    "pdf_active_content": "PDF chứa mã tự chạy",
}
HOSTILE_NAMES = [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    # werkzeug reads a backslash in a quoted filename as an escape: "....Windowswin.ini.pdf"
    ("..\\..\\Windows\\win.ini.pdf", "Windowswin.ini.pdf"),
    ("<script>alert(1)</script>.pdf", "script.pdf"),
    ("hoa-don\u202efdp.exe.pdf", "hoa-donfdp.exe.pdf"),
    ("..", "tep-dinh-kem"),
    ("x" * 300 + ".pdf", "x" * 255),
]


def _documents(session) -> tuple[int, int]:
    count = lambda model: session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    return count(Document), count(DocumentFile)


# ----- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), REFUSED.items())
@pytest.mark.parametrize("page", ["/documents/incoming/new", "/documents/outgoing/new"])
def test_pages_refuse_the_file_and_store_nothing(env, settings, page, name, code):
    store = settings.effective_blob_dir
    before, files = _documents(env.session), stored_files(store)
    if "outgoing" in page:
        env.as_user(env.org.specialist)
        form = _draft_form(signer_id=str(env.org.leader.id))
    else:
        form = _register_form()
    form["file"] = (io.BytesIO(corpus_pdf(name)), name)
    response = env.post(page, form, status=422)
    assert FIELD_MESSAGE[code] in response.text
    assert _documents(env.session) == before and stored_files(store) == files


@pytest.mark.parametrize("name", ["javascript-objstm.pdf", "encrypted-user-password.pdf"])
def test_a_refused_file_is_not_kept_when_another_field_is_also_wrong(env, settings, name):
    files = stored_files(settings.effective_blob_dir)
    form = _register_form(subject="", file=(io.BytesIO(corpus_pdf(name)), name))
    response = env.post("/documents/incoming/new", form, status=422)
    assert "Trích yếu là bắt buộc" in response.text
    assert FIELD_MESSAGE[REFUSED[name]] in response.text
    assert 'name="kept_file" type="hidden" value=""' in response.text
    assert stored_files(settings.effective_blob_dir) == files


@pytest.mark.parametrize("name", ACCEPTED)
def test_pages_accept_readable_files(env, name):
    form = _register_form(file=(io.BytesIO(corpus_pdf(name)), name))
    response = env.post("/documents/incoming/new", form)
    assert re.search(r"/documents/\d+$", response.headers["Location"])


# ----- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api(app, client, factory, db_session) -> Api:
    org = factory.org()
    return Api(app, client, org, tokens_for(db_session, org))


@pytest.mark.parametrize(("name", "code"), PDF_EXPECTED.items())
def test_the_api_answers_each_file_with_its_code(api, db_session, settings, name, code):
    before, files = _documents(db_session), stored_files(settings.effective_blob_dir)
    response = api.upload("incoming", incoming(), corpus_pdf(name))
    if code is None:
        assert response.status_code == 201, response.get_json()
        return
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == code
    assert error["fields"] == {"file": FIELD_MESSAGE[code]} and error["message"]
    assert _documents(db_session) == before and stored_files(settings.effective_blob_dir) == files


@pytest.mark.parametrize("kind", ["incoming", "outgoing"])
def test_the_api_refuses_javascript_in_drafts_too(api, db_session, kind):
    metadata = incoming() if kind == "incoming" else _outgoing(api)
    response = api.upload(kind, metadata, corpus_pdf("javascript-open-action.pdf"), who=_who(kind))
    assert response.get_json()["error"]["code"] == "pdf_active_content"


def _outgoing(api: Api) -> dict:
    return {"type_code": "CV", "subject": "V/v thử", "signer_id": api.org.leader.id}


def _who(kind: str) -> str:
    return "clerk" if kind == "incoming" else "specialist"


@pytest.mark.parametrize(("sent", "kept"), HOSTILE_NAMES)
def test_file_names_keep_their_last_part_and_download_safely(api, sent, kept):
    parts = {
        "metadata": json.dumps(incoming()),
        "file": (io.BytesIO(corpus_pdf("valid.pdf")), sent, "application/pdf"),
    }
    response = api.call(
        "POST", "/api/v1/documents/incoming", data=parts, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    (stored,) = response.get_json()["files"]
    assert stored["name"] == kept
    download = api.call("GET", f"/api/v1/documents/{response.get_json()['id']}/file")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "/" not in disposition.split("filename", 1)[1]
