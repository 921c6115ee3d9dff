"""Quản trị chữ ký số: installing leaders' and agencies' PKCS#12 keys and images."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from eoffice.documents.demo import seal_image, signature_image
from eoffice.org.credentials import active_credential
from eoffice.org.models import SigningCredential
from eoffice.settings import load_settings
from signing.pki import build_demo_pki, issue_identity
from tests.conftest import bind_session
from tests.factories import _HASH, PASSWORD
from tests.registry_signing import LEADER_P12, TOKEN_PIN, UsbToken, chain_pem
from tests.softhsm import MODULE as SOFTHSM_MODULE
from tests.web.test_pages import csrf_from, login

PASSPHRASE = "Khoa-ky-so-2026"


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the module, with this blueprint registered if the app does not yet."""
    from eoffice.web import create_app
    from eoffice.web.admin_signing import bp

    settings = load_settings(
        env="test",
        instance_dir=tmp_path_factory.mktemp("signing") / "instance",
        secret_key="x" * 40,
        base_url="http://127.0.0.1:5000",
        signing_pkcs11_module=SOFTHSM_MODULE,
    )
    app = create_app(settings, session_factory=lambda: None)
    if "admin_signing" not in app.blueprints:
        app.register_blueprint(bp)
    return app


@pytest.fixture
def app(shared_app, db_connection, monkeypatch):
    monkeypatch.setitem(
        shared_app.extensions["eoffice"], "session_factory", lambda: bind_session(db_connection)
    )
    return shared_app


@pytest.fixture(autouse=True)
def _fast_logins(monkeypatch):
    from eoffice.org import auth

    monkeypatch.setattr(
        auth, "verify_password", lambda hashed, password: hashed == _HASH and password == PASSWORD
    )
    monkeypatch.setattr(auth, "needs_rehash", lambda hashed: False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    built = build_demo_pki(
        directory, leaders=[], agencies=[], passphrase=PASSPHRASE, key_algorithm="ec-p256"
    )
    built = issue_identity(
        built,
        "Nguyễn Văn Lãnh",
        kind="leader",
        passphrase=PASSPHRASE,
        file_stem="lanh",
        key_algorithm="ec-p256",
    )
    return issue_identity(
        built,
        "UBND Tỉnh Thử",
        kind="seal",
        passphrase=PASSPHRASE,
        file_stem="ubnd",
        key_algorithm="ec-p256",
    )


@pytest.fixture
def org(client, factory):
    org = factory.org()
    assert login(client, org.admin.username).status_code == 302
    return org


def _post(client, url, *, p12: bytes, image: bytes | None, passphrase: str = PASSPHRASE, **extra):
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "passphrase": passphrase,
        "pkcs12": (io.BytesIO(p12), "khoa.p12"),
        **extra,
    }
    if image is not None:
        data["image"] = (io.BytesIO(image), "anh.png")
    return client.post(url, data=data, content_type="multipart/form-data")


def _field_error(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*>\s*((?:<p class="error">[^<]*</p>\s*)*)', html)
    assert match, f"no field {name}"
    return match.group(1)


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(SigningCredential)).scalar_one()


def test_admin_installs_a_leaders_key_and_signature(client, org, pki, db_session):
    p12 = pki.path("leaders/lanh.p12").read_bytes()
    url = f"/admin/signing/users/{org.leader.id}"
    response = _post(client, url, p12=p12, image=signature_image("Nguyễn Văn Lãnh"))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)

    credential = active_credential(db_session, user_id=org.leader.id)
    assert credential is not None and credential.pkcs12 == p12
    assert "Nguyễn Văn Lãnh" in credential.certificate_subject
    assert PASSPHRASE.encode() not in credential.pkcs12

    listing = client.get("/admin/signing/")
    assert listing.status_code == 200
    assert org.leader.full_name in listing.text and "Nguyễn Văn Lãnh" in listing.text
    expiry = credential.certificate_not_after
    assert re.search(r"\d{2}/\d{2}/\d{4}", listing.text) and str(expiry.year) in listing.text
    assert org.clerk.full_name not in listing.text  # leaders only, unless asked
    assert org.clerk.full_name in client.get("/admin/signing/?show=all").text

    image_url = f"/admin/signing/credentials/{credential.id}/image.png"
    assert image_url in listing.text
    image = client.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("attachment")  # never a page here
    assert image.data == credential.image_png


def test_admin_installs_an_agencys_seal(client, org, pki, db_session):
    p12 = pki.path("seals/ubnd.p12").read_bytes()
    url = f"/admin/signing/agencies/{org.agency.id}"
    response = _post(client, url, p12=p12, image=seal_image("UBND Tỉnh Thử"))
    assert response.status_code == 302

    credential = active_credential(db_session, agency_id=org.agency.id)
    assert credential is not None and credential.user_id is None
    assert "UBND Tỉnh Thử" in credential.certificate_subject
    page = client.get(url)
    assert "UBND Tỉnh Thử" in page.text and f"/credentials/{credential.id}/image.png" in page.text


def test_a_new_install_replaces_the_old_one_and_may_keep_its_image(client, org, pki, db_session):
    p12 = pki.path("leaders/lanh.p12").read_bytes()
    url = f"/admin/signing/users/{org.leader.id}"
    first_image = signature_image("Nguyễn Văn Lãnh")
    assert _post(client, url, p12=p12, image=first_image).status_code == 302
    assert _post(client, url, p12=p12, image=None).status_code == 302
    actives = db_session.execute(
        select(SigningCredential).where(
            SigningCredential.user_id == org.leader.id, SigningCredential.is_active
        )
    ).scalars()
    assert [c.image_png == first_image for c in actives] == [True]


