"""Secret documents on the pages: the grants section, grant and revocation with their
confirmation, and the masked rows of lists for users without a grant."""

from __future__ import annotations

from eoffice.documents.grants import holds_grant
from tests.web import test_document_pages as pages
from tests.web.test_document_pages import Env, _register_form, _registered
from tests.web.test_pages import csrf_from

# The pages' module-wide app, its per-test binding, fast logins and the clerk's browser.
shared_app, app, settings = pages.shared_app, pages.app, pages.settings
env, _fast_logins = pages.env, pages._fast_logins

SUBJECT = "Phương án bảo vệ mục tiêu trọng yếu"


def _post(env: Env, document_id: int, path: str, prefix: str, data: dict, status: int = 302):
    url = f"/documents/{document_id}"
    token = csrf_from(env.client.get(url).text)
    fields = {f"{prefix}-{k}": v for k, v in data.items()}
    response = env.client.post(f"{url}/{path}", data={f"{prefix}-csrf_token": token, **fields})
    assert response.status_code == status, pages._flashes(response.text) or response.text[:3000]
    return response


def test_the_registering_clerk_sees_the_secret_document_and_its_grants(env):
    response = env.post(
        "/documents/incoming/new",
        _register_form(secrecy="mat", subject=SUBJECT),
        page="/documents/incoming/new",
    )
    page = env.client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.text
    assert SUBJECT in html and 'data-testid="grants"' in html
    assert f'data-grant-user="{env.org.clerk.id}"' in html
    assert "Cấp quyền xem văn bản mật" in html and "Văn thư vào sổ" in html  # the timeline
    assert 'data-testid="grant-form"' in html


def test_grant_and_revoke_need_the_confirmation_and_a_reason(env):
    doc = _registered(env, secrecy="mat", subject=SUBJECT)
    specialist = env.org.specialist
    refused = _post(env, doc.id, "grants", "grant", {"user_id": specialist.id}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in refused.text
    assert not holds_grant(env.session, specialist.id, doc.id)
    _post(env, doc.id, "grants", "grant", {"user_id": specialist.id, "confirm": "y"})
    assert holds_grant(env.session, specialist.id, doc.id)
    again = _post(
        env, doc.id, "grants", "grant", {"user_id": specialist.id, "confirm": "y"}, status=409
    )
    assert "đã có quyền xem văn bản này" in again.text
    page = env.get(f"/documents/{doc.id}").text
    assert f'data-testid="revoke-{specialist.id}"' in page
    assert f'data-testid="revoke-{env.org.clerk.id}"' not in page  # never one's own

    env.as_user(specialist)
    mine = env.get(f"/documents/{doc.id}").text
    assert SUBJECT in mine and 'data-testid="grants"' in mine
    assert 'data-testid="grant-form"' not in mine  # a specialist does not pass it on

    env.as_user(env.org.clerk)
    path = f"grants/{specialist.id}/revoke"
    prefix = f"revoke-{specialist.id}"
    no_reason = _post(env, doc.id, path, prefix, {"reason": " ", "confirm": "y"}, status=422)
    assert "Thu hồi quyền phải có lý do" in no_reason.text
    unconfirmed = _post(env, doc.id, path, prefix, {"reason": "Đã xong việc"}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in unconfirmed.text
    assert holds_grant(env.session, specialist.id, doc.id)
    _post(env, doc.id, path, prefix, {"reason": "Đã xong việc", "confirm": "y"})
    assert not holds_grant(env.session, specialist.id, doc.id)
    timeline = env.get(f"/documents/{doc.id}").text
    assert "Thu hồi quyền xem văn bản mật" in timeline and "Đã xong việc" in timeline
    env.as_user(specialist)
    env.get(f"/documents/{doc.id}", status=404)


def test_a_grant_to_another_agency_is_refused(env):
    doc = _registered(env, secrecy="mat", subject=SUBJECT)
    stranger = env.factory.org().leader
    refused = _post(
        env, doc.id, "grants", "grant", {"user_id": stranger.id, "confirm": "y"}, status=422
    )
    assert "Chỉ cấp quyền cho người dùng đang hoạt động của cùng cơ quan" in refused.text
    assert not holds_grant(env.session, stranger.id, doc.id)


def test_others_see_a_masked_row_and_never_the_subject(env):
    doc = _registered(env, secrecy="mat", subject=SUBJECT)
    _registered(env, code_number="2", subject="Công văn thường về lịch họp")
    env.as_user(env.factory.user(env.org.agency, "clerk"))
    listing = env.get("/documents/incoming").text
    assert "(Văn bản mật)" in listing and SUBJECT not in listing
    assert f'data-id="{doc.id}"' in listing and "Công văn thường về lịch họp" in listing
    assert f'href="/documents/{doc.id}"' not in listing
    for q in ("bao ve muc tieu", "Phương án"):
        found = env.get(f"/documents/search?q={q}").text
        assert f'data-id="{doc.id}"' not in found and SUBJECT not in found
    env.get(f"/documents/{doc.id}", status=404)
    # The registering clerk sees the whole row.
    env.as_user(env.org.clerk)
    assert SUBJECT in env.get("/documents/incoming").text


def test_the_outgoing_register_masks_a_secret_draft_for_other_leaders(env):
    from tests.documents.test_outgoing_exchange import _draft

    doc = _draft(env.session, env.org, env.policy, secrecy="mat", subject=SUBJECT)
    env.as_user(env.factory.user(env.org.agency, "leader"))
    listing = env.get("/documents/outgoing").text
    assert f'data-id="{doc.id}"' in listing and "(Văn bản mật)" in listing
    assert SUBJECT not in listing and env.org.leader.full_name not in listing
    env.as_user(env.org.leader)  # the signer holds a grant
    assert SUBJECT in env.get("/documents/outgoing").text
