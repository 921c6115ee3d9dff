import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from eoffice.audit.services import record_event, verify_chain
from eoffice.org.actor import Actor
from tests.conftest import check_audit_chain


@pytest.mark.audit_chain_broken
def test_chain_verifies_and_detects_tampering(factory, db_session):
    org = factory.org()
    for i in range(3):
        record_event(
            db_session,
            Actor(user=org.clerk, ip="10.0.0.1"),
            "test.action",
            "thing",
            i,
            details={"n": i, "text": "Quyết định"},
        )
    report = verify_chain(db_session)
    assert report.ok and report.checked >= 3
    # Tamper below the ORM, with the append-only triggers out of the way for this transaction.
    bind = db_session.connection()
    last_id = bind.execute(text("SELECT max(id) FROM audit_events")).scalar()
    _disable_triggers(bind)
    bind.execute(text("UPDATE audit_events SET ip = '1.2.3.4' WHERE id = :id"), {"id": last_id - 1})
    db_session.expire_all()
    broken = verify_chain(db_session)
    assert not broken.ok and broken.first_bad_id == last_id - 1
    # The check every database test runs at teardown catches it too.
    with pytest.raises(AssertionError, match=f"audit chain broken at event {last_id - 1}"):
        check_audit_chain(bind)


def test_audit_rows_cannot_be_updated_or_deleted(factory, db_session):
    org = factory.org()
    event = record_event(db_session, Actor(user=org.clerk), "x", "thing", 1)
    bind = db_session.connection()
    nested = bind.begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        bind.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})
    nested.rollback()
    nested = bind.begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        bind.execute(text("UPDATE audit_events SET action = 'y' WHERE id = :id"), {"id": event.id})
    nested.rollback()


def _disable_triggers(bind) -> None:
    if bind.dialect.name == "postgresql":
        bind.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
    else:
        bind.execute(text("DROP TRIGGER audit_events_no_update"))
