"""Acting for a delegator: chosen in the top bar, limited to the delegation's powers, audited."""

from datetime import timedelta

import pytest

from eoffice import clock
from eoffice.audit.services import list_events_for
from eoffice.documents.incoming import AssignmentPlan, Target, assign_document, register_incoming
from eoffice.errors import PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.delegations import act_on_behalf, create_delegation, revoke_delegation
from eoffice.org.models import Power
from tests.documents.conftest import incoming_meta
from tests.web.test_pages import csrf_from, login


@pytest.fixture
def delegated(factory, db_session):
    org = factory.org()
    deputy = factory.user(org.agency, "specialist")
    now = clock.now()
    delegation = create_delegation(
        db_session,
        Actor(user=org.leader),
        org.leader,
        deputy,
        ["assign"],
        now - timedelta(minutes=1),
        now + timedelta(days=2),
    )
    db_session.commit()
    return org, deputy, delegation


def test_powers_limit_what_the_delegate_may_do_and_the_trail_names_both(
    delegated,
    db_session,
    policy,
    pdf_upload,
):
    org, deputy, _ = delegated
    doc = register_incoming(
        db_session, Actor(user=org.clerk), incoming_meta(), pdf_upload, policy
    ).document
    plan = AssignmentPlan(
        lead=Target(user_id=org.specialist.id), instruction="Giao chuyên viên xử lý"
    )
    actor = act_on_behalf(db_session, deputy, org.leader.id, Power.ASSIGN)
    assign_document(db_session, actor, doc, plan)
    event = list_events_for(db_session, "document", doc.id)[-1]
    assert (event.action, event.actor_id, event.on_behalf_of_id) == (
        "document.assign",
        deputy.id,
        org.leader.id,
    )
    limited = Actor(user=deputy, on_behalf_of=org.leader, powers=frozenset({Power.SIGN}))
    with pytest.raises(PermissionDenied):
        assign_document(db_session, limited, doc, plan)


def test_top_bar_switch_acts_for_the_delegator_until_revoked(delegated, client, db_session):
    org, deputy, delegation = delegated
    login(client, deputy.username)
    home = client.get("/")
    assert f"Thay mặt {org.leader.full_name}" in home.text  # offered in the switcher
    response = client.post(
        "/act-as",
        data={"csrf_token": csrf_from(home.text), "delegator_id": str(org.leader.id), "next": "/"},
    )
    assert response.status_code == 302
    assert f"thay mặt {org.leader.full_name}" in client.get("/").text
    revoke_delegation(db_session, Actor(user=org.leader), delegation.id)
    db_session.commit()
    after = client.get("/").text
    assert f"thay mặt {org.leader.full_name}" not in after  # quietly back to acting for oneself


def test_switching_to_someone_without_a_delegation_is_refused(delegated, client):
    org, deputy, _ = delegated
    login(client, deputy.username)
    home = client.get("/")
    client.post(
        "/act-as",
        data={"csrf_token": csrf_from(home.text), "delegator_id": str(org.admin.id), "next": "/"},
    )
    page = client.get("/").text
    assert "Ủy quyền không còn hiệu lực" in page and f"thay mặt {org.admin.full_name}" not in page
