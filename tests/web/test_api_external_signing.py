"""USB-token signing through the JSON API: the test plays the signing tool on the user's computer
(it holds the key; the server never does), for the leader's signature and the issue step."""

from __future__ import annotations

import pytest

from eoffice.wiring import file_policy
from tests.registry_signing import (
    AGENCY_P12,
    LEADER_P12,
    UsbToken,
    approved_draft,
    install_usb_tokens,
)
from tests.web.test_api_documents import Api, error, tokens_for


@pytest.fixture
def api(app, client, factory, db_session) -> Api:
    org = factory.org()
    return Api(app, client, org, tokens_for(db_session, org))


@pytest.fixture
def setup(api, factory, db_session, settings, demo_pki):
    pki, _trust = demo_pki
    leader = UsbToken(pki.path(LEADER_P12).read_bytes())
    agency = UsbToken(pki.path(AGENCY_P12).read_bytes())
    org = api.org
    install_usb_tokens(db_session, org, leader, agency)
    receiver = factory.org()
    doc = approved_draft(db_session, file_policy(settings), org, receiver)
    db_session.commit()
    return f"/api/v1/documents/{doc.id}", leader, agency


def test_leader_and_clerk_sign_with_their_usb_tokens(api, setup):
    url, leader, agency = setup
    refused = api.post(f"{url}/sign", {"passphrase": "khong-dung-den"}, who="leader")
    error(refused, 409, "external_signing_required")

    started = api.post(f"{url}/external-signatures", {"step": "sign"}, who="leader")
    assert started.status_code == 201, started.get_json()
    pending = started.get_json()
    assert started.headers["Location"].endswith(f"{url}/external-signatures/{pending['id']}")
    assert pending["step"] == "sign" and pending["signature_algorithm"] == "ecdsa-sha256"
    assert "Lãnh đạo Thử" in pending["certificate_subject"]
    again = api.call("GET", started.headers["Location"], who="leader").get_json()
    assert again["data_to_sign"] == pending["data_to_sign"]
    error(api.call("GET", started.headers["Location"], who="clerk"), 404, "not_found")

    finish = f"{url}/external-signatures/{pending['id']}/finish"
    error(api.post(finish, {"signature": "%%%"}, who="leader"), 422, "invalid_input")
    wrong = api.post(finish, {"signature": leader.sign_b64("AAAA")}, who="leader")
    assert "signature" in error(wrong, 422, "external_signature_invalid")["fields"]
    signed = api.post(finish, {"signature": leader.sign_b64(pending["data_to_sign"])}, who="leader")
    assert signed.status_code == 200 and signed.get_json()["status"] == "signed"
    error(api.post(finish, {"signature": "AAAA"}, who="leader"), 404, "not_found")  # used up

    seal = api.post(f"{url}/external-signatures", {"step": "seal"}).get_json()
    numbered = api.call("GET", url).get_json()
    assert numbered["status"] == "numbered" and numbered["code"].startswith("01/")
    issued = api.post(
        f"{url}/external-signatures/{seal['id']}/finish",
        {"signature": agency.sign_b64(seal["data_to_sign"])},
    ).get_json()
    assert issued["status"] == "issued" and issued["code"] == numbered["code"]
    assert issued["recipients"][0]["status"] == "arrived"
    assert [f["kind"] for f in issued["files"]] == ["original", "signed", "issued"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"step": "ky"}, "step"), ({}, "step"), ({"step": "sign", "x": 1}, "x")],
)
def test_bad_start_bodies_are_refused(api, setup, body, field):
    url, _leader, _agency = setup
    response = api.post(f"{url}/external-signatures", body, who="leader")
    assert field in error(response, 422, "invalid_input")["fields"]


def test_only_the_right_person_at_the_right_step(api, setup):
    url, _leader, _agency = setup
    error(api.post(f"{url}/external-signatures", {"step": "sign"}, who="clerk"), 403, "forbidden")
    error(api.post(f"{url}/external-signatures", {"step": "seal"}), 409, "invalid_transition")
