"""Withdrawal, update and replacement on the pages (with their confirmation) and in the API."""

from __future__ import annotations

from eoffice.documents.models import Document
from tests.documents.conftest import make_pdf
from tests.web import test_document_pages as pages
from tests.web.test_api_documents import Api, _arrival, error, tokens_for
from tests.web.test_document_pages import Env

# The pages' module-wide app, its per-test binding, fast logins and the clerk's browser.
shared_app, app, settings = pages.shared_app, pages.app, pages.settings
env, _fast_logins = pages.env, pages._fast_logins


def _sent(env: Env) -> tuple[Document, Document, object]:
    """Issue a document from ``env.org`` to a second agency here: (outgoing, its copy, receiver)."""
    receiver = env.factory.org()
    copy_id = _arrival(
        env.session, env.org, receiver, env.app.extensions["eoffice"]["settings"].effective_blob_dir
    )
    copy = env.session.get(Document, copy_id)
    return env.session.get(Document, copy.sender_document_id), copy, receiver


def test_the_clerk_withdraws_with_a_reason_and_a_confirmation(env):
    sent, copy, receiver = _sent(env)
    page = env.get(f"/documents/{sent.id}").text
    assert 'data-action="withdraw"' in page and 'data-action="update"' in page
    assert "Soạn văn bản thay thế" in page
    refused = env.act(sent, "withdraw", {"reason": "Ban hành nhầm"}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in refused.text
    assert env.reload(sent).status == "issued"  # nothing done without the confirmation
    no_reason = env.act(sent, "withdraw", {"reason": " ", "confirm": "y"}, status=422)
    assert "Phải nêu lý do" in no_reason.text and env.reload(sent).status == "issued"
    env.act(sent, "withdraw", {"reason": "Ban hành nhầm", "confirm": "y"})
    page = env.get(f"/documents/{sent.id}").text
    assert "Văn bản đã được thu hồi ngày" in page and "Ban hành nhầm" in page
    assert 'data-action="withdraw"' not in page and "Thu hồi văn bản đã phát hành" in page
    assert "Đã thu hồi" in page  # the recipient's line
    env.as_user(receiver.clerk)
    theirs = env.get(f"/documents/{copy.id}").text
    assert "Nơi gửi đã thu hồi văn bản ngày" in theirs and "Nơi gửi thu hồi văn bản" in theirs
    assert 'data-action="accept"' not in theirs


def test_the_clerk_corrects_metadata_and_both_pages_show_it(env):
    sent, copy, receiver = _sent(env)
    fields = {
        "subject": "V/v phối hợp kiểm tra (đã sửa)",
        "urgency": "khan",
        "reason": "Sai trích yếu",
    }
    env.act(sent, "update", fields, status=422)  # no confirmation: nothing changes
    assert env.reload(sent).subject == "V/v phối hợp kiểm tra"
    env.act(sent, "update", {**fields, "confirm": "y"})
    page = env.get(f"/documents/{sent.id}").text
    assert "Cập nhật thông tin, gửi nơi nhận" in page and "Đã cập nhật" in page
    assert env.reload(copy).subject == "V/v phối hợp kiểm tra (đã sửa)"
    env.as_user(receiver.clerk)
    theirs = env.get(f"/documents/{copy.id}").text
    assert "Nơi gửi cập nhật thông tin văn bản" in theirs and "Sai trích yếu" in theirs


def test_a_replacement_draft_starts_from_the_old_document(env):
    sent, _copy, _receiver = _sent(env)
    env.as_user(env.org.specialist)
    page = env.get(f"/documents/outgoing/new?replaces={sent.id}").text
    assert 'data-testid="replaces"' in page and sent.code in page
    assert f'name="replaces_id" type="hidden" value="{sent.id}"' in page


# ----- the API --------------------------------------------------------------------------------


def test_api_withdraw_and_update_with_their_refusals(app, client, factory, db_session, settings):
    sender, receiver = factory.org(), factory.org()
    api = Api(app, client, sender, tokens_for(db_session, sender))
    theirs = Api(app, client, receiver, tokens_for(db_session, receiver))
    copy_id = _arrival(db_session, sender, receiver, settings.effective_blob_dir)
    sent_id = db_session.get(Document, copy_id).sender_document_id
    url = f"/api/v1/documents/{sent_id}"
    error(api.post(f"{url}/update", {"reason": "x"}), 422, "invalid_input")  # nothing changed
    error(api.post(f"{url}/update", {"reason": "x", "urgency": "rat_khan"}), 422, "invalid_input")
    updated = api.post(f"{url}/update", {"reason": "Sửa hạn", "due_date": "2099-05-01"})
    body = updated.get_json()
    assert body["due_date"] == "2099-05-01"
    assert body["recipients"][0]["change_status"] == "update_applied"
    assert body["timeline"][-1]["action"] == "document.update"
    error(api.post(f"{url}/withdraw", {}), 422, "invalid_input")
    error(api.post(f"{url}/withdraw", {"reason": " "}), 422, "invalid_input")
    error(api.post(f"{url}/withdraw", {"reason": "x"}, who="leader"), 403, "forbidden")
    error(theirs.post(f"{url}/withdraw", {"reason": "x"}), 404, "not_found")
    done = api.post(f"{url}/withdraw", {"reason": "Ban hành nhầm"}).get_json()
    assert (done["status"], done["cancel_reason"]) == ("withdrawn", "Ban hành nhầm")
    assert done["cancelled_at"] and done["recipients"][0]["status"] == "recalled"
    error(api.post(f"{url}/withdraw", {"reason": "Lần nữa"}), 409, "invalid_transition")
    copy = theirs.call("GET", f"/api/v1/documents/{copy_id}").get_json()
    assert (copy["status"], copy["files"], copy["subject"]) == ("recalled", [], "(đã thu hồi)")
    draft = api.upload(
        "outgoing",
        {"type_code": "CV", "subject": "Nháp", "signer_id": sender.leader.id},
        make_pdf(),
        who="specialist",
    ).get_json()
    error(
        api.post(f"/api/v1/documents/{draft['id']}/withdraw", {"reason": "x"}),
        409,
        "invalid_transition",
    )
    replacing = api.upload(
        "outgoing",
        {
            "type_code": "CV",
            "subject": "Thay thế",
            "signer_id": sender.leader.id,
            "replaces_id": sent_id,
        },
        make_pdf(),
        who="specialist",
    )
    assert "replaces_id" in error(replacing, 422, "invalid_input")["fields"]  # withdrawn already
