from eoffice import clock
from eoffice.migrate import head_revision
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token, revoke_api_token
from eoffice.system.services import record_heartbeat


def test_healthz_reports_database_migrations_and_heartbeat(client, db_session):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["migrations"] == {
        "at_head": True,
        "current": head_revision(),
        "head": head_revision(),
    }
    assert body["last_worker_heartbeat"] is None
    record_heartbeat(db_session, "worker-1", clock.now())
    db_session.commit()
    assert client.get("/healthz").get_json()["last_worker_heartbeat"] is not None


def test_api_requires_a_valid_bearer_token(client, factory, db_session):
    org = factory.org()
    assert client.get("/api/v1/me").status_code == 401
    body = client.get("/api/v1/me", headers={"Authorization": "Bearer eo_wrong"}).get_json()
    assert body["error"]["code"] == "unauthorized"
    token, plaintext = create_api_token(db_session, Actor.system(), org.clerk)
    db_session.commit()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.get_json()["username"] == org.clerk.username
    revoke_api_token(db_session, Actor.system(), token.id)
    db_session.commit()
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code
        == 401
    )


def test_api_errors_are_json(client, factory, db_session):
    org = factory.org()
    _, plaintext = create_api_token(db_session, Actor.system(), org.clerk)
    db_session.commit()
    response = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
