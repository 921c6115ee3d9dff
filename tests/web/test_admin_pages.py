"""Administration of users and delegations through the pages: what an admin may change, and
that another agency's user or delegation is as unknown as one that does not exist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.org.delegations import create_delegation
from tests.web.test_pages import csrf_from, login

MISSING = 10**8


@pytest.fixture
def orgs(client, factory, db_session):
    ours, theirs = factory.org(), factory.org()
    starts = clock.now() + timedelta(days=1)
    delegations = [
        create_delegation(
            db_session,
            Actor(user=org.admin),
            org.leader,
            org.unit_head,
            ["sign"],
            starts,
            starts + timedelta(days=3),
        )
        for org in (ours, theirs)
    ]
    db_session.commit()
    assert login(client, ours.admin.username).status_code == 302
    return ours, theirs, delegations


def _scrub(page: str, url: str) -> str:
    """The page without its own address and CSRF tokens (they differ by request, not by what
    the refusal reveals)."""
    return re.sub(r'(csrf_token"[^>]*value=")[^"]+"', r'\1"', page.replace(url, ""))


def _post(client, url: str):
    token = csrf_from(client.get("/admin/users").text)
    return client.post(url, data={"csrf_token": token})


def test_admin_locks_and_unlocks_a_user_of_their_agency(client, orgs, db_session):
    ours, _, _ = orgs
    response = _post(client, f"/admin/users/{ours.specialist.id}/active")
    assert response.status_code == 302
    db_session.refresh(ours.specialist)
    assert ours.specialist.is_active is False
    assert "Đã khóa tài khoản" in client.get(response.headers["Location"]).text
    _post(client, f"/admin/users/{ours.specialist.id}/active")
    db_session.refresh(ours.specialist)
    assert ours.specialist.is_active is True


def test_another_agencys_user_is_as_unknown_as_a_missing_one(client, orgs, db_session):
    _, theirs, _ = orgs
    for path in ("/admin/users/{}", "/admin/signing/users/{}"):
        urls = (path.format(theirs.clerk.id), path.format(MISSING))
        foreign, missing = (client.get(url) for url in urls)
        assert foreign.status_code == missing.status_code == 404
        assert _scrub(foreign.text, urls[0]) == _scrub(missing.text, urls[1])
    assert _post(client, f"/admin/users/{theirs.clerk.id}/active").status_code == 404
    db_session.refresh(theirs.clerk)
    assert theirs.clerk.is_active is True


def test_admin_revokes_only_their_agencys_delegations(client, orgs, db_session):
    _, _, (mine, other) = orgs
    assert _post(client, f"/admin/delegations/{mine.id}/revoke").status_code == 302
    foreign = _post(client, f"/admin/delegations/{other.id}/revoke")
    missing = _post(client, f"/admin/delegations/{MISSING}/revoke")
    assert foreign.status_code == missing.status_code == 404
    db_session.refresh(mine)
    db_session.refresh(other)
    assert mine.revoked_at is not None and other.revoked_at is None