def test_a_wrong_passphrase_is_shown_next_to_the_field_and_nothing_is_stored(
    client, org, pki, db_session
):
    p12 = pki.path("leaders/lanh.p12").read_bytes()
    url = f"/admin/signing/users/{org.leader.id}"
    response = _post(
        client, url, p12=p12, image=signature_image("A B"), passphrase="sai-mat-khau-99"
    )
    assert response.status_code == 422
    assert "Sai mật khẩu hoặc tệp không hợp lệ" in _field_error(response.text, "passphrase")
    assert "sai-mat-khau-99" not in response.text  # the passphrase is never echoed back
    assert _count(db_session) == 0
    assert "Đã giữ ảnh anh.png" in response.text  # the image need not be chosen again

    kept = re.search(r'name="kept_image" type="hidden" value="([^"]+)"', response.text)
    assert kept
    retry = _post(client, url, p12=p12, image=None, kept_image=kept.group(1))
    assert retry.status_code == 302
    assert active_credential(db_session, user_id=org.leader.id).image_png == signature_image("A B")


def test_an_image_that_is_not_a_png_is_refused(client, org, pki, db_session):
    p12 = pki.path("seals/ubnd.p12").read_bytes()
    url = f"/admin/signing/agencies/{org.agency.id}"
    response = _post(client, url, p12=p12, image=b"GIF89a not a png")
    assert response.status_code == 422
    assert "Không phải PNG" in _field_error(response.text, "image")
    assert _count(db_session) == 0


def test_missing_files_are_asked_for(client, org, db_session):
    url = f"/admin/signing/users/{org.leader.id}"
    page = client.get(url)
    response = client.post(
        url,
        data={"csrf_token": csrf_from(page.text), "passphrase": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Chọn tệp khóa" in _field_error(response.text, "pkcs12")
    assert "Chọn ảnh PNG" in _field_error(response.text, "image")
    assert _field_error(response.text, "passphrase")
    assert _count(db_session) == 0


def test_another_agencys_people_and_images_are_not_found(client, org, pki, factory, db_session):
    other = factory.org()
    p12 = pki.path("leaders/lanh.p12").read_bytes()
    assert client.get(f"/admin/signing/users/{other.leader.id}").status_code == 404
    assert client.get(f"/admin/signing/agencies/{other.agency.id}").status_code == 404
    token = csrf_from(client.get("/admin/signing/").text)
    posted = client.post(
        f"/admin/signing/users/{other.leader.id}",
        data={"csrf_token": token, "passphrase": PASSPHRASE, "pkcs12": (io.BytesIO(p12), "k.p12")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 404
    assert _count(db_session) == 0
    assert other.leader.full_name not in client.get("/admin/signing/?show=all").text

    foreign = SigningCredential(
        user_id=other.leader.id, kind="pkcs12", image_png=signature_image("X Y")
    )
    db_session.add(foreign)
    db_session.flush()
    assert client.get(f"/admin/signing/credentials/{foreign.id}/image.png").status_code == 404


def test_a_clerk_is_forbidden(client, factory):
    org = factory.org()
    login(client, org.clerk.username)
    assert client.get("/admin/signing/").status_code == 403
    assert client.get(f"/admin/signing/users/{org.leader.id}").status_code == 403


def _post_kind(client, url, kind: str, fields: dict, files: dict):
    page = client.get(url)
    data = {"csrf_token": csrf_from(page.text), "kind": kind, **fields}
    data.update(
        {name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}
    )
    data["image"] = (io.BytesIO(signature_image("Lãnh đạo Thử")), "anh.png")
    return client.post(url, data=data, content_type="multipart/form-data")


def test_admin_registers_a_key_on_a_pkcs11_token(client, org, demo_pki, registry_token, db_session):
    pki, _trust = demo_pki
    url = f"/admin/signing/users/{org.leader.id}"
    page = client.get(url)
    assert SOFTHSM_MODULE in page.text  # the configured module is named on the page
    fields = {"token_label": registry_token, "key_label": "leader", "pin": "999999"}
    chain = {"chain": (chain_pem(pki), "chain.pem")}
    refused = _post_kind(client, url, "pkcs11", fields, chain)
    assert refused.status_code == 422 and "999999" not in refused.text
    assert _field_error(refused.text, "pin") and _count(db_session) == 0
    assert re.search(r'<input checked[^>]*value="pkcs11"', refused.text)  # the kind stays chosen

    response = _post_kind(client, url, "pkcs11", {**fields, "pin": TOKEN_PIN}, chain)
    assert response.status_code == 302
    credential = active_credential(db_session, user_id=org.leader.id)
    assert credential.kind == "pkcs11" and credential.pkcs11_key_label == "leader"
    assert "Lãnh đạo Thử" in credential.certificate_subject
    shown = client.get(url).text
    assert registry_token in shown and TOKEN_PIN not in shown
    assert "(PKCS#11)" in client.get("/admin/signing/").text


def test_admin_registers_a_usb_token_by_its_certificate(client, org, demo_pki, db_session):
    pki, _trust = demo_pki
    url = f"/admin/signing/users/{org.leader.id}"
    missing = _post_kind(client, url, "external", {}, {})
    assert missing.status_code == 422 and "Chọn tệp chứng thư số" in missing.text
    bad = _post_kind(client, url, "external", {}, {"certificate": (b"rac", "c.pem")})
    assert bad.status_code == 422 and _field_error(bad.text, "certificate")
    token = UsbToken(pki.path(LEADER_P12).read_bytes())
    files = {"certificate": (token.certificate_pem, "usb.pem")}
    assert _post_kind(client, url, "external", {}, files).status_code == 302
    credential = active_credential(db_session, user_id=org.leader.id)
    assert credential.kind == "external" and credential.pkcs12 is None
    assert "(USB token)" in client.get("/admin/signing/").text
