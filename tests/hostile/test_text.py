"""Hostile text in the fields people type and the API sends.

Text a database cannot store (NUL, other control characters, lone surrogates) is refused with
``invalid_characters`` before any view runs, on both engines (PostgreSQL answered 500 before).
Markup, template syntax, formulas, SQL and PDF syntax are stored as typed and shown as typed:
escaped on every page that shows them, literal text in the PDF register, a text cell — never a
formula — in the XLSX register and the lateness report.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from eoffice import clock
from eoffice.documents.models import Document
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from eoffice.tasks.models import Task
from tests.hostile.conftest import hostile_strings
from tests.web.test_api_documents import Api, incoming, tokens_for
from tests.web.test_document_pages import _register_form

UNSTORABLE = {
    "nul": "V/v thử\x00nghiệm",
    "escape": "V/v \x1b[31mđỏ\x1b[0m",
    "vertical_tab": "V/v\x0bthử",
    "lone_surrogate": "V/v \ud800 thử",
    "noncharacter": "V/v \uffff thử",
}
# Typed into the registration form: the fields and the strings, within each field's length.
STRINGS = hostile_strings()
MARKUP = ("<script>alert", "<img src=x", '"><img')


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _no_raw_markup(html: str) -> None:
    for raw in MARKUP:
        assert raw not in html, raw


# ----- what cannot be stored is refused everywhere ----------------------------------------------


FORM_TYPABLE = {k: v for k, v in UNSTORABLE.items() if k != "lone_surrogate"}  # not UTF-8


@pytest.mark.parametrize("value", FORM_TYPABLE.values(), ids=FORM_TYPABLE)
def test_the_registration_page_refuses_unstorable_text(env, value):
    before = _count(env.session, Document)
    response = env.post("/documents/incoming/new", _register_form(subject=value), status=422)
    assert "ký tự điều khiển" in response.text
    assert _count(env.session, Document) == before


@pytest.mark.parametrize(
    "url", ["/documents/search?q=a%00b", "/tasks/?q=a%00b", "/registers?kind=%1b"]
)
def test_query_strings_with_control_characters_are_refused_not_crashed(env, url):
    response = env.client.get(url)
    assert response.status_code == 422 and "ký tự điều khiển" in response.text


@pytest.fixture
def api(app, client, factory, db_session) -> Api:
    org = factory.org()
    return Api(app, client, org, tokens_for(db_session, org))


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE)
def test_the_api_refuses_unstorable_text_in_metadata(api, db_session, value):
    before = _count(db_session, Document)
    response = api.upload("incoming", json.dumps(incoming(subject=value)), _pdf())
    error = response.get_json()["error"]
    if value == UNSTORABLE["lone_surrogate"]:  # pydantic's JSON reader refuses it already
        assert (response.status_code, error["code"]) == (400, "bad_json")
    else:
        assert (response.status_code, error["code"]) == (422, "invalid_characters")
        assert set(error["fields"]) == {"subject"}
    assert _count(db_session, Document) == before


def test_the_api_refuses_unstorable_text_in_json_bodies(api, db_session):
    document = api.register()
    raw = b'{"reason": "tr\\u1ea3 l\\u1ea1i \\u0000"}'
    response = api.post(f"/api/v1/documents/{document['id']}/return", raw=raw)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "reason": "Có ký tự điều khiển hoặc ký tự không hợp lệ"
    }


def test_the_tasks_api_refuses_a_lone_surrogate(client, factory, db_session):
    org = factory.org()
    token = create_api_token(db_session, Actor.system(), org.leader)[1]
    db_session.commit()
    body = b'{"title": "x\\ud800", "lead_agency": "%s", "due_date": "2099-01-02"}' % (
        org.agency.code.encode()
    )
    response = client.post(
        "/api/v1/tasks",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "title": "Có ký tự điều khiển hoặc ký tự không hợp lệ"
    }
    assert _count(db_session, Task) == 0


def test_invalid_utf8_in_a_request_is_read_as_replacement_characters(env):
    page = env.get("/documents/search?q=quy%E1%BA%BFt%FF%FEd")  # 200: bytes read as U+FFFD
    assert "0 văn bản" in page.text


def _pdf() -> bytes:
    from tests.documents.conftest import make_pdf

    return make_pdf()


# ----- what can be stored is shown as typed ------------------------------------------------------


def _hostile_registration() -> dict:
    return _register_form(
        subject=" ".join(STRINGS.values()),
        organ_name=STRINGS["attribute_break"],
        code_notation=STRINGS["script_tag"],  # 29 characters: fits ký hiệu's 30
        signer_name=STRINGS["formula_equals"][:50],
        signer_position=STRINGS["template_syntax"],
        description=STRINGS["sql_quote"] + " " + STRINGS["pdf_string_syntax"],
    )


@pytest.fixture
def hostile_document(env):
    response = env.post("/documents/incoming/new", _hostile_registration())
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_pages_show_every_hostile_value_escaped(env, hostile_document):
    today = clock.today()
    period = f"date_from={(today - timedelta(days=1)).isoformat()}&date_to={today.isoformat()}"
    pages = [
        f"/documents/{hostile_document}",
        "/documents/incoming",
        "/documents/search?q=script",
        "/documents/search?q=%27%3B+DROP+TABLE+documents%3B+--+100%25+_%C4%91%E1%BB%A7_",
        f"/registers?kind=incoming&{period}",
    ]
    for url in pages:
        html = env.get(url).text
        _no_raw_markup(html)
        assert "&lt;script&gt;alert(" in html or "&lt;script&gt;" in html, url
    detail = env.get(f"/documents/{hostile_document}").text
    assert "{{ 7*7 }}" in detail  # shown, not evaluated


def test_the_xlsx_register_has_text_cells_and_no_formula(env, hostile_document):
    today = clock.today().isoformat()
    response = env.get(f"/registers/incoming.xlsx?series=den&date_from={today}&date_to={today}")
    with zipfile.ZipFile(io.BytesIO(response.data)) as xlsx:
        for name in xlsx.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in xlsx.read(name) and b"<f " not in xlsx.read(name)
    sheet = load_workbook(io.BytesIO(response.data)).active
    texts = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert any("<script>alert('xss')</script>" in t for t in texts)  # as typed, as text
    for text in texts:
        assert not text.startswith(("=", "+", "-", "@", "\t")), text


def test_the_pdf_register_prints_the_values_as_text(env, hostile_document):
    today = clock.today().isoformat()
    response = env.get(f"/registers/incoming.pdf?series=den&date_from={today}&date_to={today}")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert "<script>alert('xss')</script>" in flat.replace("> <", "><")
    assert "(Tj) \\) ET BT" in flat  # PDF syntax typed by a user stays text


def test_task_pages_and_report_exports_escape_and_neutralise(env, client, factory, db_session):
    leader = env.org.leader
    token = create_api_token(db_session, Actor.system(), leader)[1]
    department = factory.org(parent=env.org.agency)
    department.agency.name = STRINGS["formula_equals"]  # an agency named like a formula
    db_session.commit()
    body = {
        "title": STRINGS["script_tag"] + " " + STRINGS["attribute_break"],
        "content": STRINGS["template_syntax"],
        "lead_agency": department.agency.code,
        "due_date": (clock.today() + timedelta(days=30)).isoformat(),
    }
    created = env.client.post(
        "/api/v1/tasks", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.get_json()
    env.as_user(leader)
    page = env.get(f"/tasks/{created.get_json()['id']}").text
    _no_raw_markup(page)
    assert "&lt;script&gt;" in page and "{{ 7*7 }}" in page
    today = clock.today()
    period = f"date_from={today.replace(day=1).isoformat()}&date_to={(today + timedelta(days=60)).isoformat()}"
    xlsx = env.get(f"/reports/lateness.xlsx?{period}").data
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        assert all(b"<f>" not in book.read(n) for n in book.namelist() if "worksheets" in n)
    names = [r[0] for r in load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True)]
    assert "'" + STRINGS["formula_equals"] in names
    assert env.get(f"/reports/lateness.pdf?{period}").data.startswith(b"%PDF")
