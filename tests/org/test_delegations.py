from datetime import timedelta

import pytest

from eoffice import clock
from eoffice.audit.services import list_events_for, record_event
from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.delegations import (
    act_on_behalf,
    active_delegations_for,
    create_delegation,
    revoke_delegation,
)
from eoffice.org.models import Power


def test_delegate_acts_on_behalf_within_period_and_powers(factory, db_session):
    org = factory.org()
    deputy = factory.user(org.agency, "leader")
    now = clock.now()
    delegation = create_delegation(
        db_session,
        Actor(user=org.leader),
        org.leader,
        deputy,
        ["sign", "assign"],
        now - timedelta(hours=1),
        now + timedelta(days=3),
    )
    assert active_delegations_for(db_session, deputy) == [delegation]
    actor = act_on_behalf(db_session, deputy, org.leader.id, Power.SIGN)
    assert actor.user.id == deputy.id and actor.principal.id == org.leader.id
    # Later work records "done by X on behalf of Y" through the audit trail:
    event = record_event(db_session, actor, "document.sign", "document", 1)
    assert (event.actor_id, event.on_behalf_of_id) == (deputy.id, org.leader.id)
    with pytest.raises(PermissionDenied):
        act_on_behalf(db_session, deputy, org.leader.id, Power.HANDLE)
    with clock.frozen(now + timedelta(days=4)), pytest.raises(PermissionDenied):
        act_on_behalf(db_session, deputy, org.leader.id, Power.SIGN)


def test_revoked_delegation_no_longer_works(factory, db_session):
    org = factory.org()
    deputy = factory.user(org.agency, "leader")
    now = clock.now()
    d = create_delegation(
        db_session,
        Actor(user=org.admin),
        org.leader,
        deputy,
        ["sign"],
        now,
        now + timedelta(days=1),
    )
    revoke_delegation(db_session, Actor(user=org.leader), d.id)
    assert active_delegations_for(db_session, deputy) == []
    actions = [e.action for e in list_events_for(db_session, "delegation", d.id)]
    assert actions == ["delegation.create", "delegation.revoke"]


def test_bad_delegations_are_refused(factory, db_session):
    org, other = factory.org(), factory.org()
    now = clock.now()
    with pytest.raises(InvalidInput) as info:
        create_delegation(
            db_session,
            Actor(user=org.leader),
            org.leader,
            org.leader,
            [],
            now,
            now - timedelta(days=1),
        )
    assert set(info.value.fields) == {"powers", "ends_at", "delegate"}
    with pytest.raises(InvalidInput):
        create_delegation(
            db_session,
            Actor(user=org.leader),
            org.leader,
            other.leader,
            ["sign"],
            now,
            now + timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):  # a clerk cannot hand out the leader's powers
        create_delegation(
            db_session,
            Actor(user=org.clerk),
            org.leader,
            org.clerk,
            ["sign"],
            now,
            now + timedelta(days=1),
        )
